import t from 'tap';
import { ByteReader, ByteWriter } from '../../../appliance/snapshot/bytes.js';
import {
  blankEntry, decodeDirectory, decodeEntry, decodePointers, decodeRoot, encodeDirectory, encodeEntry, encodeRoot,
  FORMAT_VERSION, INLINE_MAX, ZERO_SCORE, type Entry, type Root,
} from '../../../appliance/snapshot/format.js';

const score = (b: number) => Buffer.alloc(32, b);
const hex = (b: Buffer) => b.toString('hex');

t.test('varints are minimal LEB128; signed values are zigzagged; non-minimal forms are rejected', async (t) => {
  const w = new ByteWriter().uvar(0).uvar(127).uvar(128).uvar(300).svar(-1n).svar(1n).svar(-(1n << 63n)).uvar((1n << 64n) - 1n);
  const b = w.finish();
  t.equal(hex(b.subarray(0, 6)), '00' + '7f' + '8001' + 'ac02');
  const r = new ByteReader(Buffer.from(b), 'test');
  t.same([r.uvar(), r.uvar(), r.uvar(), r.uvar(), r.svar(), r.svar(), r.svar(), r.uvarBig()], [0, 127, 128, 300, -1n, 1n, -(1n << 63n), (1n << 64n) - 1n]);
  r.end();
  t.throws(() => new ByteReader(Buffer.from('8000', 'hex'), 'x').uvar(), { code: 'COLONY_CORRUPT_DATA', message: /non-minimal/ });
  t.throws(() => new ByteReader(Buffer.from('ffffffffffffffffff02', 'hex'), 'x').uvarBig(), /over 64 bits/);
  t.throws(() => new ByteReader(Buffer.from('80', 'hex'), 'x').uvar(), /unexpected end/);
  t.throws(() => new ByteWriter().uvar(-1), { code: 'COLONY_INVALID' });
});

t.test('golden bytes: a file entry with an xattr and inline content', async (t) => {
  const e: Entry = {
    ...blankEntry('file', 'hi'), mode: 0o4755, uid: 1000, gid: 100, mtime: 1_700_000_000_123_456_789n, link: 2,
    xattrs: [{ name: Buffer.from('user.a'), value: Buffer.from('v') }], size: 3, inline: Buffer.from('abc'),
  };
  const bytes = encodeEntry(e);
  t.equal(hex(bytes), [
    '02' + '6869', //          name: length 2, "hi"
    '01', //                   kind 1 = file
    'ed13', //                 mode 0o4755 = 2541
    'e807', //                 uid 1000
    '64', //                   gid 100
    'aab4aed8c7bfce972f', //   mtime: zigzag(1700000000123456789) = 3400000000246913578
    '02', //                   link group 2
    '01' + '06' + hex(Buffer.from('user.a')) + '01' + '76', // one xattr: "user.a" = "v"
    '03' + '616263', //        size 3, then the inline bytes
  ].join(''));
  t.same(decodeEntry(bytes), e);
});

t.test('golden bytes: every other kind of entry', async (t) => {
  const cases: Array<[Entry, string]> = [
    [{ ...blankEntry('file', 'z'), size: 0 }, '017a' + '01a4030000000000' + '00'],
    [{ ...blankEntry('file', 'big'), size: INLINE_MAX + 1, score: score(0xab) }, '03626967' + '01a4030000000000' + '8108' + 'ab'.repeat(32)],
    [{ ...blankEntry('file', 'sparse'), size: 1 << 20, score: ZERO_SCORE }, '06737061727365' + '01a4030000000000' + '808040' + '00'.repeat(32)],
    [{ ...blankEntry('dir', 'd'), size: 0 }, '0164' + '02ed030000000000' + '00'],
    [{ ...blankEntry('dir', 'd'), size: 5, score: score(1) }, '0164' + '02ed030000000000' + '05' + '01'.repeat(32)],
    [{ ...blankEntry('symlink', 'l'), mode: 0o777, target: Buffer.from('../x') }, '016c' + '03ff030000000000' + '042e2e2f78'],
    [{ ...blankEntry('char', 'null'), mode: 0o666, major: 1, minor: 3 }, '046e756c6c' + '04b6030000000000' + '0103'],
    [{ ...blankEntry('block', 'b'), major: 259, minor: 65536 }, '0162' + '05a4030000000000' + '8302' + '808004'],
    [{ ...blankEntry('fifo', 'p'), mtime: -1n }, '0170' + '06a4030000010000'],
    // kind 7 came later; like a fifo it is attributes only, and it may be hard-linked
    [{ ...blankEntry('socket', 's'), mode: 0o755, uid: 1000, gid: 1000, link: 2 }, '0173' + '07ed03e807e80700' + '02' + '00'],
  ];
  for (const [e, golden] of cases) {
    t.equal(hex(encodeEntry(e)), golden, `${e.kind} ${e.name}`);
    t.same(decodeEntry(encodeEntry(e)), e);
  }
});

