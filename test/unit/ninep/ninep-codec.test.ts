import t from 'tap';
import { decode, decodeStats, encode, encodeParts, encodeStat, FrameReader, peekHeader, type ReplyBody } from '../../../appliance/ninep/codec.js';
import { NOFID, NONUNAME, NOTAG } from '../../../appliance/ninep/constants.js';
import { SCHEMA, type AnyBody, type FieldKind, type MessageName, type Qid, type Stat } from '../../../appliance/ninep/messages.js';

const qid: Qid = { type: 0x80, version: 7, path: 2 ** 33 + 1 };
const stat: Stat = {
  type: 3, dev: 9, qid, mode: 0x800001ed, atime: 1_700_000_000, mtime: 1_700_000_001, length: 2 ** 40,
  name: 'dîr', uid: 'glenda', gid: 'sys', muid: '',
};
const sample = (kind: FieldKind): unknown => {
  switch (kind) {
    case 'u8': return 0xab;
    case 'u16': return 0xbeef;
    case 'u32': return 0xdeadbeef;
    case 'u64': return 2 ** 40 + 5;
    case 'nuname': return 1000;
    case 's': return 'héllo wörld';
    case 'qid': return qid;
    case 'qids': return [qid, { type: 0, version: 0, path: 1 }];
    case 'names': return ['a', 'bc', 'ünï'];
    case 'data': return Buffer.from('some bytes\0\xff');
    case 'stat': return stat;
  }
};
const sampleOf = (name: MessageName, tag = 42): AnyBody & { tag: number } => {
  const body: Record<string, unknown> = { type: name, tag };
  for (const [f, kind] of Object.entries(SCHEMA[name][1])) body[f] = sample(kind);
  return body as AnyBody & { tag: number };
};
const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

t.test('every message type round-trips in 9P2000.L', async (t) => {
  const names = Object.keys(SCHEMA) as MessageName[];
  t.ok(names.length >= 60, `${names.length} message types`);
  for (const name of names) {
    const msg = sampleOf(name);
    const frame = encode(msg, '9P2000.L');
    t.equal(frame.readUInt32LE(0), frame.length, `${name} size field`);
    t.equal(frame[4], SCHEMA[name][0], `${name} type byte`);
    t.same(decode(frame, '9P2000.L'), msg, name);
  }
});

t.test('every message round-trips in 9P2000, where attach and auth carry no n_uname', async (t) => {
  for (const name of Object.keys(SCHEMA) as MessageName[]) {
    const msg = sampleOf(name) as Record<string, unknown>;
    if ('nUname' in msg) msg.nUname = NONUNAME;
    t.same(decode(encode(msg as AnyBody & { tag: number }, '9P2000'), '9P2000'), msg, name);
  }
  const l = encode({ type: 'Tattach', tag: 1, fid: 0, afid: NOFID, uname: 'u', aname: '', nUname: 1000 }, '9P2000.L');
  const p = encode({ type: 'Tattach', tag: 1, fid: 0, afid: NOFID, uname: 'u', aname: '', nUname: 1000 }, '9P2000');
  t.equal(l.length - p.length, 4, 'n_uname is four bytes only in .L');
});

