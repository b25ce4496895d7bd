// Command dispatch against a fake catalog and interpreter: who may run what, what is
// asked (passwd), and that grid replies pass through untouched.
import t from 'tap';
import { dispatch, renderReply, splitJsonFlag, type Accounts, type CommandContext, type Interpreter } from '../../../appliance/console/ssh/index.js';
import { uptimeText } from '../../../appliance/console/ssh/commands.js';
import { exists, notFound } from '../../../appliance/errors.js';

interface FakeUser { name: string; role: 'admin' | 'user'; password?: string; keys: string[] }

function world(opts: { answers?: Array<string | undefined>; shutdown?: boolean } = {}) {
  const users = new Map<string, FakeUser>([
    ['alice', { name: 'alice', role: 'user', password: 'pw', keys: [] }],
    ['root', { name: 'root', role: 'admin', keys: [] }],
  ]);
  const get = (n: string) => { const u = users.get(n); if (!u) throw notFound(`user '${n}'`); return u; };
  const info = (u: FakeUser) => ({ name: u.name, role: u.role, hasPassword: u.password !== undefined, since: '', keys: u.keys.map((k) => ({ line: k, type: 'ssh-ed25519', comment: 'c', fingerprint: `SHA256:${k}` })) });
  const accounts = {
    getUser: (n: string) => info(get(n)),
    listUsers: () => [...users.values()].map(info),
    checkPassword: async (n: string, p: string) => users.get(n)?.password === p,
    setPassword: async (n: string, p: string) => { get(n).password = p; },
    addKey: async (n: string, line: string) => { get(n).keys.push(line); return { line, type: 'ssh-ed25519', comment: 'c', fingerprint: `SHA256:${line}` }; },
    addUser: async (spec: { name: string; role: 'admin' | 'user'; password?: string }) => {
      if (users.has(spec.name)) throw exists(`user '${spec.name}'`);
      const u: FakeUser = { name: spec.name, role: spec.role, keys: [], ...(spec.password ? { password: spec.password } : {}) };
      users.set(spec.name, u);
      return info(u);
    },
    removeUser: async (n: string) => { get(n); users.delete(n); },
    userForKey: () => undefined,
  } as unknown as Accounts;
  const lines: string[] = [];
  const interpreter: Interpreter = { run: async (user, line) => { lines.push(`${user}: ${line}`); return line === 'help' ? { output: 'grid help' } : { output: `grid says ${line}\nmount -t 9p X`, json: { line } }; } };
  const asked: string[] = [];
  const answers = [...(opts.answers ?? [])];
  const shutdowns: string[] = [];
  const ctx = (user: string): CommandContext => ({
    user, accounts, interpreter,
    node: { id: 'node-1', version: '1.2.3', started: 1000, sessions: () => 2 },
    now: () => 1000 + 3_723_000,
    ask: async (q) => { asked.push(q); return answers.shift(); },
    ...(opts.shutdown ? { shutdown: (by: string) => { shutdowns.push(by); } } : {}),
  });
  return { users, ctx, lines, asked, shutdowns };
}

t.test('grid lines go to the interpreter unchanged, as the user', async (t) => {
  const w = world();
  const r = await dispatch(w.ctx('alice'), 'spawn  debian');
  t.same(r, { output: 'grid says spawn  debian\nmount -t 9p X', json: { line: 'spawn  debian' } });
  t.same(w.lines, ['alice: spawn  debian']);
  t.same(await dispatch(w.ctx('alice'), '   '), { output: '' }, 'blank lines do nothing');
  t.same(await dispatch(w.ctx('alice'), '# note'), { output: '' });
  t.same(await dispatch(w.ctx('alice'), 'quit'), { output: '', exit: true });
});

t.test('whoami', async (t) => {
  const w = world();
  t.same(await dispatch(w.ctx('alice'), 'whoami'), { output: 'alice (user)', json: { user: 'alice', role: 'user', keys: 0, hasPassword: true } });
  t.match(await dispatch(w.ctx('alice'), 'whoami x'), { error: 'COLONY_USAGE', output: 'error: usage: whoami' });
});

t.test('help: the grid, then what this user may run', async (t) => {
  const w = world();
  const user = await dispatch(w.ctx('alice'), 'help');
  t.match(user.output, /^grid help\nconsole commands:/);
  t.notMatch(user.output, /^  (users|shutdown|node|gc)\b/m, 'no admin verb is listed'); // (prose may say "node")
  const admin = await dispatch(w.ctx('root'), 'help');
  t.match(admin.output, /^  users list/m, 'the same shape finds admin verbs in the help of an admin');
  t.match(admin.output, /shutdown/);
  t.match(await dispatch(w.ctx('alice'), 'help passwd'), { output: /^passwd\n/ });
  t.match(await dispatch(w.ctx('alice'), 'help users'), { error: 'COLONY_PERMISSION' });
  await dispatch(w.ctx('alice'), 'help spawn');
  t.same(w.lines.at(-1), 'alice: help spawn', 'help on a grid verb is the grid’s');
});

t.test('admin commands are refused to users', async (t) => {
  const w = world({ shutdown: true });
  for (const line of ['users list', 'users add eve', 'node', 'shutdown']) {
    t.match(await dispatch(w.ctx('alice'), line), { error: 'COLONY_PERMISSION', output: /is for admins/ }, line);
  }
  t.same(w.shutdowns, []);
  t.notOk(w.users.has('eve'));
});

