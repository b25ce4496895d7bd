// Bad input: random truncations and byte flips of a real tarball (plain and gzip), made by
// GNU tar, never crash or hang the importer: it succeeds or throws a ColonyError. Hostile
// archives (path traversal, writing through a symlink, hard links out of the tree) are refused.
import { readFile, mkdir, writeFile, symlink, link } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { isColonyError } from '../../../appliance/errors.js';
import { importTar } from '../../../appliance/snapshot/index.js';
import { END_OF_ARCHIVE, encodeTarHeader, padding, type TarHeader } from '../../../appliance/snapshot/tar-write.js';
import { tmpDir, tmpStore } from '../../helpers/tmp.js';
import { ensureApt, run } from './fixture.js';
import { mulberry32 } from '../../helpers/random.js';

ensureApt('attr');


async function realTarball(t: Test): Promise<Buffer> {
  const src = await tmpDir(t);
  await mkdir(join(src, 'dir', 'sub'), { recursive: true });
  await writeFile(join(src, 'small'), 'hello');
  await writeFile(join(src, 'dir', 'medium'), Buffer.alloc(70_000, 'm'));
  await writeFile(join(src, 'dir', 'sub', `${'long-name-'.repeat(12)}x`), 'long');
  await symlink('../small', join(src, 'dir', 'link'));
  await link(join(src, 'small'), join(src, 'dir', 'hard'));
  await run('setfattr', ['-n', 'user.k', '-v', 'v', join(src, 'small')]);
  const tar = join(src, '..', `fuzz-${process.pid}.tar`);
  await run('tar', ['--xattrs', '--format=pax', '-C', src, '-cf', tar, '.']);
  const bytes = await readFile(tar);
  await run('rm', ['-f', tar]);
  return bytes;
}

const HANG_MS = 10_000;
async function outcome(store: Parameters<typeof importTar>[0], bytes: Buffer, chunk: number): Promise<'ok' | string> {
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += chunk) chunks.push(bytes.subarray(at, at + chunk));
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error('HANG')), HANG_MS); });
  try {
    await Promise.race([importTar(store, chunks, { created: 0n }), hang]);
    return 'ok';
  } catch (err) {
    if (isColonyError(err)) return err.code;
    return `NOT A COLONY ERROR: ${err instanceof Error ? err.stack : String(err)}`;
  } finally {
    clearTimeout(timer);
  }
}

t.test('300 truncated or corrupted tarballs: a result or a ColonyError, never a crash or a hang', { timeout: 600_000 }, async (t) => {
  const { store } = await tmpStore(t);
  const plain = await realTarball(t);
  const gz = gzipSync(plain);
  t.equal(await outcome(store, plain, 4096), 'ok', 'the untouched tarball imports');
  t.equal(await outcome(store, gz, 4096), 'ok', 'and gzipped');
  const rand = mulberry32(0xc01057);
  const codes = new Map<string, number>();
  const bad: string[] = [];
  for (let i = 0; i < 300; i++) {
    const base = i % 3 === 2 ? gz : plain;
    let bytes: Buffer;
    let what: string;
    if (i % 2 === 0) {
      const cut = Math.floor(rand() * base.length);
      bytes = base.subarray(0, cut);
      what = `case ${i}: ${base === gz ? 'gzip' : 'tar'} cut at ${cut}`;
    } else {
      bytes = Buffer.from(base);
      const flips = 1 + Math.floor(rand() * 8);
      for (let f = 0; f < flips; f++) { const at = Math.floor(rand() * bytes.length); bytes[at] = bytes[at]! ^ (1 + Math.floor(rand() * 255)); }
      what = `case ${i}: ${base === gz ? 'gzip' : 'tar'} with ${flips} flipped bytes`;
    }
    const got = await outcome(store, bytes, 1 + Math.floor(rand() * 5000));
    codes.set(got, (codes.get(got) ?? 0) + 1);
    if (got.startsWith('NOT A COLONY ERROR') || got === 'COLONY_INTERNAL') bad.push(`${what}: ${got}`);
  }
  t.same(bad, [], 'every failure is a ColonyError');
  t.comment(`outcomes: ${JSON.stringify(Object.fromEntries(codes))}`);
  t.ok((codes.get('COLONY_CORRUPT_DATA') ?? 0) > 100, 'most damage is reported as corrupt data');
  t.notOk([...codes.keys()].some((k) => k !== 'ok' && !['COLONY_CORRUPT_DATA', 'COLONY_INVALID', 'COLONY_UNSUPPORTED'].includes(k)), 'only the documented codes');
});

const h = (path: string, over: Partial<TarHeader> = {}): TarHeader => ({
  path: Buffer.from(path), type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: 0n, size: 0, linkname: null, major: 0, minor: 0, xattrs: [], ...over,
});
const archive = (...entries: TarHeader[]) => Buffer.concat([...entries.flatMap((e) => [encodeTarHeader(e), Buffer.alloc(e.size, 'x'), padding(e.size)]), END_OF_ARCHIVE]);

t.test('hostile archives are refused with COLONY_INVALID', async (t) => {
  const { store } = await tmpStore(t);
  const cases: Array<[string, Buffer, RegExp]> = [
    ['a ".." component', archive(h('./a/../../etc/passwd', { size: 3 })), /"\.\." component/],
    ['an absolute path', archive(h('/etc/passwd', { size: 3 })), /absolute path/],
    ['a bare ".."', archive(h('..', { type: 'dir' })), /"\.\."/],
    ['writing through a symlink', archive(h('./evil', { type: 'symlink', linkname: Buffer.from('/etc') }), h('./evil/passwd', { size: 3 })), /passes through a symlink/],
    ['a symlink to a dir, then a dir entry under it', archive(h('./up', { type: 'symlink', linkname: Buffer.from('..') }), h('./up/x/', { type: 'dir' })), /passes through a symlink/],
    ['a hard link out of the tree', archive(h('./pw', { type: 'link', linkname: Buffer.from('../../etc/passwd') })), /"\.\." component/],
    ['a hard link to an absolute path', archive(h('./pw', { type: 'link', linkname: Buffer.from('/etc/passwd') })), /absolute path/],
    ['a hard link to nothing', archive(h('./pw', { type: 'link', linkname: Buffer.from('./missing') })), /not an earlier non-directory entry/],
    ['a hard link to a directory', archive(h('./d/', { type: 'dir' }), h('./pw', { type: 'link', linkname: Buffer.from('./d') })), /not an earlier non-directory entry/],
    ['a file replacing a directory', archive(h('./d/', { type: 'dir' }), h('./d', { size: 1 })), /replace a directory/],
  ];
  for (const [why, bytes, message] of cases) await t.rejects(importTar(store, [bytes], { created: 0n }), { code: 'COLONY_INVALID', message }, why);
  // Symlinks that point anywhere are data, kept as they are; they only may not be walked through.
  const ok = await importTar(store, [archive(h('./abs', { type: 'symlink', linkname: Buffer.from('/etc/passwd') }), h('./up', { type: 'symlink', linkname: Buffer.from('../../..') }))], { created: 0n });
  t.equal(ok.stats.symlinks, 2);
});

t.test('compressions we do not inflate are named, not misread', async (t) => {
  const { store } = await tmpStore(t);
  await t.rejects(importTar(store, [Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 1, 2])]), { code: 'COLONY_UNSUPPORTED', message: /xz/ });
  await t.rejects(importTar(store, [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0])]), { code: 'COLONY_UNSUPPORTED', message: /zstd/ });
  await t.rejects(importTar(store, []), { code: 'COLONY_CORRUPT_DATA', message: /end-of-archive/ });
});
