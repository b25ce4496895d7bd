// forget's grammar, and gc and usage over a stand-in GcRunner: who may run them, what they
// print, their JSON, and what a context without the runner answers.
import t from 'tap';
import { parseForget, runLine, type ConsoleContext, type GcReport, type GcRunner, type UsageReport } from '../../../appliance/console/index.js';

const accounts = {
  getUser: (n: string) => ({ name: n, role: n === 'root' ? 'admin' : 'user', hasPassword: false, keys: [] }),
  listUsers: () => [],
} as unknown as NonNullable<ConsoleContext['accounts']>;

const MiB = 1024 * 1024;
const plan: GcReport = {
  dryRun: true, liveBytes: 12, garbageBytes: 1900 * MiB, storeBytes: 1900 * MiB + 12,
  rewrite: [{ arena: 3, liveBytes: 12, garbageBytes: 500 * MiB }], remove: [1, 2],
  bytesToFree: 1900 * MiB, bytesToWrite: 12, freedBytes: 0, writtenBytes: 0, copied: [], seconds: 0.2,
};
const usage: UsageReport = {
  users: [{ user: 'alice', bytes: 3 * MiB, names: 2, environments: 1, quotaBytes: 10 * MiB }, { user: 'root', bytes: 12, names: 1, environments: 0 }],
  storeBytes: 5 * MiB, note: 'blocks two names of one user share count once for that user',
};

function node() {
  const calls: unknown[] = [];
  const gc: GcRunner = {
    run: async (o) => { calls.push(o); return o.dryRun ? plan : { ...plan, dryRun: false, freedBytes: plan.bytesToFree, writtenBytes: 12, copied: [3], seconds: 3.21 }; },
    usage: async () => usage,
  };
  return { calls, node: { id: 'n', version: '0', started: 0, gc } };
}

t.test('forget: the grammar', async (t) => {
  t.same(parseForget('forget deb'), { name: 'deb', text: 'deb', yes: false });
  t.same(parseForget('forget deb --yes'), { name: 'deb', text: 'deb', yes: true });
  t.same(parseForget('forget alice/deb --reason left the  company'), { owner: 'alice', name: 'deb', text: 'alice/deb', yes: false, reason: 'left the  company' });
  t.same(parseForget('forget alice/deb --reason left --yes'), { owner: 'alice', name: 'deb', text: 'alice/deb', yes: true, reason: 'left' });
  t.same(parseForget('forget alice/deb --yes --reason left'), { owner: 'alice', name: 'deb', text: 'alice/deb', yes: true, reason: 'left' });
  for (const bad of ['forget', 'forget a b', 'forget a --reason', 'forget a --reason --yes', 'forget a --yes --reason x --yes', 'forget --yes', 'forget a --force']) {
    t.throws(() => parseForget(bad), { code: 'COLONY_USAGE', message: /usage: forget \[OWNER\/\]NAME \[--reason TEXT\] \[--yes\]/ }, bad);
  }
});

t.test('forget needs the catalog; another user\'s name needs a reason', async (t) => {
  t.match(await runLine({ user: 'alice', accounts }, 'forget deb'), { error: 'COLONY_UNSUPPORTED', output: /cannot be forgotten from here/ });
  t.match(await runLine({ user: 'root', accounts }, 'forget alice/deb'), { error: 'COLONY_USAGE', output: "error: forgetting alice's name needs a reason: forget alice/deb --reason TEXT (admin)" });
  t.match(await runLine({ user: 'alice', accounts }, 'forget --help'), { output: /^forget \[OWNER\/\]NAME \[--reason TEXT\] \[--yes\]\n {2}forget your name/ });
});

t.test('gc: admin only; the plan, the run, the JSON', async (t) => {
  const { calls, node: n } = node();
  t.match(await runLine({ user: 'alice', accounts, node: n }, 'gc --dry-run'), { error: 'COLONY_PERMISSION' });
  const dry = await runLine({ user: 'root', accounts, node: n }, 'gc --dry-run');
  t.equal(dry.output, [
    'gc plan (dry run: nothing was changed)',
    'store     1.9 GiB: 12 B live, 1.9 GiB garbage',
    'delete    2 arenas with nothing live (1, 2)',
    'free      1 arena in place (holes), copying live records forward only where holes are not enough:',
    '  ARENA  LIVE  GARBAGE',
    '  3      12 B  500.0 MiB',
    'would free 1.9 GiB, writing at most 12 B; run gc to do it',
  ].join('\n'));
  t.same(dry.json, plan, 'the JSON result is the report');
  const ran = await runLine({ user: 'root', accounts, node: n }, 'gc');
  t.match(ran.output, /^gc done in 3\.2 s\n[\s\S]*\nfreed     1\.9 GiB, wrote 12 B \(copied the live records of 1 arena: 3\)$/);
  t.same(calls, [{ dryRun: true, by: 'root' }, { dryRun: false, by: 'root' }]);
  t.match(await runLine({ user: 'root', accounts, node: n }, 'gc --now'), { error: 'COLONY_USAGE', output: 'error: usage: gc [--dry-run]' });
  t.match(await runLine({ user: 'root', accounts }, 'gc'), { error: 'COLONY_UNSUPPORTED', output: /start it with colony serve/ });
  const idle = { ...n, gc: { ...n.gc, run: async () => ({ ...plan, rewrite: [], remove: [], garbageBytes: 0, bytesToFree: 0 }) } };
  t.match((await runLine({ user: 'root', accounts, node: idle }, 'gc --dry-run')).output, /\nnothing to do: no arena is worth rewriting$/);
});

