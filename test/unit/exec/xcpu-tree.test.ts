// The xcpu tree through a real NinepServer and NinepClient over a unix socket, with real
// child processes behind a fake ExecService.
import t, { type Test } from 'tap';
import { SessionBudget, xcpuTree, type XcpuOptions } from '../../../appliance/exec/xcpu.js';
import type { NinepClient } from '../../../appliance/ninep/client.js';
import { L_O_RDONLY, L_O_RDWR, L_O_WRONLY } from '../../../appliance/ninep/constants.js';
import { E, errnoFor } from '../../../appliance/ninep/errno.js';
import { routeTable } from '../../../appliance/ninep/router.js';
import { serve, until } from '../../integration/ninep/harness.js';
import { fakeExec, type FakeExec } from './fake-exec.js';

const ENVS = { debian: { owner: 'alice', invited: ['bob'] }, other: { owner: 'carol' } };

async function setup(t: Test, opts: XcpuOptions & { user?: string; env?: string } = {}) {
  const exec = fakeExec(t, ENVS);
  const tree = xcpuTree(exec, opts.user ?? 'alice', opts.env ?? 'debian', opts);
  t.teardown(() => tree.close());
  const s = await serve(t, { router: routeTable({ 'cpu/': async (req) => ({ backend: tree, root: tree.root, user: { uid: 1000, gid: 1000, uname: req.uname } }) }) });
  const c = await s.client();
  const root = (await c.attach('cpu/debian', 'alice')).fid;
  return { exec, tree, c, root };
}

/** Opens clone: the new session's number and the fid, which then acts as its ctl. */
async function clone(c: NinepClient, root: number): Promise<{ n: string; ctl: number }> {
  const ctl = await c.walkPath(root, 'clone');
  await c.open(ctl, L_O_RDWR);
  const n = (await c.read(ctl, 0, 64)).toString();
  t.match(n, /^[0-9]+\n$/);
  return { n: n.trim(), ctl };
}

async function openFile(c: NinepClient, root: number, path: string, flags = L_O_RDONLY): Promise<number> {
  const f = await c.walkPath(root, path);
  await c.open(f, flags);
  return f;
}

const ctlWrite = (c: NinepClient, fid: number, text: string) => c.write(fid, 0, Buffer.from(text));
const readText = async (c: NinepClient, root: number, path: string) => (await c.readAll(await openFile(c, root, path))).toString();

t.test('exec a command: stdout, stderr and the exit status arrive separately', async (t) => {
  const { c, root } = await setup(t);
  const { n, ctl } = await clone(c, root);
  t.equal(n, '0');
  await ctlWrite(c, ctl, "exec sh -c 'echo hi; echo err >&2; exit 3'\n");
  t.equal(await readText(c, root, `${n}/stdout`), 'hi\n');
  t.equal(await readText(c, root, `${n}/stderr`), 'err\n');
  t.equal(await readText(c, root, `${n}/wait`), '3\n');
  t.equal((await c.readAll(ctl)).toString(), `${n}\n`, 'the clone fid still reads its number');
  const state = await readText(c, root, `${n}/ctl`);
  t.match(state, /^session 0\nenvironment debian\nstate exited\nargv sh -c 'echo hi; echo err >&2; exit 3'\n/);
  t.match(state, /\nexit 3\n/);
  t.equal(await readText(c, root, `${n}/status`), state, 'status reads as ctl does');
});

t.test('env and cwd before exec; not after', async (t) => {
  const { exec, c, root } = await setup(t);
  const { n, ctl } = await clone(c, root);
  const nctl = await openFile(c, root, `${n}/ctl`, L_O_WRONLY);
  await ctlWrite(c, nctl, "env GREETING='hello there'\ncwd /tmp\n");
  await ctlWrite(c, ctl, 'exec sh -c \'echo "$GREETING"; pwd\'');
  t.equal(await readText(c, root, `${n}/stdout`), 'hello there\n/tmp\n');
  t.same(exec.starts[0], { argv: ['sh', '-c', 'echo "$GREETING"; pwd'], env: { GREETING: 'hello there' }, cwd: '/tmp' });
  t.equal(await ctlWrite(c, nctl, 'env X=1').then(() => 0, errnoFor), E.EINVAL, 'env after exec');
  t.equal(await ctlWrite(c, nctl, 'exec true').then(() => 0, errnoFor), E.EINVAL, 'a second exec');
  t.equal(await ctlWrite(c, nctl, 'frobnicate').then(() => 0, errnoFor), E.EINVAL, 'an unknown command');
  t.equal(await readText(c, root, `${n}/wait`), '0\n');
});

