// `cpu` as the registry sees it: the grammar (the command is the rest of the line as typed),
// help with this node's SSH port, one clear line where no stream can carry it (ctl, the
// console socket), the `cpu:` line of spawn, and `node` saying whether cpu can run here.
import t from 'tap';
import { cpuSpawnLine, mountHost, parseCpu, runLine, spawnText, type ConsoleContext, type CpuRunner, type GridVerbs, type NodeInfo } from '../../../appliance/console/index.js';

t.test('the grammar', async (t) => {
  t.same(parseCpu('cpu debian'), { kind: 'run', env: 'debian' }, 'a login shell');
  t.same(parseCpu('  cpu debian  --  make -j2  '), { kind: 'run', env: 'debian', command: 'make -j2' });
  t.same(parseCpu('cpu debian -- echo "a  b" | tr a x'), { kind: 'run', env: 'debian', command: 'echo "a  b" | tr a x' }, 'spacing and quoting as typed');
  t.same(parseCpu('cpu debian make -j2'), { kind: 'run', env: 'debian', command: 'make -j2' }, 'without --');
  t.same(parseCpu('cpu debian --json'), { kind: 'run', env: 'debian', command: '--json' }, '--json is the command\'s');
  t.same(parseCpu('cpu debian -- -- x'), { kind: 'run', env: 'debian', command: '-- x' }, 'only the first -- is ours');
  t.same(parseCpu('cpu --help'), { kind: 'help' });
  t.same(parseCpu('cpu -h'), { kind: 'help' });
  t.equal(parseCpu('cpux debian'), undefined, 'not a cpu line');
  t.equal(parseCpu('status'), undefined);
  t.throws(() => parseCpu('cpu'), { code: 'COLONY_USAGE', message: /usage: cpu ENV \[-- COMMAND\]/ });
  t.throws(() => parseCpu('cpu debian --'), { code: 'COLONY_USAGE', message: /nothing after --/ });
  t.throws(() => parseCpu('cpu -t debian'), { code: 'COLONY_USAGE' });
  t.throws(() => parseCpu('cpu --help me'), { code: 'COLONY_USAGE' });
});

const runner = (unavailable?: string): CpuRunner => ({ unavailable, start: async () => { throw new Error('not here'); } });
const accounts = {
  getUser: (n: string) => ({ name: n, role: n === 'root' ? 'admin' : 'user', hasPassword: false, keys: [], account: `a-${n}` }),
  listUsers: () => [],
} as unknown as NonNullable<ConsoleContext['accounts']>;
const node = (extra: Partial<NodeInfo> = {}): NodeInfo => ({ id: 'n1', version: '1.0.0', started: 0, ...extra });

t.test('without a stream (ctl, the console socket): help, or where to run it', async (t) => {
  const ctx: ConsoleContext = { user: 'alice', accounts, node: node({ sshPort: 2022, cpu: runner() }) };
  t.same(await runLine(ctx, 'cpu debian -- make'), {
    output: 'error: cpu needs a terminal or the command\'s own streams, which this channel cannot carry: run ssh -t -p 2022 alice@HOST cpu debian -- make',
    error: 'COLONY_UNSUPPORTED',
  });
  t.match(await runLine({ ...ctx, node: node({ cpu: runner('no 9p in this kernel') }) }, 'cpu debian'), { error: 'COLONY_UNSUPPORTED', output: 'error: cpu is not available on this node: no 9p in this kernel' });
  const help = await runLine(ctx, 'cpu --help');
  t.match(help.output, /^cpu ENV \[-- COMMAND\]\n/);
  t.match(help.output, /ssh -t -p 2022 alice@HOST cpu ENV/);
  t.match(help.output, /ssh -p 2022 alice@HOST cpu ENV -- make -j2/);
  t.same(await runLine(ctx, 'help cpu'), { output: 'cpu ENV [-- COMMAND]\n  a shell inside your running environment ENV, or one COMMAND there (over SSH; cpu --help says more)' });
  t.match(await runLine(ctx, 'cpu'), { error: 'COLONY_USAGE' });
});

t.test('spawn prints the cpu line beside the mount line', async (t) => {
  const env = {
    name: 'debian', owner: 'alice', kind: 'ram' as const, base: { owner: 'alice', name: 'debian', root: `b3:${'01'.repeat(32)}` }, head: '',
    cache: { used: 0, size: 100 << 20 }, dirtyBytes: 0, clients: 0, started: '', uptimeMs: 0, unsaved: false,
  };
  const mount = 'mount -t 9p -o trans=tcp,port=564,version=9p2000.L,access=user,aname=env/debian/TOKEN HOST /mnt';
  const r = { env, token: 'TOKEN', aname: 'env/debian/TOKEN', mount };
  const grid = { spawn: async () => r, status: () => [], scores: () => [] } as unknown as GridVerbs;
  const ctx: ConsoleContext = { user: 'alice', grid, accounts, node: node({ sshPort: 2222, cpu: runner() }) };
  const reply = await runLine(ctx, 'spawn debian');
  t.equal(reply.output, [
    `spawned debian (ram cache, 100.0 MiB) from alice/debian b3:010101010101…`,
    'aname: env/debian/TOKEN',
    `mount: ${mount}`,
    'cpu: ssh -t -p 2222 alice@HOST cpu debian',
  ].join('\n'));
  t.match(reply.json, { cpu: 'ssh -t -p 2222 alice@HOST cpu debian', mount });
  t.match((await runLine({ ...ctx, node: node({ sshPort: 2222, cpu: runner('cgroup v2 has no memory controller here') }) }, 'spawn debian')).output,
    /\nmount: .*\ncpu: unavailable on this node: cgroup v2 has no memory controller here$/);
  t.equal((await runLine({ ...ctx, node: node({ sshPort: 2222 }) }, 'spawn debian')).output, spawnText(r), 'cpu off: no line');
  t.equal(mountHost(mount), 'HOST');
  t.equal(mountHost('mount -t 9p -o x appliance.lan /mnt'), 'appliance.lan');
  t.equal(cpuSpawnLine({ node: node({ cpu: runner() }) }, 'alice', 'debian'), undefined, 'no SSH console: no line');
});

t.test('node says whether cpu runs here', async (t) => {
  const ctx: ConsoleContext = { user: 'root', accounts, node: node({ cpu: runner() }), now: () => 0 };
  t.match((await runLine(ctx, 'node')).output, /\ncpu ready$/);
  t.match((await runLine({ ...ctx, node: node({ cpu: runner('not root') }) }, 'node')).output, /\ncpu unavailable: not root$/);
  t.notMatch((await runLine({ ...ctx, node: node() }, 'node')).output, /cpu/);
});
