import t from 'tap';
import { NinepClient } from '../../../appliance/ninep/client.js';
import { encode } from '../../../appliance/ninep/codec.js';
import { NOFID, NOTAG } from '../../../appliance/ninep/constants.js';
import { E } from '../../../appliance/ninep/errno.js';
import { serve } from './harness.js';
import { createConnection } from 'node:net';

t.test('9P2000.L and 9P2000 are negotiated; msize is clamped to the smaller of the two', async (t) => {
  const s = await serve(t, { maxMsize: 1024 * 1024 });
  const c = await s.client({ msize: 8192 });
  t.equal(c.msize, 8192, 'the client asked for less: it gets that');
  t.equal(c.dialect, '9P2000.L');
  const big = await NinepClient.connect(s.addr, { msize: 16 * 1024 * 1024 });
  t.teardown(() => big.close());
  t.equal(big.msize, 1024 * 1024, 'the client asked for more: it gets our 1 MiB');
  const p = await s.client({ version: '9P2000' });
  t.equal(p.dialect, '9P2000');
  const u = await s.client({ version: '9P2000.u' });
  t.equal(u.dialect, '9P2000', '9P2000.u is answered with plain 9P2000 (version(5) allows a stripped suffix)');
});

t.test('an unknown version is answered with "unknown", and nothing else works until a good one', async (t) => {
  const s = await serve(t);
  const c = await s.client();
  t.same(await c.version(8192, 'HTTP/1.1'), { msize: 8192, version: 'unknown' });
  t.same(await c.version(8192, '9P1999'), { msize: 8192, version: 'unknown' });
  const r = await c.request({ type: 'Tattach', fid: 1, afid: NOFID, uname: 'u', aname: 'mem', nUname: 0 }).reply;
  t.equal(r.type, 'Rerror', 'before a version is agreed, errors are 9P2000 strings');
  t.same(await c.version(8192, '9P2000.L'), { msize: 8192, version: '9P2000.L' });
  await c.attach('mem');
  const tiny = await c.request({ type: 'Tversion', msize: 100, version: '9P2000.L' }, NOTAG).reply;
  t.equal(tiny.type, 'Rlerror', 'an msize too small to be useful is refused');
});

t.test('Tversion resets the session: every fid is clunked', async (t) => {
  const s = await serve(t);
  s.fs.writeFile('f', 'x');
  const c = await s.client();
  const root = await c.attach('mem');
  const f = await c.walk(root.fid, ['f']);
  await c.open(f.fid);
  t.equal(s.fs.openHandles, 1);
  await c.version(65536, '9P2000.L');
  t.equal(s.fs.openHandles, 0, 'the open handle was released');
  t.equal(s.server.stats().fids, 0);
  await t.rejects(c.getattr(root.fid), { code: 'COLONY_CLOSED' }, 'the old fid is gone (EBADF)');
});

