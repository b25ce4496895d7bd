// The attach names of execution, routed as ctl and env/ are: cpu/NAME on the unix socket for
// the owner and invitees (the uname is the Colony user), cpu/NAME/TOKEN anywhere for the
// owner, proc on the unix socket only; one xcpu tree per user and environment, forgotten on
// boom; a node without cpu answers its one line. Fakes stand in for the grid and executor.
import t from 'tap';
import type { Catalog } from '../../../appliance/catalog/index.js';
import { ColonyError, notFound } from '../../../appliance/errors.js';
import type { ExecService, ProcSource } from '../../../appliance/exec/index.js';
import type { Backend, Caller } from '../../../appliance/ninep/index.js';
import type { Environment, Grid } from '../../../appliance/grid/index.js';
import type { AttachRequest } from '../../../appliance/ninep/index.js';
import { CpuTrees, execRoutes, unavailableExec } from '../../../appliance/supervisor/exec-routes.js';

const users = new Set(['alice', 'bob', 'carol', 'root']);
const catalog = { getUser: (n: string) => { if (!users.has(n)) throw notFound(`user ${n}`); return { name: n }; } } as unknown as Catalog;
const dev = { name: 'dev', owner: 'alice', invited: new Set(['bob']), clients: 0 } as unknown as Environment;
const grid = {
  running: (n: string) => (n === 'dev' ? dev : undefined),
  attach: (aname: string) => {
    if (aname !== 'env/dev/TOKEN') throw new ColonyError('COLONY_AUTH', 'no environment answers to that aname');
    dev.clients++;
    return dev;
  },
  detach: (e: Environment) => { e.clients--; },
} as unknown as Grid;
const exec: ExecService = { unavailable: undefined, start: async () => { throw new Error('not here'); }, processes: async () => [], kill: async () => {}, close: async () => {} };

const req = (aname: string, uname: string, kind: 'unix' | 'tcp' = 'unix', connectionUname?: string): AttachRequest =>
  ({ aname, uname, nUname: undefined, transport: { kind, peer: kind === 'unix' ? '/d/9p.sock' : '10.0.0.2:5000' }, dialect: '9P2000.L', ...(connectionUname ? { connectionUname } : {}) });

function routes(service: ExecService | null = exec, remote?: () => ProcSource[]) {
  const trees = new CpuTrees();
  return { trees, r: execRoutes({ grid, catalog, exec: () => service ?? undefined, trees, nodeId: () => 'node-1', ...(remote ? { remoteProcSources: remote } : {}) }) };
}

