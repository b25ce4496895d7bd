// The proc tree through a real NinepServer and NinepClient: the local source over a fake
// ExecService running real processes, and scripted peer sources.
import t, { type Test } from 'tap';
import { cmdlineBytes, localProcSource, procTree, statusText, type ProcSource, type ProcTreeOptions } from '../../../appliance/exec/proc-tree.js';
import type { ProcessInfo } from '../../../appliance/exec/types.js';
import { notFound } from '../../../appliance/errors.js';
import type { NinepClient } from '../../../appliance/ninep/client.js';
import { L_O_RDONLY, L_O_WRONLY } from '../../../appliance/ninep/constants.js';
import { E, errnoFor } from '../../../appliance/ninep/errno.js';
import { routeTable } from '../../../appliance/ninep/router.js';
import { serve } from '../../integration/ninep/harness.js';
import { fakeExec } from './fake-exec.js';

const ENVS = { debian: { owner: 'alice', invited: ['bob'] }, other: { owner: 'carol' } };

const info = (env: string, pid: number, extra: Partial<ProcessInfo> = {}): ProcessInfo => ({
  env, owner: 'alice', pid, ppid: 1, uid: 0, state: 'S', name: 'sleep', cmdline: ['sleep', '30'], session: 1, rssBytes: 8192, ...extra,
});

/** A source whose list is whatever the test sets, counting calls. */
function scripted(node: string, procs: ProcessInfo[]) {
  const s = {
    node, procs, lists: 0, kills: [] as Array<[string, string, number, NodeJS.Signals | undefined]>,
    hang: false,
    async list(_user: string) { s.lists++; if (s.hang) await new Promise(() => {}); return s.procs.map((p) => ({ ...p })); },
    async kill(user: string, env: string, pid: number, sig?: NodeJS.Signals) {
      s.kills.push([user, env, pid, sig]);
      if (!s.procs.some((p) => p.env === env && p.pid === pid)) throw notFound(`process ${pid}`);
    },
  };
  return s;
}

/** Serves one proc tree per attach uname, as the supervisor would. */
async function serveProc(t: Test, sources: ProcSource[] | (() => ProcSource[]), opts: ProcTreeOptions = {}) {
  const trees = new Map<string, ReturnType<typeof procTree>>();
  const s = await serve(t, {
    router: routeTable({
      proc: async (req) => {
        let tree = trees.get(req.uname);
        if (!tree) { tree = procTree(sources, req.uname, opts); trees.set(req.uname, tree); }
        return { backend: tree, root: tree.root, user: { uid: 1000, gid: 1000, uname: req.uname } };
      },
    }),
  });
  const c = await s.client();
  const as = async (user: string) => (await c.attach('proc', user)).fid;
  return { c, as, trees };
}

async function ls(c: NinepClient, root: number, path: string): Promise<string[]> {
  const f = await c.walkPath(root, path);
  await c.open(f, L_O_RDONLY);
  const names = (await c.readdir(f)).map((e) => e.name).filter((n) => n !== '.' && n !== '..');
  await c.clunk(f);
  return names;
}

async function cat(c: NinepClient, root: number, path: string): Promise<Buffer> {
  const f = await c.walkPath(root, path);
  await c.open(f, L_O_RDONLY);
  const b = await c.readAll(f);
  await c.clunk(f);
  return b;
}

async function ctl(c: NinepClient, root: number, path: string, text: string): Promise<void> {
  const f = await c.walkPath(root, path);
  try {
    await c.open(f, L_O_WRONLY);
    await c.write(f, 0, Buffer.from(text));
  } finally { await c.clunk(f); }
}

t.test('status and cmdline texts', async (t) => {
  t.equal(statusText(info('debian', 42, { name: 'make', rssBytes: 1 << 20 }), 'n1'),
    'name make\nstate S\npid 42\nppid 1\nuid 0\nenv debian\nowner alice\nsession 1\nrss 1048576\nnode n1\n');
  t.same(cmdlineBytes(info('debian', 1, { cmdline: ['sh', '-c', 'echo a b'] })), Buffer.from('sh\0-c\0echo a b\0'));
});