t.test('stdin reaches the process; releasing the last writer closes it', async (t) => {
  const { c, root } = await setup(t);
  const { n, ctl } = await clone(c, root);
  await ctlWrite(c, ctl, 'exec cat');
  const stdin = await openFile(c, root, `${n}/stdin`, L_O_WRONLY);
  const stdout = await openFile(c, root, `${n}/stdout`);
  await c.write(stdin, 0, Buffer.from('hello\n'));
  t.equal((await c.read(stdout, 0, 100)).toString(), 'hello\n', 'a read returns what has arrived so far');
  const pending = c.read(stdout, 6, 100);
  await c.write(stdin, 6, Buffer.from('again\n'));
  t.equal((await pending).toString(), 'again\n', 'a blocked read wakes when output comes');
  await c.clunk(stdin);
  t.equal((await c.read(stdout, 12, 100)).length, 0, 'EOF once stdin is closed and cat is done');
  t.equal(await readText(c, root, `${n}/wait`), '0\n');
  const late = await openFile(c, root, `${n}/stdin`, L_O_WRONLY);
  t.equal(await c.write(late, 0, Buffer.from('x')).then(() => 0, errnoFor), E.EBADF, 'stdin stays closed');
});

t.test('eof on ctl closes stdin too', async (t) => {
  const { c, root } = await setup(t);
  const { n, ctl } = await clone(c, root);
  await ctlWrite(c, ctl, 'exec sh -c \'wc -c\'');
  const stdin = await openFile(c, root, `${n}/stdin`, L_O_WRONLY);
  await c.write(stdin, 0, Buffer.from('12345'));
  await ctlWrite(c, ctl, 'eof');
  t.equal((await readText(c, root, `${n}/stdout`)).trim(), '5');
  t.equal(await readText(c, root, `${n}/wait`), '0\n');
});

t.test('kill: SIGKILL by default, or a named signal', async (t) => {
  const { c, root } = await setup(t);
  const a = await clone(c, root);
  await ctlWrite(c, a.ctl, 'exec sleep 30');
  t.equal(await ctlWrite(c, (await clone(c, root)).ctl, 'kill').then(() => 0, errnoFor), E.EINVAL, 'kill before exec');
  const wait = openFile(c, root, `${a.n}/wait`).then((f) => c.readAll(f));
  await ctlWrite(c, a.ctl, 'kill');
  t.equal((await wait).toString(), '137 SIGKILL\n');
  const b = await clone(c, root);
  await ctlWrite(c, b.ctl, 'exec sleep 30\nkill TERM\n');
  t.equal(await readText(c, root, `${b.n}/wait`), '143 SIGTERM\n');
  await ctlWrite(c, b.ctl, 'kill');
  t.pass('kill after exit is harmless');
});

t.test('a flushed stdout read returns EINTR and the session carries on', async (t) => {
  const { exec, c, root } = await setup(t);
  const { n, ctl } = await clone(c, root);
  await ctlWrite(c, ctl, 'exec cat');
  const stdout = await openFile(c, root, `${n}/stdout`);
  const { tag, reply } = c.request({ type: 'Tread', fid: stdout, offset: 0, count: 100 });
  await until(() => exec.running.size === 1, 'cat to start');
  await new Promise((r) => setTimeout(r, 50));
  await c.flush(tag);
  t.equal(await reply.then(() => 'replied', () => 'flushed'), 'flushed', 'the blocked read was flushed, not answered');
  const stdin = await openFile(c, root, `${n}/stdin`, L_O_WRONLY);
  await c.write(stdin, 0, Buffer.from('after flush\n'));
  t.equal((await c.read(stdout, 0, 100)).toString(), 'after flush\n', 'no bytes were lost to the flushed read');
  await c.clunk(stdin);
  t.equal(await readText(c, root, `${n}/wait`), '0\n');
});

