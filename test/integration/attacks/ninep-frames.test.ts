// Malformed 9P frames and msize extremes (issue 12, "keep what held"). The CI fuzz
// (test/integration/ninep/ninep-fuzz.test.ts) throws 100k random frames and checks only that
// each is answered or ends the connection; this file pins each attack to its exact outcome:
// a frame whose size field cannot be trusted ends the connection without a reply; a frame
// that is framed right but wrong inside gets an error on its tag and the connection lives on;
// msize below 512 is refused, above the server's bound it is clamped.
import t from 'tap';
import { encode } from '../../../appliance/ninep/codec.js';
import { NOTAG } from '../../../appliance/ninep/constants.js';
import { serve } from '../ninep/harness.js';
import { Raw, frame } from './raw9p.js';

const isError = (m: { type: string } | undefined) => m?.type === 'Rlerror' || m?.type === 'Rerror';

/** The connection still answers: a Tgetattr-free check that works before and after attach. */
async function alive(r: Raw, tag = 4000): Promise<boolean> {
  r.req({ type: 'Tflush', oldtag: 1234 }, tag);
  return (await r.reply(tag))?.type === 'Rflush';
}

t.test('a size field below the 7-byte header ends the connection with no reply', async (t) => {
  const s = await serve(t);
  for (const size of [0, 1, 4, 6]) {
    for (const when of ['before Tversion', 'after attach']) {
      const r = await Raw.open(s.addr);
      t.teardown(() => r.destroy());
      if (when === 'after attach') await r.start();
      r.frames = [];
      r.send(frame(100, 7, Buffer.alloc(16), size));
      t.ok(await r.closedByServer(), `size ${size} ${when}: closed`);
      t.same(r.frames, [], `size ${size} ${when}: nothing answered`);
    }
  }
  t.equal(s.server.stats().fids, 0, 'the attach fids went with their connections');
});

t.test('a size field over msize ends the connection before the body is buffered', async (t) => {
  const s = await serve(t);
  for (const size of [8193, 65536, 2 ** 31, 2 ** 32 - 1]) {
    const r = await Raw.open(s.addr);
    t.teardown(() => r.destroy());
    await r.start('mem', 8192);
    r.send(frame(118, 9, Buffer.alloc(64), size)); // Tread's type, a body far short of the size
    t.ok(await r.closedByServer(), `size ${size} over msize 8192: closed`);
    t.same(r.frames, [], 'nothing answered');
  }
});

t.test('Tversion msize extremes: 0 and 511 refused, 512 accepted, 2^32-1 clamped', async (t) => {
  const s = await serve(t, { maxMsize: 256 * 1024 });
  const r = await Raw.open(s.addr);
  t.teardown(() => r.destroy());
  for (const msize of [0, 1, 7, 511]) {
    r.req({ type: 'Tversion', msize, version: '9P2000.L' }, NOTAG);
    const m = await r.reply(NOTAG, '9P2000');
    t.ok(isError(m), `msize ${msize} is refused (${m?.type})`);
  }
  r.req({ type: 'Tversion', msize: 512, version: '9P2000.L' }, NOTAG);
  t.match(await r.reply(NOTAG), { type: 'Rversion', msize: 512, version: '9P2000.L' }, 'msize 512, the smallest useful, is accepted');
  // Nothing bigger than the agreed 512 may now come in.
  r.req({ type: 'Tversion', msize: 2 ** 32 - 1, version: '9P2000.L' }, NOTAG);
  t.match(await r.reply(NOTAG), { type: 'Rversion', msize: 256 * 1024 }, 'msize 2^32-1 is clamped to the server\'s bound');
  r.req({ type: 'Tattach', fid: 0, afid: 0xffffffff, uname: 'u', aname: 'mem', nUname: 1000 }, 1);
  t.equal((await r.reply(1))?.type, 'Rattach');
  r.send(frame(118, 2, Buffer.alloc(8), 256 * 1024 + 1));
  t.ok(await r.closedByServer(), 'one byte over the clamped msize ends the connection');
});

