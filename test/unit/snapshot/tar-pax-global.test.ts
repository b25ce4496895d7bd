// pax global (g) and extended (x) headers: POSIX semantics, and what a hostile archive can
// no longer do with them (issue 12: a 1 MiB global header made every entry copy it).
import t from 'tap';
import { ByteSource } from '../../../appliance/snapshot/byte-source.js';
import { TarReader, type TarEntry } from '../../../appliance/snapshot/tar-read.js';
import { END_OF_ARCHIVE, encodeTarHeader, padding } from '../../../appliance/snapshot/tar-write.js';

function paxRecord(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`;
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return Buffer.from(`${len}${body}`, 'latin1');
}

/** A pax header member ('g' or 'x') holding `records`. */
function paxMember(flag: 'g' | 'x', records: [string, string][]): Buffer {
  const body = Buffer.concat(records.map(([k, v]) => paxRecord(k, v)));
  const h = Buffer.alloc(512);
  h.write('pax', 0, 'latin1');
  h.write('0000644\0', 100, 'latin1');
  h.write(body.length.toString(8).padStart(11, '0') + '\0', 124, 'latin1');
  h.write('00000000000\0', 136, 'latin1');
  h[156] = flag.charCodeAt(0);
  h.write('ustar\x0000', 257, 'latin1');
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const c of h) sum += c;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
  return Buffer.concat([h, body, padding(body.length)]);
}

const file = (name: string) => encodeTarHeader({
  path: Buffer.from(name), type: 'file', mode: 0o644, uid: 1, gid: 2, mtime: 0n, size: 0, linkname: null, major: 0, minor: 0, xattrs: [],
});

async function readAll(bytes: Buffer): Promise<TarEntry[]> {
  const r = new TarReader(ByteSource.from([bytes]));
  const out: TarEntry[] = [];
  for (let e = await r.next(), n = 0; e && n < 100_000; e = await r.next(), n++) out.push(e);
  return out;
}

const xattrs = (e: TarEntry) => e.xattrs.map((x) => `${x.name.toString()}=${x.value.toString()}`);

t.test('global keys apply to later entries; an x header overrides them for its entry only', async (t) => {
  const got = await readAll(Buffer.concat([
    paxMember('g', [['mtime', '5.5'], ['uid', '1234'], ['gid', '77'], ['path', 'ignored'], ['SCHILY.xattr.user.b', 'gb'], ['SCHILY.xattr.user.a', 'ga']]),
    file('./f1'),
    paxMember('x', [['uid', '9'], ['mtime', '1'], ['SCHILY.xattr.user.b', 'own'], ['SCHILY.xattr.user.c', 'c']]),
    file('./f2'),
    file('./f3'),
    paxMember('g', [['uid', '42'], ['SCHILY.xattr.user.a', 'ga2']]),
    file('./f4'),
    END_OF_ARCHIVE,
  ]));
  t.same(got.map((e) => e.path.toString()), ['./f1', './f2', './f3', './f4'], 'a global path names nothing');
  t.same(got.map((e) => [e.uid, e.gid, e.mtime]), [
    [1234, 77, 5_500_000_000n], [9, 77, 1_000_000_000n], [1234, 77, 5_500_000_000n], [42, 77, 5_500_000_000n],
  ]);
  t.same(got.map(xattrs), [
    ['user.a=ga', 'user.b=gb'], ['user.a=ga', 'user.b=own', 'user.c=c'], ['user.a=ga', 'user.b=gb'], ['user.a=ga2', 'user.b=gb'],
  ]);
});

t.test('a big global header is not copied per entry', async (t) => {
  const keys: [string, string][] = Array.from({ length: 5000 }, (_, i) => [`comment.${i}`, 'v']);
  const xs: [string, string][] = Array.from({ length: 3000 }, (_, i) => [`SCHILY.xattr.user.${String(i).padStart(4, '0')}`, 'v']);
  const entries = 300;
  const bytes = Buffer.concat([paxMember('g', [...keys, ...xs]), ...Array.from({ length: entries }, (_, i) => file(`./f${i}`)), END_OF_ARCHIVE]);
  // Count map writes while reading: a copy of the global map per entry is entries × 8000 of them.
  const set = Map.prototype.set;
  let sets = 0;
  Map.prototype.set = function (this: Map<unknown, unknown>, k: unknown, v: unknown) { sets++; return set.call(this, k, v); };
  let got: TarEntry[];
  try { got = await readAll(bytes); } finally { Map.prototype.set = set; }
  t.equal(got.length, entries);
  t.ok(sets < 4 * (keys.length + xs.length), `map writes stay in the global header's size (${sets})`);
  t.equal(got[0]!.xattrs.length, xs.length);
  t.ok(got.every((e) => e.xattrs === got[0]!.xattrs), 'entries share one frozen array of the global xattrs');
  t.ok(Object.isFrozen(got[0]!.xattrs));
});

t.test('global headers past 1 MiB of records are refused', async (t) => {
  const big = (tag: string): [string, string][] => Array.from({ length: 6 }, (_, i) => [`${tag}.${i}`, 'x'.repeat(100_000)]);
  // The same keys again replace, they do not add up.
  t.equal((await readAll(Buffer.concat([paxMember('g', big('a')), paxMember('g', big('a')), file('./f'), END_OF_ARCHIVE]))).length, 1);
  await t.rejects(readAll(Buffer.concat([paxMember('g', big('a')), paxMember('g', big('b')), file('./f'), END_OF_ARCHIVE])),
    { code: 'COLONY_TOO_LARGE', message: /global \(g\) headers hold more than 1048576 bytes/ });
});

t.test('global xattrs past 128 KiB are refused: every entry would carry them', async (t) => {
  const xs: [string, string][] = Array.from({ length: 3 }, (_, i) => [`SCHILY.xattr.user.${i}`, 'v'.repeat(50_000)]);
  await t.rejects(readAll(Buffer.concat([paxMember('g', xs), file('./f'), END_OF_ARCHIVE])), { code: 'COLONY_TOO_LARGE', message: /xattrs/ });
  // The same xattrs on one entry cost only that entry's bytes.
  const got = await readAll(Buffer.concat([paxMember('x', xs), file('./f'), END_OF_ARCHIVE]));
  t.equal(got[0]!.xattrs.length, 3);
});

t.test('a chain of x headers for one entry past 1 MiB is refused', async (t) => {
  const big = (tag: string): [string, string][] => Array.from({ length: 6 }, (_, i) => [`${tag}.${i}`, 'x'.repeat(100_000)]);
  await t.rejects(readAll(Buffer.concat([paxMember('x', big('a')), paxMember('x', big('b')), file('./f'), END_OF_ARCHIVE])),
    { code: 'COLONY_TOO_LARGE', message: /extended \(x\) headers of one entry/ });
  // Each entry starts afresh.
  const got = await readAll(Buffer.concat([paxMember('x', big('a')), file('./f'), paxMember('x', big('b')), file('./g'), END_OF_ARCHIVE]));
  t.equal(got.length, 2);
});