t.test('reads before exec wait for it', async (t) => {
  const { c, root } = await setup(t);
  const { n, ctl } = await clone(c, root);
  const out = openFile(c, root, `${n}/stdout`).then((f) => c.readAll(f));
  const wait = openFile(c, root, `${n}/wait`).then((f) => c.readAll(f));
  await new Promise((r) => setTimeout(r, 30));
  await ctlWrite(c, ctl, 'exec echo late');
  t.equal((await out).toString(), 'late\n');
  t.equal((await wait).toString(), '0\n');
});

t.test('a missing program exits 127 with a line on stderr', async (t) => {
  const { c, root } = await setup(t);
  const { n, ctl } = await clone(c, root);
  await ctlWrite(c, ctl, 'exec no-such-program-here');
  t.equal(await readText(c, root, `${n}/wait`), '127\n');
  t.match(await readText(c, root, `${n}/stderr`), /no-such-program-here/);
});

t.test("exec follows the service's ownership: refused users, unknown environments", async (t) => {
  const mallory = await setup(t, { user: 'mallory' });
  const m = await clone(mallory.c, mallory.root);
  t.equal(await ctlWrite(mallory.c, m.ctl, 'exec true').then(() => 0, errnoFor), E.EACCES);
  t.match(await readText(mallory.c, mallory.root, `${m.n}/ctl`), /state new\n[^]*error mallory may not run processes in debian\n/);
  const bob = await setup(t, { user: 'bob' });
  const b = await clone(bob.c, bob.root);
  await ctlWrite(bob.c, b.ctl, 'exec true');
  t.equal(await readText(bob.c, bob.root, `${b.n}/wait`), '0\n', 'an invited user may');
  const nowhere = await setup(t, { env: 'gone' });
  const g = await clone(nowhere.c, nowhere.root);
  t.equal(await ctlWrite(nowhere.c, g.ctl, 'exec true').then(() => 0, errnoFor), E.ENOENT);
});

t.test('files refuse the wrong direction; the tree takes no new names', async (t) => {
  const { c, root } = await setup(t);
  const { n } = await clone(c, root);
  for (const f of ['stdout', 'stderr', 'wait', 'status']) {
    t.equal(await c.open(await c.walkPath(root, `${n}/${f}`), L_O_WRONLY).then(() => 0, errnoFor), E.EACCES, f);
  }
  t.equal(await c.open(await c.walkPath(root, `${n}/stdin`), L_O_RDONLY).then(() => 0, errnoFor), E.EACCES);
  t.equal(await c.walkPath(root, `${n}/nope`).then(() => 0, errnoFor), E.ENOENT);
  t.equal(await c.walkPath(root, '99').then(() => 0, errnoFor), E.ENOENT);
  t.equal(await c.mkdir(root, 'x').then(() => 0, errnoFor), E.EROFS);
  const dir = await openFile(c, root, n);
  t.same((await c.readdir(dir)).map((e) => e.name), ['.', '..', 'ctl', 'stdin', 'stdout', 'stderr', 'wait', 'status']);
  t.equal((await c.getattr(await c.walkPath(root, `${n}/stdin`))).mode & 0o777, 0o200);
  // `echo … > ctl` truncates first: that must succeed.
  await c.rpc({ type: 'Tsetattr', fid: await c.walkPath(root, `${n}/ctl`), valid: 0x8, mode: 0, uid: 0, gid: 0, size: 0, atimeSec: 0, atimeNsec: 0, mtimeSec: 0, mtimeNsec: 0 });
});