t.test('errors are Rlerror errnos in .L and Rerror strings in 9P2000', async (t) => {
  const s = await serve(t);
  s.fs.writeFile('file', 'x');
  s.fs.writeFile('dir/inner', 'y');
  const c = await s.client();
  const root = await c.attach('mem');
  const errno = async (p: Promise<unknown>) => {
    try { await p; return 0; } catch (err) { return (await import('../../../appliance/ninep/errno.js')).errnoFor(err); }
  };
  t.equal(await errno(c.walk(root.fid, ['missing'])), E.ENOENT);
  t.equal(await errno(c.mkdir(root.fid, 'file')), E.EEXIST);
  t.equal(await errno(c.rpc({ type: 'Tunlinkat', dirfid: root.fid, name: 'dir', flags: 0x200 })), E.ENOTEMPTY);
  t.equal(await errno(c.rpc({ type: 'Tunlinkat', dirfid: root.fid, name: 'dir', flags: 0 })), E.EISDIR);
  const file = await c.walk(root.fid, ['file']);
  t.equal(await errno(c.mkdir(file.fid, 'x')), E.ENOTDIR);
  t.equal(await errno(c.rpc({ type: 'Tlink', dfid: root.fid, fid: (await c.walk(root.fid, ['dir'])).fid, name: 'l' })), E.EPERM);
  t.equal(await errno(c.walk(root.fid, ['a/b'])), E.EINVAL);
  t.equal(await errno(c.walk(root.fid, ['x'.repeat(300)])), E.ENAMETOOLONG);
  t.equal(await errno(c.read(file.fid, 0, 10)), E.EBADF, 'reading an unopened fid');
  t.equal(await errno(c.rpc({ type: 'Tauth', afid: 5, uname: 'u', aname: 'mem', nUname: 0 })), E.ENOENT, 'no authentication is needed');
  t.equal(await errno(c.attach('nowhere')), E.ENOENT, 'unknown aname');
  t.equal(await errno(c.rpc({ type: 'Tstat', fid: root.fid })), E.EOPNOTSUPP, '9P2000-only requests are refused in .L');

  const p = await s.client({ version: '9P2000' });
  const proot = await p.attach('mem');
  const r = await p.request({ type: 'Twalk', fid: proot.fid, newfid: 99, names: ['missing'] }).reply;
  t.same(r, { type: 'Rerror', tag: r.tag, ename: 'file does not exist' });
  const l = await p.request({ type: 'Tlopen', fid: proot.fid, flags: 0 }).reply;
  t.equal(l.type, 'Rerror', '.L-only requests are refused in 9P2000');
});

t.test('walks: 16 names at most, partial walks, "." and ".." never leave the attach root', async (t) => {
  const s = await serve(t);
  s.fs.writeFile('a/b/c', 'deep');
  const c = await s.client();
  const root = await c.attach('mem');
  const seventeen = Array.from({ length: 17 }, () => '.');
  await t.rejects(c.rpc({ type: 'Twalk', fid: root.fid, newfid: 50, names: seventeen }), { code: 'COLONY_INVALID' });
  const sixteen = await c.rpc({ type: 'Twalk', fid: root.fid, newfid: 51, names: seventeen.slice(1) });
  t.equal(sixteen.qids.length, 16);
  const partial = await c.rpc({ type: 'Twalk', fid: root.fid, newfid: 52, names: ['a', 'nope', 'c'] });
  t.equal(partial.qids.length, 1, 'a partial walk returns the qids it got');
  await t.rejects(c.getattr(52), { code: 'COLONY_CLOSED' }, 'and newfid is not created');
  const up = await c.rpc({ type: 'Twalk', fid: root.fid, newfid: 53, names: ['..', '..', 'a', 'b', '..', '.'] });
  t.equal(up.qids.length, 6);
  t.same(up.qids[1], root.qid, '.. at the root stays at the root');
  t.same(up.qids[5], up.qids[2], 'a/b/.. is a');
  await t.rejects(c.rpc({ type: 'Twalk', fid: root.fid, newfid: 53, names: [] }), { code: 'COLONY_CLOSED' }, 'newfid in use (EBADF)');
  const clone = await c.rpc({ type: 'Twalk', fid: root.fid, newfid: 54, names: [] });
  t.same(clone.qids, [], 'a clone walk');
  await t.rejects(c.rpc({ type: 'Twalk', fid: root.fid, newfid: 55, names: ['a\0b'] }), { code: 'COLONY_INVALID' });
});

t.test('a raw client that speaks before Tversion, or sends a bad size, is handled', async (t) => {
  const s = await serve(t);
  const sock = createConnection(s.addr);
  await new Promise((r) => sock.once('connect', r));
  const got: Buffer[] = [];
  sock.on('data', (b) => got.push(b));
  sock.write(encode({ type: 'Tclunk', tag: 1, fid: 1 }));
  sock.write(Buffer.from([0xff, 0xff, 0xff, 0x7f, 100, 0, 0])); // 2 GiB frame: over msize
  await new Promise((r) => sock.once('close', r));
  const reply = Buffer.concat(got);
  t.equal(reply[4], 107, 'Rerror for the request before Tversion');
  t.equal(reply.length, reply.readUInt32LE(0), 'then the oversized frame closed the connection, with nothing after the Rerror');
  t.ok(sock.destroyed, 'the server closed the socket');
});