t.test('cpu/NAME on the unix socket: the owner and invitees; one tree each', async (t) => {
  const { r } = routes();
  const a = await r['cpu/'](req('cpu/dev', 'alice'), 'dev');
  t.match(a, { user: { uid: 0, gid: 0, uname: 'alice' }, route: 'cpu/dev' });
  t.match(a.backend, { user: 'alice', env: 'dev' });
  t.equal((await r['cpu/'](req('cpu/dev', 'alice'), 'dev')).backend, a.backend, 'the same tree for a second attach');
  const b = await r['cpu/'](req('cpu/dev', '', 'unix', 'bob'), 'dev');
  t.match(b.backend, { user: 'bob', env: 'dev' }, "an empty uname is the connection's (the kernel's per-user attaches)");
  t.not(b.backend, a.backend);
  await t.rejects(r['cpu/'](req('cpu/dev', 'carol'), 'dev'), { code: 'COLONY_PERMISSION', message: /dev is alice's; only its owner and the users they invited/ });
  await t.rejects(r['cpu/'](req('cpu/dev', 'root'), 'dev'), { code: 'COLONY_PERMISSION' }, 'admins too');
  await t.rejects(r['cpu/'](req('cpu/dev', 'mallory'), 'dev'), { code: 'COLONY_PERMISSION', message: /no Colony user 'mallory'/ });
  await t.rejects(r['cpu/'](req('cpu/nope', 'alice'), 'nope'), { code: 'COLONY_NOT_FOUND' });
  await t.rejects(r['cpu/'](req('cpu/dev', ''), 'dev'), { code: 'COLONY_PERMISSION', message: /uname=/ });
});

t.test('over TCP, cpu/NAME needs the token and runs as the owner', async (t) => {
  const { r } = routes();
  await t.rejects(r['cpu/'](req('cpu/dev', 'alice', 'tcp'), 'dev'), { code: 'COLONY_PERMISSION', message: /cpu\/NAME\/TOKEN/ });
  const a = await r['cpu/'](req('cpu/dev/TOKEN', 'whoever', 'tcp'), 'dev/TOKEN');
  t.match(a.backend, { user: 'alice', env: 'dev' });
  t.equal(dev.clients, 0, 'the token check is not a volume client');
  await t.rejects(r['cpu/'](req('cpu/dev/WRONG', 'alice', 'tcp'), 'dev/WRONG'), { code: 'COLONY_AUTH', message: /wrong or revoked token for environment dev/ });
  await t.rejects(r['cpu/'](req('cpu/a/b/c', 'alice'), 'a/b/c'), { code: 'COLONY_NOT_FOUND' });
});

t.test('proc: unix socket only, for a Colony user', async (t) => {
  const { r } = routes();
  const a = await r.proc(req('proc', 'bob'), '');
  t.match(a, { user: { uname: 'bob' }, route: 'proc' });
  t.match(a.backend, { user: 'bob' });
  await t.rejects(r.proc(req('proc', 'bob', 'tcp'), ''), { code: 'COLONY_PERMISSION', message: /unix socket DATA\/9p\.sock only/ });
  await t.rejects(r.proc(req('proc', 'mallory'), ''), { code: 'COLONY_PERMISSION' });
});

t.test('proc with the peer network: NODE/ENV/PID, this node and the members connected now', async (t) => {
  const caller: Caller = { uid: 0, gid: 0, uname: 'bob', signal: new AbortController().signal };
  const proc = { env: 'dev', owner: 'alice', pid: 42, ppid: 1, uid: 1000, state: 'S', name: 'sh', cmdline: ['sh'], session: 1, rssBytes: 0 };
  const withPeer: ExecService = { ...exec, processes: async () => [proc] };
  let members: ProcSource[] = [];
  const { r } = routes(withPeer, () => members);
  const names = async (a: { backend: Backend; root: unknown }, ...path: string[]) => {
    let n = a.root as Parameters<Backend['walk']>[1];
    for (const p of path) n = await a.backend.walk(caller, n, p);
    return n;
  };
  const a = await r.proc(req('proc', 'bob'), '');
  t.ok(await names(a, 'node-1', 'dev', '42'), 'this node\'s processes under its id, even alone');
  members = [{ node: 'node-2', list: async () => [{ ...proc, pid: 7 }], kill: async () => {} }];
  const b = await r.proc(req('proc', 'bob'), '');
  t.ok(await names(b, 'node-2', 'dev', '7'), 'a member\'s');
  const alone = await routes(withPeer).r.proc(req('proc', 'bob'), '');
  t.ok(await names(alone, 'dev', '42'), 'without the peer network: ENV/PID');
});

t.test('no cpu on this node: one line, after the identity checks', async (t) => {
  const off = routes(unavailableExec('this kernel has no 9p'));
  await t.rejects(off.r['cpu/'](req('cpu/dev', 'alice'), 'dev'), { code: 'COLONY_UNSUPPORTED', message: /cpu is not available on this node: this kernel has no 9p/ });
  await t.rejects(off.r.proc(req('proc', 'alice'), ''), { code: 'COLONY_UNSUPPORTED' });
  await t.rejects(off.r.proc(req('proc', 'alice', 'tcp'), ''), { code: 'COLONY_PERMISSION' }, 'TCP is refused before anything is said about cpu');
  const disabled = routes(null);
  await t.rejects(disabled.r['cpu/'](req('cpu/dev', 'alice'), 'dev'), { code: 'COLONY_UNSUPPORTED', message: /not enabled/ });
  await t.rejects(unavailableExec('x').start('alice', 'dev', {}), { code: 'COLONY_UNSUPPORTED', message: /x/ });
});

t.test('a boom forgets the environment\'s trees and hangs their processes up', async (t) => {
  const { r, trees } = routes();
  const a = await r['cpu/'](req('cpu/dev', 'alice'), 'dev');
  const closed: string[] = [];
  const tree = a.backend as unknown as { close(): void };
  const close = tree.close.bind(tree);
  tree.close = () => { closed.push('dev'); close(); };
  trees.closeEnv('other');
  t.same(closed, []);
  trees.closeEnv('dev');
  t.same(closed, ['dev']);
  t.not((await r['cpu/'](req('cpu/dev', 'alice'), 'dev')).backend, a.backend, 'a new tree after the boom');
});
