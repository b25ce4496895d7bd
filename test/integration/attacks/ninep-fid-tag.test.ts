// fid and tag abuse (issue 12, "keep what held"). A tag reused while its request is still
// outstanding, or a malformed frame on such a tag, leaves the stream beyond repair: the
// connection is closed. Every fid misuse is an EBADF on its own tag and leaves the session
// (and the server's counts) intact. Tflush of an unknown tag is kept by
// test/integration/ninep/ninep-flush.test.ts; a walk to a newfid in use by ninep-version.test.ts.
import t from 'tap';
import { NOFID, NOTAG } from '../../../appliance/ninep/constants.js';
import { E, errnoFor } from '../../../appliance/ninep/errno.js';
import { GatedFs, serve, until } from '../ninep/harness.js';
import { Raw, frame } from './raw9p.js';

async function errno(p: Promise<unknown>): Promise<number> {
  try { await p; return 0; } catch (err) { return errnoFor(err); }
}

/** A server whose file "slow" holds a read outstanding until released, and a raw attached connection with it open as fid 1. */
async function slowSession(t: Parameters<typeof serve>[0]) {
  const fs = new GatedFs();
  fs.makeSlow('slow', 'eventually');
  const s = await serve(t, { fs });
  const r = await Raw.open(s.addr);
  t.teardown(() => r.destroy());
  await r.start();
  r.req({ type: 'Twalk', fid: 0, newfid: 1, names: ['slow'] }, 2);
  await r.reply(2);
  r.req({ type: 'Tlopen', fid: 1, flags: 0 }, 3);
  await r.reply(3);
  return { fs, s, r };
}

t.test('a tag reused while outstanding closes the connection, and what it held is released', async (t) => {
  const { fs, s, r } = await slowSession(t);
  r.req({ type: 'Tread', fid: 1, offset: 0, count: 100 }, 50);
  await until(() => fs.waiting.length === 1, 'the read to reach the backend');
  r.req({ type: 'Tclunk', fid: 1 }, 50);
  t.ok(await r.closedByServer(), 'closed');
  t.same(r.frames, [], 'neither request was answered');
  await until(() => s.server.stats().connections === 0, 'the connection to go');
  t.equal(fs.aborted, 1, 'the outstanding read was aborted');
  t.same(s.server.stats(), { connections: 0, fids: 0, outstanding: 0, locks: 0 });
  t.equal(fs.openHandles, 0, 'the open handle was released');
});

t.test('a malformed frame on an outstanding tag closes the connection', async (t) => {
  const { fs, s, r } = await slowSession(t);
  r.req({ type: 'Tread', fid: 1, offset: 0, count: 100 }, 60);
  await until(() => fs.waiting.length === 1, 'the read to reach the backend');
  r.send(frame(120, 60, Buffer.from([1]))); // a Tclunk cut short, on the busy tag
  t.ok(await r.closedByServer(), 'closed');
  await until(() => s.server.stats().connections === 0, 'the connection to go');
  t.equal(fs.openHandles, 0);
});

t.test('NOTAG outside Tversion: a tag like any other, and two at once close the connection', async (t) => {
  const { fs, r } = await slowSession(t);
  r.req({ type: 'Tflush', oldtag: NOTAG }, 70);
  t.equal((await r.reply(70))?.type, 'Rflush', 'a flush of NOTAG flushes nothing');
  r.req({ type: 'Tread', fid: 1, offset: 0, count: 100 }, NOTAG);
  await until(() => fs.waiting.length === 1, 'the read on NOTAG to reach the backend');
  r.req({ type: 'Tflush', oldtag: NOTAG }, 71);
  t.equal((await r.reply(71))?.type, 'Rflush', 'Tflush(NOTAG) never flushes the request that uses NOTAG');
  t.equal(fs.aborted, 0);
  r.req({ type: 'Tclunk', fid: 0 }, NOTAG);
  t.ok(await r.closedByServer(), 'a second request on the outstanding NOTAG is a reused tag: closed');
});