t.test('usage: a user sees their own line, an admin every user', async (t) => {
  const { node: n } = node();
  const mine = await runLine({ user: 'alice', accounts, node: n }, 'usage');
  t.equal(mine.output, `alice: 3.0 MiB in 2 names and 1 environment, quota 10.0 MiB (30% used)\n${usage.note}`);
  t.same(mine.json, { users: [usage.users[0]], note: usage.note }, 'no other user, no store total');
  const bob = await runLine({ user: 'bob', accounts, node: n }, 'usage');
  t.equal(bob.output, `you hold nothing yet\n${usage.note}`);
  const all = await runLine({ user: 'root', accounts, node: n }, 'usage');
  t.equal(all.output, [
    'USER   BYTES    NAMES  ENVS  QUOTA',
    'alice  3.0 MiB  2      1     10.0 MiB',
    'root   12 B     1      0     -',
    'store: 5.0 MiB',
    usage.note,
  ].join('\n'));
  t.same(all.json, usage);
  t.match(await runLine({ user: 'alice', accounts }, 'usage'), { error: 'COLONY_UNSUPPORTED' });
  t.match(await runLine({ user: 'alice', accounts, node: n }, 'usage me'), { error: 'COLONY_USAGE' });
});

t.test('help lists forget and usage to users, gc to admins only', async (t) => {
  const grid = { status: () => [], scores: () => [] } as unknown as NonNullable<ConsoleContext['grid']>;
  const user = (await runLine({ user: 'alice', grid, accounts }, 'help')).output;
  t.match(user, /\n\s+forget \[OWNER\/\]NAME \[--reason TEXT\] \[--yes\][^\n]*\n\s+usage\s/);
  t.notMatch(user, /gc \[--dry-run\]/);
  t.match((await runLine({ user: 'root', grid, accounts }, 'help')).output, /\n\s+gc \[--dry-run\]\s+give back the space/);
  t.match(await runLine({ user: 'root', accounts }, 'help gc'), { output: /^gc \[--dry-run\]\n/ });
  t.match(await runLine({ user: 'alice', accounts }, 'help gc'), { error: 'COLONY_PERMISSION' });
});

t.test('forget: the reply names the running environments spawned from it, and the reason', async (t) => {
  const calls: unknown[] = [];
  const record = { owner: 'alice', name: 'deb', root: Buffer.alloc(32, 1), created: '', origin: 'n', comment: '', meta: {} };
  const withForget = {
    ...accounts,
    checkForget: (owner: string, name: string, o: unknown) => { calls.push(['check', owner, name, o]); return { record, grantees: ['bob', 'carol'] }; },
    forgetName: async (owner: string, name: string, o: { reason?: string }) => { calls.push(['forget', owner, name, o]); return { record, grantees: ['bob', 'carol'], ...(o.reason ? { reason: o.reason } : {}) }; },
  } as unknown as NonNullable<ConsoleContext['accounts']>;
  const grid = {
    status: () => [{ name: 'dev', base: { owner: 'alice', name: 'deb' } }, { name: 'other', base: { owner: 'alice', name: 'x' } }],
    scores: () => [],
  } as unknown as NonNullable<ConsoleContext['grid']>;
  const refused = await runLine({ user: 'root', accounts: withForget, grid }, 'forget alice/deb --reason the disk is full');
  t.same(refused, { output: 'error: alice/deb is shared with bob, carol: they lose it too; run forget alice/deb --reason the disk is full --yes', error: 'COLONY_USAGE' });
  const r = await runLine({ user: 'root', accounts: withForget, grid }, 'forget alice/deb --reason the disk is full --yes');
  t.equal(r.output, [
    `forgot alice/deb (b3:${'01'.repeat(6)}…); it can never be bound again, here or on any node`,
    'reason (logged): the disk is full',
    'bob, carol lost it too (it was granted to them)',
    'environments spawned from it keep running (dev); gc keeps its blocks while they do',
  ].join('\n'));
  t.same(r.json, { owner: 'alice', name: 'deb', root: `b3:${'01'.repeat(32)}`, by: 'root', reason: 'the disk is full', grantees: ['bob', 'carol'], running: ['dev'] });
  t.same(calls.at(-1), ['forget', 'alice', 'deb', { by: 'root', reason: 'the disk is full' }]);
});
