import t from 'tap';
import { ByteSource } from '../../../appliance/snapshot/byte-source.js';
import { normalizeTarPath } from '../../../appliance/snapshot/import-tar.js';
import { TarReader, parseNumeric, parsePax, parsePaxTime } from '../../../appliance/snapshot/tar-read.js';
import { END_OF_ARCHIVE, encodeTarHeader, formatPaxTime, padding, type TarHeader } from '../../../appliance/snapshot/tar-write.js';

const header = (over: Partial<TarHeader>): TarHeader => ({
  path: Buffer.from('./f'), type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: 0n, size: 0, linkname: null, major: 0, minor: 0, xattrs: [], ...over,
});

async function readAll(bytes: Buffer) {
  const r = new TarReader(ByteSource.from([bytes]));
  const out = [];
  for (let e = await r.next(); e; e = await r.next()) out.push({ ...e, body: e.size ? await r.read(e.size) : Buffer.alloc(0) });
  return out;
}

t.test('headers the writer makes, the reader reads back exactly', async (t) => {
  const long = Buffer.from(`./${'d/'.repeat(80)}file-é`);
  const entries: TarHeader[] = [
    header({ path: Buffer.from('./'), type: 'dir', mode: 0o1777, mtime: 1_700_000_000_123_456_789n }),
    header({ path: long, size: 5, uid: 4294967294, gid: 3000000, mtime: -1_500_000_000n, xattrs: [{ name: Buffer.from('user.bin'), value: Buffer.from([0, 0xff, 10, 0x3d]) }] }),
    header({ path: Buffer.from([0x2e, 0x2f, 0xff, 0xfe]), type: 'symlink', mode: 0o777, linkname: Buffer.from('/'.repeat(150)) }),
    header({ path: Buffer.from('./dev'), type: 'char', major: 4095, minor: 1 << 20 }),
    header({ path: Buffer.from('./h'), type: 'link', linkname: long }),
  ];
  const bytes = Buffer.concat(entries.flatMap((h) => [encodeTarHeader(h), Buffer.alloc(h.size, 'a'), padding(h.size)]).concat(END_OF_ARCHIVE));
  const got = await readAll(bytes);
  t.equal(got.length, entries.length);
  entries.forEach((h, i) => {
    const g = got[i]!;
    t.same(g.path, h.path, `path ${i}`);
    t.same([g.type, g.mode, g.uid, g.gid, g.mtime, g.size, g.major, g.minor], [h.type, h.mode, h.uid, h.gid, h.mtime, h.size, h.major, h.minor], `fields ${i}`);
    t.same(g.linkname, h.linkname ?? Buffer.alloc(0));
    t.same(g.xattrs, h.xattrs);
  });
  t.same(got[1]!.body, Buffer.from('aaaaa'));
});

t.test('numbers, pax records and pax times', async (t) => {
  t.equal(parseNumeric(Buffer.from('0000644\0'), 0, 8, 'x'), 0o644);
  t.equal(parseNumeric(Buffer.from('  755 \0\0'), 0, 8, 'x'), 0o755);
  t.equal(parseNumeric(Buffer.from([0x80, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]), 0, 12, 'x'), 2 ** 32);
  t.equal(parseNumeric(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe]), 0, 8, 'x'), -2);
  t.throws(() => parseNumeric(Buffer.from('09\0'), 0, 3, 'size'), { code: 'COLONY_CORRUPT_DATA' });
  t.same(parsePax(Buffer.from('11 path=ab\n')), new Map([['path', Buffer.from('ab')]]));
  t.throws(() => parsePax(Buffer.from('99 path=ab\n')), { code: 'COLONY_CORRUPT_DATA' });
  t.throws(() => parsePax(Buffer.from('x path=ab\n')), { code: 'COLONY_CORRUPT_DATA' });
  t.equal(parsePaxTime('1.5'), 1_500_000_000n);
  t.equal(parsePaxTime('-1.000000001999'), -1_000_000_001n);
  t.equal(parsePaxTime('7'), 7_000_000_000n);
  for (const ns of [0n, 1n, -1n, 1_700_000_000_123_456_789n, -1_500_000_000n]) t.equal(parsePaxTime(formatPaxTime(ns)), ns);
  t.throws(() => parsePaxTime('1e9'), { code: 'COLONY_CORRUPT_DATA' });
});

t.test('tar paths are normalised; absolute paths and ".." are refused', async (t) => {
  const n = (s: string) => normalizeTarPath(Buffer.from(s));
  t.same(n('./a//b/./c/'), ['a', 'b', 'c']);
  t.same(n('./'), []);
  t.same(n('.'), []);
  t.throws(() => n('/etc/passwd'), { code: 'COLONY_INVALID', message: /absolute/ });
  t.throws(() => n('a/../../etc'), { code: 'COLONY_INVALID', message: /"\.\."/ });
  t.throws(() => n('..'), { code: 'COLONY_INVALID' });
  t.throws(() => n(`a/${'x'.repeat(256)}`), { code: 'COLONY_INVALID' });
});

t.test('a stream that ends early or without the end marker is corrupt, never a hang', async (t) => {
  const one = Buffer.concat([encodeTarHeader(header({ size: 3 })), Buffer.from('abc'), padding(3)]);
  await t.rejects(readAll(one), { code: 'COLONY_CORRUPT_DATA', message: /end-of-archive/ });
  await t.rejects(readAll(one.subarray(0, 515)), { code: 'COLONY_CORRUPT_DATA', message: /truncated/ });
  const flipped = Buffer.from(one); flipped[10] = flipped[10]! ^ 1;
  await t.rejects(readAll(Buffer.concat([flipped, END_OF_ARCHIVE])), { code: 'COLONY_CORRUPT_DATA', message: /checksum/ });
  const sparse = Buffer.from(one); sparse[156] = 'S'.charCodeAt(0);
  let sum = 0; sparse.fill(0x20, 148, 156); for (const c of sparse.subarray(0, 512)) sum += c;
  sparse.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
  await t.rejects(readAll(Buffer.concat([sparse, END_OF_ARCHIVE])), { code: 'COLONY_UNSUPPORTED' });
});

t.test('a failing input keeps its cause: an OS error its code, broken gzip is corrupt data', async (t) => {
  const { importTar } = await import('../../../appliance/snapshot/import-tar.js');
  const { createReadStream } = await import('node:fs');
  const { MemoryBlockSource } = await import('../../../appliance/store/index.js');
  const store = await MemoryBlockSource.create();
  await t.rejects(importTar(store, createReadStream('/nonexistent/colony.tar')), { code: 'COLONY_NOT_FOUND' });
  await t.rejects(importTar(store, [Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3, 4])]), { code: 'COLONY_CORRUPT_DATA' });
});
