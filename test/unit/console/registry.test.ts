// The one registry as data: every adapter's context reaches the same verbs, and a verb
// whose needs an adapter lacks says so instead of failing oddly.
import t from 'tap';
import { REGISTRY, runLine, type ConsoleContext, type GridVerbs } from '../../../appliance/console/index.js';

const grid = { status: () => [], scores: () => [] } as unknown as GridVerbs;
const accounts = {
  getUser: (n: string) => ({ name: n, role: n === 'root' ? 'admin' : 'user', hasPassword: false, keys: [] }),
  listUsers: () => [],
} as unknown as NonNullable<ConsoleContext['accounts']>;

t.test('the verb table', async (t) => {
  t.same(REGISTRY.map((v) => v.name), ['scores', 'spawn', 'spawndisk', 'save', 'savedisk', 'invite', 'boom', 'status', 'help', 'exit', 'cpu', 'import', 'export', 'whoami', 'passwd', 'keys', 'users', 'node', 'identify', 'shutdown', 'peers', 'pair', 'unpair', 'forget', 'gc', 'usage']);
  t.same(REGISTRY.filter((v) => v.who === 'admin').map((v) => v.name), ['users', 'node', 'shutdown', 'peers', 'pair', 'unpair', 'gc']);
});

t.test('what a context lacks is COLONY_UNSUPPORTED, with a reason', async (t) => {
  const bare: ConsoleContext = { user: 'alice' };
  t.match(await runLine(bare, 'status'), { error: 'COLONY_UNSUPPORTED', output: 'error: the grid is not reachable from here' });
  t.match(await runLine(bare, 'whoami'), { error: 'COLONY_UNSUPPORTED' });
  const ctl: ConsoleContext = { user: 'alice', grid, accounts };
  t.match(await runLine(ctl, 'passwd'), { error: 'COLONY_UNSUPPORTED', output: /passwd asks questions/ }, 'ctl cannot ask');
  t.match(await runLine({ ...ctl, user: 'root' }, 'node'), { error: 'COLONY_UNSUPPORTED' });
  t.match(await runLine({ ...ctl, user: 'root' }, 'shutdown'), { error: 'COLONY_UNSUPPORTED' });
  t.same(await runLine(ctl, 'whoami'), { output: 'alice (user)', json: { user: 'alice', role: 'user', keys: 0, hasPassword: false } });
});

t.test('help lists what this user may run, grid verbs first', async (t) => {
  const user = (await runLine({ user: 'alice', grid, accounts }, 'help')).output;
  t.match(user, /^commands:\n\s+scores \[FILTER\]/);
  t.match(user, /\nconsole commands:\n\s+cpu ENV \[-- COMMAND\][^\n]*\n\s+import NAME\s+a new snapshot NAME from a tar[^\n]*\n\s+export NAME\s+your snapshot NAME as a tar[^\n]*\n\s+whoami/);
  t.notMatch(user, /users list|shutdown/);
  t.match((await runLine({ user: 'root', grid, accounts }, 'help')).output, /users list[\s\S]*shutdown/);
  t.notMatch((await runLine({ user: 'alice', grid }, 'help')).output, /console commands/, 'no accounts, no account verbs in help');
  t.same(await runLine({ user: 'alice', grid, accounts }, '? whoami'), { output: 'whoami\n  your user name and role' });
  t.match(await runLine({ user: 'alice', grid, accounts }, 'help nonesuch'), { error: 'COLONY_USAGE' });
});