t.test('users for admins', async (t) => {
  const w = world();
  const add = await dispatch(w.ctx('root'), 'users add eve --admin');
  t.match(add.output, /^added admin eve; first password: [A-Za-z0-9_-]{16}\n/);
  t.equal(w.users.get('eve')?.role, 'admin');
  t.equal(w.users.get('eve')?.password, (add.json as { password: string }).password);
  t.match(await dispatch(w.ctx('root'), 'users add eve'), { error: 'COLONY_EXISTS' });
  t.match(await dispatch(w.ctx('root'), 'users add x --root'), { error: 'COLONY_USAGE' });
  t.match((await dispatch(w.ctx('root'), 'users list')).output, /^alice\s+user\s+keys 0\s+password yes$/m);
  t.match(await dispatch(w.ctx('root'), 'users remove root'), { error: 'COLONY_PERMISSION' });
  t.same(await dispatch(w.ctx('root'), 'users remove eve'), { output: 'removed user eve', json: { name: 'eve', removed: true } });
  t.match(await dispatch(w.ctx('root'), 'users remove eve'), { error: 'COLONY_NOT_FOUND' });
  t.match(await dispatch(w.ctx('root'), 'users'), { error: 'COLONY_USAGE' });
});

t.test('node and shutdown', async (t) => {
  const w = world({ shutdown: true });
  t.same(await dispatch(w.ctx('root'), 'node'), {
    output: 'node node-1\nversion 1.2.3\nuptime 01:02:03\nssh sessions 2',
    json: { id: 'node-1', version: '1.2.3', uptimeMs: 3_723_000, sessions: 2 },
  });
  t.same(await dispatch(w.ctx('root'), 'shutdown'), { output: 'shutting down', exit: true, json: { shutdown: true, by: 'root' } });
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  t.same(w.shutdowns, ['root']);
  t.match(await dispatch(world().ctx('root'), 'shutdown'), { error: 'COLONY_UNSUPPORTED' }, 'no hook, no shutdown');
  t.equal(uptimeText(2 * 86_400_000 + 5_000), '2d 00:00:05');
});

t.test('passwd', async (t) => {
  const ok = world({ answers: ['pw', 'new', 'new'] });
  t.same(await dispatch(ok.ctx('alice'), 'passwd'), { output: 'password changed', json: { user: 'alice', changed: true } });
  t.same(ok.asked, ['current password: ', 'new password: ', 'new password again: ']);
  t.equal(ok.users.get('alice')?.password, 'new');
  const noOld = world({ answers: ['first', 'first'] });
  t.match(await dispatch(noOld.ctx('root'), 'passwd'), { output: 'password changed' }, 'no current password to ask for');
  t.same(noOld.asked, ['new password: ', 'new password again: ']);
  const wrong = world({ answers: ['nope', 'new', 'new'] });
  t.match(await dispatch(wrong.ctx('alice'), 'passwd'), { error: 'COLONY_AUTH' });
  t.equal(wrong.users.get('alice')?.password, 'pw');
  const differ = world({ answers: ['pw', 'a', 'b'] });
  t.match(await dispatch(differ.ctx('alice'), 'passwd'), { error: 'COLONY_INVALID', output: /differ/ });
  const gaveUp = world({ answers: ['pw', 'a', undefined] });
  t.match(await dispatch(gaveUp.ctx('alice'), 'passwd'), { error: 'COLONY_USAGE', output: /cancelled/ });
  t.equal(gaveUp.users.get('alice')?.password, 'pw');
});

t.test('keys', async (t) => {
  const w = world();
  t.same(await dispatch(w.ctx('alice'), 'keys list'), { output: 'no keys', json: [] });
  const add = await dispatch(w.ctx('alice'), 'keys add ssh-ed25519 AAAA  my laptop');
  t.match(add.output, /^added ssh-ed25519 key/);
  t.same(w.users.get('alice')?.keys, ['ssh-ed25519 AAAA  my laptop'], 'the line as typed after `keys add`');
  t.match((await dispatch(w.ctx('alice'), 'keys list')).output, /SHA256:/);
  t.match(await dispatch(w.ctx('alice'), 'keys add onlyone'), { error: 'COLONY_USAGE' });
});

t.test('a throwing interpreter is an internal error reply', async (t) => {
  const w = world();
  const ctx = { ...w.ctx('alice'), interpreter: { run: async () => { throw new Error('boom'); } } };
  t.same(await dispatch(ctx, 'status'), { output: 'error: internal: boom', error: 'COLONY_INTERNAL' });
});

t.test('--json and rendering', async (t) => {
  t.same(splitJsonFlag('status --json'), { line: 'status', json: true });
  t.same(splitJsonFlag('keys add ssh-ed25519 AAAA  x'), { line: 'keys add ssh-ed25519 AAAA  x', json: false }, 'untouched without the flag');
  t.equal(renderReply({ output: 'hi', json: { a: 1 } }, false), 'hi');
  t.equal(renderReply({ output: 'hi', json: { a: 1 } }, true), '{"ok":true,"output":"hi","result":{"a":1}}');
  t.equal(renderReply({ output: 'hi' }, true), '{"ok":true,"output":"hi"}');
  t.equal(renderReply({ output: 'error: no', error: 'COLONY_INVALID' }, true), '{"ok":false,"error":"COLONY_INVALID","message":"no"}');
});