t.test('the local node: ENV/PID/{status,cmdline,ctl}, filtered by user, kill through ctl', async (t) => {
  const exec = fakeExec(t, ENVS);
  const mine = await exec.start('alice', 'debian', { argv: ['sleep', '30'] });
  const theirs = await exec.start('carol', 'other', { argv: ['sleep', '31'] });
  const pid = (await exec.processes('alice'))[0]!.pid;
  const carolPid = (await exec.processes('carol'))[0]!.pid;
  const { c, as } = await serveProc(t, [localProcSource('n1', exec)]);

  const alice = await as('alice');
  t.same(await ls(c, alice, ''), ['debian'], "alice sees her environment, not carol's");
  t.same(await ls(c, alice, 'debian'), [String(pid)]);
  t.same(await ls(c, alice, `debian/${pid}`), ['status', 'cmdline', 'ctl']);
  t.match((await cat(c, alice, `debian/${pid}/status`)).toString(), new RegExp(`^name sleep\nstate S\npid ${pid}\n[^]*env debian\nowner alice\n[^]*node n1\n$`));
  t.same(await cat(c, alice, `debian/${pid}/cmdline`), Buffer.from('sleep\x0030\0'));
  t.equal(await c.walkPath(alice, 'other').then(() => 0, errnoFor), E.ENOENT, "carol's environment is not there for alice");
  t.equal(await c.walkPath(alice, `other/${carolPid}/ctl`).then(() => 0, errnoFor), E.ENOENT);
  t.equal(await c.walkPath(alice, `debian/${carolPid}`).then(() => 0, errnoFor), E.ENOENT, 'nor her pid under an env alice sees');
  t.equal(await c.open(await c.walkPath(alice, `debian/${pid}/status`), L_O_WRONLY).then(() => 0, errnoFor), E.EACCES);
  t.equal(await c.open(await c.walkPath(alice, `debian/${pid}/ctl`), L_O_RDONLY).then(() => 0, errnoFor), E.EACCES);
  t.equal(await ctl(c, alice, `debian/${pid}/ctl`, 'stop now').then(() => 0, errnoFor), E.EINVAL);

  const bob = await as('bob');
  t.same(await ls(c, bob, 'debian'), [String(pid)], 'an invited user sees the environment');
  const carol = await as('carol');
  t.same(await ls(c, carol, ''), ['other']);

  const truncate = { type: 'Tsetattr', valid: 0x8, mode: 0, uid: 0, gid: 0, size: 0, atimeSec: 0, atimeNsec: 0, mtimeSec: 0, mtimeNsec: 0 } as const;
  await c.rpc({ ...truncate, fid: await c.walkPath(alice, `debian/${pid}/ctl`) });
  t.pass('`echo kill > ctl` truncates first: accepted');
  t.equal(await c.rpc({ ...truncate, valid: 0x1, mode: 0o777, fid: await c.walkPath(alice, `debian/${pid}/ctl`) }).then(() => 0, errnoFor), E.EPERM, 'chmod is refused');
  await ctl(c, alice, `debian/${pid}/ctl`, 'kill TERM\n');
  t.same(await mine.exited, { code: null, signal: 'SIGTERM', status: 143 });
  t.same(await ls(c, alice, ''), [], 'a kill drops the cached list at once: no process, no environment directory');
  t.equal(exec.running.has(theirs.id), true, "carol's process is untouched");
});

t.test("a tree never shows what the user may not see, even when a source would", async (t) => {
  const leaky = scripted('n1', [info('debian', 10), info('secret', 11, { owner: 'carol' })]);
  const { c, as } = await serveProc(t, [leaky], { visible: (user, p) => p.owner === user });
  const alice = await as('alice');
  t.same(await ls(c, alice, ''), ['debian']);
  t.equal(await c.walkPath(alice, 'secret/11/status').then(() => 0, errnoFor), E.ENOENT);
  const carol = await as('carol');
  t.same(await ls(c, carol, ''), ['secret'], 'trees are per user: no cache is shared between users');
});