t.test('golden frames, worked out by hand from the specification', async (t) => {
  // size[4]=21 type=100 tag=NOTAG msize=8192 version[s]="9P2000.L"
  t.same(encode({ type: 'Tversion', tag: NOTAG, msize: 8192, version: '9P2000.L' }), hex('15000000 64 ffff 00200000 0800 395032303030 2e4c'));
  // Rlerror ENOENT on tag 1
  t.same(encode({ type: 'Rlerror', tag: 1, ecode: 2 }), hex('0b000000 07 0100 02000000'));
  // Twalk fid 1 → newfid 2 through "a", "b"
  t.same(encode({ type: 'Twalk', tag: 3, fid: 1, newfid: 2, names: ['a', 'b'] }), hex('17000000 6e 0300 01000000 02000000 0200 0100 61 0100 62'));
  // Rread of "hi"
  t.same(encode({ type: 'Rread', tag: 5, data: Buffer.from('hi') }), hex('0d000000 75 0500 02000000 6869'));
  // 9P2000.L attach: fid 0, afid NOFID, uname "u", aname "", n_uname 1000
  t.same(encode({ type: 'Tattach', tag: 1, fid: 0, afid: NOFID, uname: 'u', aname: '', nUname: 1000 }), hex('18000000 68 0100 00000000 ffffffff 0100 75 0000 e8030000'));
  // Rgetattr: header 7, valid[8] qid[13] mode/uid/gid[12], then 15 u64s from nlink to data_version
  const rg = encode({ ...sampleOf('Rgetattr') });
  t.equal(rg.length, 7 + 8 + 13 + 12 + 15 * 8);
  // A stat record: size[2] counts what follows it, and Rstat wraps it in another n[2]
  const st = encodeStat({ ...stat, name: 'a', uid: 'u', gid: 'g', muid: 'm' });
  t.equal(st.readUInt16LE(0), st.length - 2);
  t.equal(st.length, 2 + 2 + 4 + 13 + 4 + 4 + 4 + 8 + 4 * 3);
  const rstat = encode({ type: 'Rstat', tag: 0, stat: { ...stat, name: 'a', uid: 'u', gid: 'g', muid: 'm' } });
  t.equal(rstat.readUInt16LE(7), st.length, 'Rstat n[2] is the whole stat record');
  t.same(rstat.subarray(9), st);
});

t.test('decoding is strict', async (t) => {
  const good = encode({ type: 'Twalk', tag: 3, fid: 1, newfid: 2, names: ['a', 'b'] });
  const trailing = Buffer.concat([good, Buffer.from([0])]);
  trailing.writeUInt32LE(trailing.length, 0);
  t.throws(() => decode(trailing), { code: 'COLONY_PROTOCOL', message: /left over/ });
  const short = Buffer.from(good.subarray(0, good.length - 1));
  short.writeUInt32LE(short.length, 0);
  t.throws(() => decode(short), { code: 'COLONY_PROTOCOL', message: /past the end/ });
  t.throws(() => decode(good.subarray(0, 10)), { code: 'COLONY_PROTOCOL', message: /size field/ });
  t.throws(() => decode(Buffer.from([7, 0, 0, 0, 99, 0, 0])), { code: 'COLONY_PROTOCOL', message: /unknown message type 99/ });
  t.throws(() => decode(Buffer.from([3, 0, 0])), { code: 'COLONY_PROTOCOL' });
  // A name count that claims more names than bytes remain is caught before allocating.
  const many = hex('11000000 6e 0300 01000000 02000000 ffff');
  t.throws(() => decode(many), { code: 'COLONY_PROTOCOL' });
  const str = encode({ type: 'Rreadlink', tag: 0, target: 'ab' });
  str[9] = 0xff;
  t.throws(() => decode(str), { code: 'COLONY_PROTOCOL', message: /UTF-8/ });
  const big = encode({ type: 'Tread', tag: 0, fid: 1, offset: 0, count: 1 });
  big.writeUInt32LE(0x00400000, 15); // offset high word: 2^54
  t.throws(() => decode(big), { code: 'COLONY_TOO_LARGE' });
  big.writeUInt32LE(0xffffffff, 11); big.writeUInt32LE(0xffffffff, 15);
  t.equal((decode(big) as { offset: number }).offset, -1, 'all-ones u64 is carried as -1');
  t.same(peekHeader(good), { type: 110, tag: 3 });
  t.throws(() => encode({ type: 'Tclunk', tag: 70000, fid: 1 }), { code: 'COLONY_INVALID' });
  t.throws(() => encode({ type: 'Tclunk', tag: 1, fid: 2 ** 32 }), { code: 'COLONY_INVALID' });
  t.throws(() => encode({ type: 'Rreadlink', tag: 1, target: 'x'.repeat(70000) }), { code: 'COLONY_INVALID' });
});

t.test('stat records decode in sequence and reject a lying size', async (t) => {
  const a = encodeStat(stat), b = encodeStat({ ...stat, name: 'second' });
  t.same(decodeStats(Buffer.concat([a, b])).map((s) => s.name), ['dîr', 'second']);
  const lie = Buffer.from(a); lie.writeUInt16LE(a.length, 0);
  t.throws(() => decodeStats(lie), { code: 'COLONY_PROTOCOL' });
});