t.test('unknown types and replies sent as requests get an error on their tag; the connection lives', async (t) => {
  const s = await serve(t);
  const r = await Raw.open(s.addr);
  t.teardown(() => r.destroy());
  await r.start();
  let tag = 10;
  for (const type of [0, 1, 6, 99, 99 + 1 + 1 /* Rversion */, 127, 200, 255]) {
    r.send(frame(type, ++tag, Buffer.alloc(type === 101 ? 0 : 12, 0xaa)));
    const m = await r.reply(tag);
    t.ok(isError(m), `type ${type}: ${m?.type}`);
  }
  r.send(frame(101, ++tag, encode({ type: 'Rversion', tag: 0, msize: 8192, version: '9P2000.L' }).subarray(7)));
  t.ok(isError(await r.reply(tag)), 'a well-formed Rversion sent as a request is an error');
  t.ok(await alive(r), 'the connection still answers');
  t.equal(s.server.stats().connections, 1);
});

t.test('strings and counts with bad lengths get an error on their tag; nothing is allocated from them', async (t) => {
  const s = await serve(t);
  s.fs.writeFile('f', 'x');
  const r = await Raw.open(s.addr);
  t.teardown(() => r.destroy());
  await r.start();
  const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(n); return b; };
  const u16 = (n: number) => { const b = Buffer.alloc(2); b.writeUInt16LE(n); return b; };
  const walk = (parts: Buffer[]) => Buffer.concat([u32(0), u32(5), ...parts]);
  const cases: Array<[string, number, Buffer]> = [
    ['a walk name whose length runs past the frame', 110, walk([u16(1), u16(0xffff), Buffer.from('abc')])],
    ['a walk claiming 16 names with none there', 110, walk([u16(16)])],
    ['a walk claiming 65535 names', 110, walk([u16(0xffff), u16(1), Buffer.from('a')])],
    ['a walk name that is not UTF-8', 110, walk([u16(1), u16(2), Buffer.from([0xc3, 0x28])])],
    ['a walk name with a NUL', 110, walk([u16(1), u16(3), Buffer.from('a\0b')])],
    ['a walk name with a slash', 110, walk([u16(1), u16(3), Buffer.from('a/b')])],
    ['a walk of "..", ".." names after a bad one', 110, walk([u16(2), u16(2), Buffer.from('..'), u16(9), Buffer.from('..')])],
    ['an attach uname longer than the frame', 104, Buffer.concat([u32(7), u32(0xffffffff), u16(60000), Buffer.from('u')])],
    ['a Tversion string longer than the frame', 100, Buffer.concat([u32(8192), u16(300), Buffer.from('9P2000.L')])],
    ['a Twrite count larger than its data', 118, Buffer.concat([u32(0), Buffer.alloc(8), u32(1 << 20), Buffer.from('abc')])],
    ['a Tread missing its count', 116, Buffer.concat([u32(0), Buffer.alloc(8)])],
    ['trailing bytes after a Tclunk', 120, Buffer.concat([u32(99), Buffer.alloc(5, 1)])],
    ['a Tclunk cut short', 120, Buffer.from([1, 2])],
    ['a Tlcreate name of 65535 bytes claimed, 1 given', 14, Buffer.concat([u32(0), u16(0xffff), Buffer.from('n')])],
  ];
  let tag = 100;
  for (const [why, type, body] of cases) {
    r.send(frame(type, ++tag, body));
    const m = await r.reply(tag);
    t.ok(isError(m), `${why}: ${m?.type}`);
  }
  t.ok(await alive(r), 'the connection still answers');
  t.equal(s.server.stats().fids, 1, 'no fid was made by a malformed walk or attach');
});

t.test('after all that, the server still serves a new client', async (t) => {
  const s = await serve(t);
  s.fs.writeFile('f', 'still here');
  const bad = await Raw.open(s.addr);
  bad.send(frame(100, 1, Buffer.alloc(3), 5));
  await bad.closedByServer();
  const c = await s.client();
  const root = await c.attach('mem');
  const f = await c.walk(root.fid, ['f']);
  await c.open(f.fid);
  t.equal((await c.read(f.fid, 0, 100)).toString(), 'still here');
});