t.test('fid misuse is EBADF on its tag; the session and the counts stay right', async (t) => {
  const s = await serve(t);
  s.fs.writeFile('f', 'data');
  s.fs.writeFile('d/inner', 'x');
  const c = await s.client();
  const root = await c.attach('mem');
  t.equal(await errno(c.clunk(4242)), E.EBADF, 'clunk of an unknown fid');
  t.equal(await errno(c.getattr(4242)), E.EBADF, 'getattr of an unknown fid');
  t.equal(await errno(c.rpc({ type: 'Tattach', fid: root.fid, afid: NOFID, uname: 'u', aname: 'mem', nUname: 1000 })), E.EBADF, 'attach onto a fid in use');
  t.equal(await errno(c.rpc({ type: 'Twalk', fid: root.fid, newfid: NOFID, names: ['f'] })), E.EBADF, 'a walk to NOFID');
  t.equal(await errno(c.rpc({ type: 'Twalk', fid: NOFID, newfid: 77, names: ['f'] })), E.EBADF, 'a walk from NOFID');

  const f = await c.walk(root.fid, ['f']);
  await c.open(f.fid);
  t.equal(await errno(c.open(f.fid)), E.EBADF, 'opening an open fid');
  t.equal(await errno(c.rpc({ type: 'Twalk', fid: f.fid, newfid: f.fid, names: [] })), E.EBADF, 'a walk onto an open fid (itself)');
  const other = await c.walk(root.fid, ['d']);
  t.equal(await errno(c.rpc({ type: 'Twalk', fid: other.fid, newfid: f.fid, names: ['inner'] })), E.EBADF, 'a walk onto another, open fid');
  t.equal((await c.read(f.fid, 0, 100)).toString(), 'data', 'the open fid is untouched by the refused walks');
  t.equal(s.fs.openHandles, 1);

  await c.clunk(f.fid);
  t.equal(s.fs.openHandles, 0, 'clunk released the handle');
  t.equal(await errno(c.read(f.fid, 0, 10)), E.EBADF, 'read after clunk');
  t.equal(await errno(c.rpc({ type: 'Twrite', fid: f.fid, offset: 0, data: Buffer.from('x') })), E.EBADF, 'write after clunk');
  t.equal(await errno(c.getattr(f.fid)), E.EBADF, 'getattr after clunk');
  t.equal(await errno(c.rpc({ type: 'Twalk', fid: f.fid, newfid: 90, names: [] })), E.EBADF, 'walk from a clunked fid');
  t.equal(await errno(c.clunk(f.fid)), E.EBADF, 'a second clunk');

  // A clunked number may be used again, for something else.
  const again = await c.walk(root.fid, ['d', 'inner'], f.fid);
  await c.open(again.fid);
  t.equal((await c.read(again.fid, 0, 10)).toString(), 'x', 'a clunked fid number is free again');
  t.equal(s.server.stats().fids, 3, 'root, d, and the reused number');
  c.close();
  await until(() => s.server.stats().connections === 0, 'the client to go');
  t.same(s.server.stats(), { connections: 0, fids: 0, outstanding: 0, locks: 0 });
  t.equal(s.fs.openHandles, 0);
});

t.test('clunking a fid while a read on it is outstanding: the handle is released once, nothing leaks', async (t) => {
  const { fs, s, r } = await slowSession(t);
  r.req({ type: 'Tread', fid: 1, offset: 0, count: 100 }, 80);
  await until(() => fs.waiting.length === 1, 'the read to reach the backend');
  r.req({ type: 'Tclunk', fid: 1 }, 81);
  const clunked = await r.reply(81);
  t.equal(clunked?.type, 'Rclunk');
  fs.releaseAll();
  const read = await r.reply(80);
  t.ok(read?.type === 'Rread' || read?.type === 'Rlerror', `the read ends either way (${read?.type})`);
  r.req({ type: 'Tread', fid: 1, offset: 0, count: 100 }, 82);
  t.equal((await r.reply(82))?.type, 'Rlerror', 'the fid is gone');
  t.equal(fs.openHandles, 0, 'the handle was released, once');
  t.equal(s.server.stats().fids, 1, 'only the attach fid is left');
});