t.test('what a source sends is checked before it becomes a name', async (t) => {
  const bad = scripted('n1', [info('..', 1), info('a/b', 2), info('', 3), info('ok', -4), info('ok', 5)]);
  const { c, as } = await serveProc(t, [bad]);
  const root = await as('alice');
  t.same(await ls(c, root, ''), ['ok']);
  t.same(await ls(c, root, 'ok'), ['5']);
});

t.test('several nodes: NODE/ENV/PID, each from its own source', async (t) => {
  const exec = fakeExec(t, ENVS);
  await exec.start('alice', 'debian', { argv: ['sleep', '30'] });
  const pid = (await exec.processes('alice'))[0]!.pid;
  const peer = scripted('n2', [info('web', 77, { cmdline: ['nginx'] })]);
  const sources: ProcSource[] = [localProcSource('n1', exec)];
  const { c, as } = await serveProc(t, () => sources);
  const root = await as('alice');
  t.same(await ls(c, root, ''), ['debian'], 'one node: no NODE level');
  sources.push(peer);
  t.same(await ls(c, root, ''), ['n1', 'n2'], 'with a peer, every node gets a directory');
  t.same(await ls(c, root, 'n1/debian'), [String(pid)]);
  t.same(await cat(c, root, 'n2/web/77/cmdline'), Buffer.from('nginx\0'));
  t.match((await cat(c, root, 'n2/web/77/status')).toString(), /\nnode n2\n$/);
  await ctl(c, root, 'n2/web/77/ctl', 'kill');
  t.same(peer.kills, [['alice', 'web', 77, 'SIGKILL']], 'ctl goes to the node that has the process');
  peer.hang = true;
  sources.pop();
  t.equal(await c.walkPath(root, 'n2').then(() => 0, errnoFor), E.ENOENT, 'a node that left is gone');
});

t.test('status and listings may be a second old; ctl is never cached', async (t) => {
  let now = 1_000_000;
  const src = scripted('n1', [info('debian', 10)]);
  const { c, as, trees } = await serveProc(t, [src], { now: () => now });
  const root = await as('alice');
  t.match((await cat(c, root, 'debian/10/status')).toString(), /state S/);
  const lists = src.lists;
  src.procs = [info('debian', 10, { state: 'R' }), info('debian', 12)];
  now += 1000;
  t.match((await cat(c, root, 'debian/10/status')).toString(), /state S/, 'at 1 s old the cache still answers');
  t.same(await ls(c, root, 'debian'), ['10']);
  t.equal(src.lists, lists, 'no list() while fresh');
  now += 1;
  t.match((await cat(c, root, 'debian/10/status')).toString(), /state R/, 'older than 1 s: asked again');
  t.same(await ls(c, root, 'debian'), ['10', '12']);
  t.equal(src.lists, lists + 1);
  t.equal(trees.get('alice')!.lists, src.lists);

  // ctl: every write reaches the source, fresh cache or not, and its answer is the write's.
  const f = await c.walkPath(root, 'debian/12/ctl');
  await c.open(f, L_O_WRONLY);
  await c.write(f, 0, Buffer.from('kill INT'));
  src.procs = [info('debian', 10)];
  t.equal(await c.write(f, 0, Buffer.from('kill')).then(() => 0, errnoFor), E.ENOENT, "the source's refusal, not a cached yes");
  t.same(src.kills.map((k) => k[3]), ['SIGINT', 'SIGKILL']);
});

t.test('a slow source: the waiting walk honours Tflush; askers share one list()', async (t) => {
  const src = scripted('n1', [info('debian', 10)]);
  src.hang = true;
  const { c, as } = await serveProc(t, [src]);
  const root = await as('alice');
  const a = c.request({ type: 'Twalk', fid: root, newfid: c.allocFid(), names: ['debian'] });
  const b = c.request({ type: 'Twalk', fid: root, newfid: c.allocFid(), names: ['debian'] });
  const ra = a.reply.then(() => 'replied', () => 'flushed');
  const rb = b.reply.then(() => 'replied', () => 'flushed');
  await new Promise((r) => setTimeout(r, 30));
  t.equal(src.lists, 1, 'one list() for both');
  await c.flush(a.tag);
  await c.flush(b.tag);
  t.equal(await ra, 'flushed');
  t.equal(await rb, 'flushed');
});