t.test('sessions are listed, reaped after exit once unused, and bounded per user', async (t) => {
  const budget = new SessionBudget(2);
  const { tree, c, root } = await setup(t, { budget, lingerMs: 30 });
  const a = await clone(c, root);
  const b = await clone(c, root);
  const rootDir = await openFile(c, root, '');
  t.same((await c.readdir(rootDir)).map((e) => e.name), ['.', '..', 'clone', '0', '1']);
  t.equal(await clone(c, root).then(() => 0, errnoFor), E.EMFILE, 'a third session is over the limit');
  await ctlWrite(c, a.ctl, 'exec sleep 30');
  await c.clunk(a.ctl);
  await c.clunk(b.ctl);
  await until(() => tree.sessionIds.length === 1, 'the never-started session to be reaped');
  t.same(tree.sessionIds, [0], 'a running session stays with no fid open');
  const ctl0 = await openFile(c, root, '0/ctl', L_O_WRONLY);
  await ctlWrite(c, ctl0, 'kill');
  await new Promise((r) => setTimeout(r, 60));
  t.same(tree.sessionIds, [0], 'an open ctl fid keeps the exited session');
  await c.clunk(ctl0);
  await until(() => tree.sessionIds.length === 0, 'the killed session to be reaped once its fids are gone');
  t.equal(budget.inUse('alice'), 0);
  t.equal((await clone(c, root)).n, '2', 'numbers are not reused');
  t.equal(await c.walkPath(root, '0/wait').then(() => 0, errnoFor), E.ENOENT);
});

t.test('an open fid keeps an exited session', async (t) => {
  const { tree, c, root } = await setup(t, { lingerMs: 10 });
  const { n, ctl } = await clone(c, root);
  await ctlWrite(c, ctl, 'exec true');
  const wait = await openFile(c, root, `${n}/wait`);
  await c.clunk(ctl);
  t.equal((await c.readAll(wait)).toString(), '0\n');
  await new Promise((r) => setTimeout(r, 50));
  t.same(tree.sessionIds, [0]);
  await c.clunk(wait);
  await until(() => tree.sessionIds.length === 0, 'reap');
});

t.test('output nobody reads backpressures the process, not the server', async (t) => {
  const { exec, c, root } = await setup(t);
  const { n, ctl } = await clone(c, root);
  const size = 4 * 1024 * 1024;
  await ctlWrite(c, ctl, `exec sh -c 'head -c ${size} /dev/zero; echo done >&2'`);
  await new Promise((r) => setTimeout(r, 300));
  const child = [...exec.running.values()][0]!;
  t.ok(child, 'still running: blocked on its full pipe');
  t.ok(child.child.stdout!.readableLength <= 256 * 1024, `buffered ${child.child.stdout!.readableLength} bytes`);
  t.match(await readText(c, root, `${n}/ctl`), /state running/);
  t.equal((await c.readAll(await openFile(c, root, `${n}/stdout`))).length, size);
  t.equal(await readText(c, root, `${n}/wait`), '0\n');
});

t.test('close hangs up running sessions', async (t) => {
  const { exec, tree, c, root } = await setup(t);
  const { ctl } = await clone(c, root);
  await ctlWrite(c, ctl, 'exec sleep 30');
  const proc = [...exec.running.values()][0]!.proc;
  tree.close();
  t.same(await proc.exited, { code: null, signal: 'SIGHUP', status: 129 });
  t.equal(await clone(c, root).then(() => 0, errnoFor), E.EBADF, 'no new sessions');
});

t.test('when the last client detaches, running sessions are hung up', async (t) => {
  const exec = fakeExec(t, ENVS);
  const tree = xcpuTree(exec, 'alice', 'debian');
  t.teardown(() => tree.close());
  const s = await serve(t, {
    router: routeTable({ 'cpu/': async (req) => ({ backend: tree, root: tree.root, user: { uid: 1000, gid: 1000, uname: req.uname }, detach: tree.retain() }) }),
  });
  const first = await s.client();
  const second = await s.client();
  const r1 = (await first.attach('cpu/debian', 'alice')).fid;
  await second.attach('cpu/debian', 'alice');
  const { ctl } = await clone(first, r1);
  await ctlWrite(first, ctl, 'exec sleep 30');
  const proc = [...exec.running.values()][0]!.proc;
  first.close();
  await new Promise((r) => setTimeout(r, 100));
  t.same(tree.sessionIds, [0], 'another client is still attached: the session stays');
  second.close();
  t.same(await proc.exited, { code: null, signal: 'SIGHUP', status: 129 });
  t.same(tree.sessionIds, []);
});