t.test('the frame reader joins split frames and splits joined ones', async (t) => {
  const f1 = encode({ type: 'Tclunk', tag: 1, fid: 1 });
  const f2 = encode({ type: 'Rread', tag: 2, data: Buffer.alloc(100, 7) });
  const stream = Buffer.concat([f1, f2, f1]);
  const r = new FrameReader(1000);
  const out: Buffer[] = [];
  for (let i = 0; i < stream.length; i++) { // one byte at a time: the worst split
    r.push(stream.subarray(i, i + 1));
    for (let f = r.next(); f; f = r.next()) out.push(Buffer.from(f));
  }
  t.same(out, [f1, f2, f1]);
  t.equal(r.bufferedBytes, 0);
  const all = new FrameReader(1000);
  all.push(stream);
  t.same([all.next(), all.next(), all.next(), all.next()], [f1, f2, f1, undefined]);
  const tiny = new FrameReader(1000);
  tiny.push(hex('06000000 00 0000'));
  t.throws(() => tiny.next(), { code: 'COLONY_PROTOCOL', message: /smaller than a header/ });
  const huge = new FrameReader(1000);
  huge.push(hex('e9030000'));
  t.throws(() => huge.next(), { code: 'COLONY_PROTOCOL', message: /larger than msize/ });
});

t.test('encodeParts: a large Rread or Rreaddir is its head plus the very data buffer, and joins to encode()', async (t) => {
  for (const type of ['Rread', 'Rreaddir'] as const) {
    for (const n of [0, 100, 4095, 4096, 65512]) {
      const data = Buffer.alloc(n, 0x5a);
      const msg = { type, tag: 0x1234, data } as AnyBody & { tag: number };
      const parts = encodeParts(msg);
      t.same(Buffer.concat(parts), encode(msg), `${type} of ${n} bytes`);
      if (n >= 4096) {
        t.equal(parts.length, 2, `${type} of ${n} bytes goes out in two pieces`);
        t.equal(parts[1], data, 'the payload is not copied');
      } else t.equal(parts.length, 1);
    }
  }
  t.equal(encodeParts({ type: 'Rclunk', tag: 1 } as AnyBody & { tag: number }).length, 1);
  t.throws(() => encodeParts({ type: 'Rread', tag: 70000, data: Buffer.alloc(8192) } as AnyBody & { tag: number }), { code: 'COLONY_INVALID' });
});

t.test('encodeParts: an Rread in pieces is its head plus those very pieces, and joins to encode() of them joined', async (t) => {
  const data = Buffer.from(Array.from({ length: 70000 }, (_, i) => i & 0xff));
  for (const cuts of [[], [0], [5000], [100, 4096], [0, 30000, 30000, 65512], [1, 2, 3]]) {
    const bounds = [0, ...cuts, cuts.length ? Math.max(...cuts) + 10 : 0];
    const pieces = bounds.slice(1).map((b, i) => data.subarray(bounds[i], b));
    const joined = Buffer.concat(pieces);
    const parts = encodeParts({ type: 'Rread', tag: 7, pieces } as ReplyBody & { tag: number });
    t.same(Buffer.concat(parts), encode({ type: 'Rread', tag: 7, data: joined }), `pieces cut at ${cuts.join(',') || 'nothing'}`);
    if (joined.length >= 4096) {
      t.same(parts.slice(1), pieces.filter((p) => p.length > 0), 'the pieces go out as they are, empty ones left out');
      t.ok(parts.slice(1).every((p, i) => p === pieces.filter((q) => q.length > 0)[i]), 'not copied');
    } else t.equal(parts.length, 1, 'a small payload is one frame');
  }
  t.throws(() => encodeParts({ type: 'Rread', tag: 70000, pieces: [Buffer.alloc(8192)] } as ReplyBody & { tag: number }), { code: 'COLONY_INVALID' });
  t.throws(() => encodeParts({ type: 'Rread', tag: 1, pieces: ['text'] } as unknown as ReplyBody & { tag: number }), { code: 'COLONY_INVALID' });
});