t.test('golden bytes: a root block', async (t) => {
  const root: Root = {
    version: FORMAT_VERSION, blockSize: 65536, created: 1_000_000_000n, parent: score(7), comment: 'c',
    meta: { zeta: '1', alpha: '2' }, top: { ...blankEntry('dir'), mode: 0o1777, size: 40, score: score(9) },
  };
  const bytes = encodeRoot(root);
  t.equal(hex(bytes), [
    hex(Buffer.from('CLNYSNAP')), // magic
    '01', //                         format version 1
    '808004', //                     block size 65536
    '80a8d6b907', //                 created: zigzag(1e9 ns)
    '01' + '07'.repeat(32), //       a parent
    '01' + '63', //                  comment "c"
    '02' + '05' + hex(Buffer.from('alpha')) + '01' + '32' + '04' + hex(Buffer.from('zeta')) + '01' + '31', // meta, sorted
    '00' + '02' + 'ff07' + '00' + '00' + '00' + '00' + '00' + '28' + '09'.repeat(32), // the top: nameless dir, mode 0o1777, 40 bytes
  ].join(''));
  t.same(decodeRoot(bytes), { ...root, meta: { alpha: '2', zeta: '1' } });
  const noParent = encodeRoot({ ...root, parent: null, meta: {} });
  t.equal(decodeRoot(noParent).parent, null);
});

t.test('a directory stream is its entries in byte order of name; anything else is refused', async (t) => {
  const a = { ...blankEntry('file', 'B') };
  const b = { ...blankEntry('file', 'a') };
  const c = { ...blankEntry('file', Buffer.from([0xc3, 0xa9])) }; // "é" sorts after ASCII as bytes
  const stream = encodeDirectory([a, b, c]);
  t.equal(hex(stream), hex(Buffer.concat([encodeEntry(a), encodeEntry(b), encodeEntry(c)])));
  t.same(decodeDirectory(stream).map((e) => e.name.toString()), ['B', 'a', 'é']);
  t.throws(() => encodeDirectory([b, a]), { code: 'COLONY_INVALID' });
  t.throws(() => encodeDirectory([a, a]), { code: 'COLONY_INVALID' });
  t.throws(() => decodeDirectory(Buffer.concat([encodeEntry(b), encodeEntry(a)])), { code: 'COLONY_CORRUPT_DATA', message: /out of order/ });
  t.same(decodeDirectory(Buffer.alloc(0)), []);
});

t.test('the codec refuses ambiguous or impossible entries', async (t) => {
  const bad: Array<[string, Entry]> = [
    ['slash in a name', blankEntry('file', 'a/b')],
    ['dot-dot', blankEntry('file', '..')],
    ['mode bits above 0o7777', { ...blankEntry('file', 'x'), mode: 0o10000 }],
    ['tiny file not inline', { ...blankEntry('file', 'x'), size: 3, score: score(1) }],
    ['large file inline', { ...blankEntry('file', 'x'), size: INLINE_MAX + 1, inline: Buffer.alloc(INLINE_MAX + 1) }],
    ['fifo with a size', { ...blankEntry('fifo', 'x'), size: 1 }],
    ['socket with a target', { ...blankEntry('socket', 'x'), target: Buffer.from('y') }],
    ['socket with a device number', { ...blankEntry('socket', 'x'), major: 1 }],
    ['hard-linked directory', { ...blankEntry('dir', 'x'), link: 1 }],
    ['symlink without target', blankEntry('symlink', 'x')],
    ['unsorted xattrs', { ...blankEntry('file', 'x'), xattrs: [{ name: Buffer.from('b'), value: Buffer.alloc(0) }, { name: Buffer.from('a'), value: Buffer.alloc(0) }] }],
    ['empty dir with a score', { ...blankEntry('dir', 'x'), score: score(1) }],
    ['owner id past 32 bits', { ...blankEntry('file', 'x'), gid: 2 ** 32 }],
    ['negative owner id', { ...blankEntry('file', 'x'), uid: -1 }],
    ['device number past 32 bits', { ...blankEntry('char', 'x'), minor: 2 ** 32 }],
    ['empty file with inline bytes', { ...blankEntry('file', 'x'), inline: Buffer.alloc(0) }],
    ['empty file with a score', { ...blankEntry('file', 'x'), score: score(1) }],
  ];
  for (const [why, e] of bad) t.throws(() => encodeEntry(e), { code: 'COLONY_INVALID' }, why);
  const good = encodeEntry({ ...blankEntry('file', 'x'), size: 2, inline: Buffer.from('ab') });
  t.throws(() => decodeEntry(Buffer.concat([good, Buffer.from([0])])), /trailing/);
  t.throws(() => decodeEntry(good.subarray(0, good.length - 1)), { code: 'COLONY_CORRUPT_DATA' });
  const kind = Buffer.from(good); kind[2] = 9;
  t.throws(() => decodeEntry(kind), /unknown entry kind 9/);
  kind[2] = 8;
  t.throws(() => decodeEntry(kind), /unknown entry kind 8/, 'the first code past socket is still unknown');
  const root = encodeRoot({ version: 1, blockSize: 4096, created: 0n, parent: null, comment: '', meta: {}, top: blankEntry('dir') });
  const future = Buffer.from(root); future[8] = 2;
  t.throws(() => decodeRoot(future), { code: 'COLONY_UNSUPPORTED' });
  t.throws(() => decodeRoot(Buffer.from('not a root')), { code: 'COLONY_CORRUPT_DATA' });
  t.throws(() => encodeRoot({ version: 1, blockSize: 5000, created: 0n, parent: null, comment: '', meta: {}, top: blankEntry('dir') }), /power of two/);
});

t.test('pointer blocks are child scores back to back, length fixed by the tree shape', async (t) => {
  const block = Buffer.concat([score(1), ZERO_SCORE, score(2)]);
  t.same(decodePointers(block, 3, 'x'), [score(1), ZERO_SCORE, score(2)]);
  t.throws(() => decodePointers(block, 2, 'x'), { code: 'COLONY_CORRUPT_DATA' });
});
