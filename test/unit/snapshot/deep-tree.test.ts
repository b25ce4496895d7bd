// Deep trees (issue 12, finding 6): a tar deeper than the import limit is a clear
// COLONY_TOO_LARGE error, not a RangeError; a tree thousands of levels deep that did get in
// walks, diffs, closes over and exports to a tar (and back to the same root), and to a
// directory as deep as Linux paths allow (deeper is a clear COLONY_TOO_LARGE).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import t from 'tap';
import { isColonyError } from '../../../appliance/errors.js';
import { closure, diff, exportDirectory, exportTar, importTar, walk } from '../../../appliance/snapshot/index.js';
import { MAX_TAR_DEPTH } from '../../../appliance/snapshot/tar-tree.js';
import { END_OF_ARCHIVE, encodeTarHeader, padding, type TarHeader } from '../../../appliance/snapshot/tar-write.js';
import { MemoryBlockSource } from '../../../appliance/store/index.js';

const h = (path: string, over: Partial<TarHeader> = {}): TarHeader => ({
  path: Buffer.from(path), type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: 0n, size: 0, linkname: null, major: 0, minor: 0, xattrs: [], ...over,
});

/** A chain of `levels` directories "d/d/...", each listed, and a file `leaf` with `body` at the bottom. */
function deepTar(levels: number, leaf = 'f', body = Buffer.from('bottom\n')): Buffer {
  const parts: Buffer[] = [];
  let p = '';
  for (let i = 0; i < levels; i++) { p += 'd/'; parts.push(encodeTarHeader(h(p, { type: 'dir', mode: 0o755 }))); }
  parts.push(encodeTarHeader(h(p + leaf, { size: body.length })), body, padding(body.length), END_OF_ARCHIVE);
  return Buffer.concat(parts);
}

/** Collects a Writable's bytes. */
function sink(): { out: Writable; bytes: () => Buffer } {
  const chunks: Buffer[] = [];
  return { out: new Writable({ write(c: Buffer, _e, cb) { chunks.push(c); cb(); } }), bytes: () => Buffer.concat(chunks) };
}

t.test('an entry deeper than the limit is COLONY_TOO_LARGE naming its depth and the limit', async (t) => {
  const store = await MemoryBlockSource.create();
  const err = await importTar(store, [deepTar(10_000)], { created: 0n }).catch((e: unknown) => e);
  t.ok(isColonyError(err, 'COLONY_TOO_LARGE'), String(err));
  t.match((err as Error).message, `is ${MAX_TAR_DEPTH + 1} levels deep; the limit is ${MAX_TAR_DEPTH}`);
  t.ok((err as Error).message.length < 400, 'the path is shortened in the message');
});

t.test('a tree at the limit imports', async (t) => {
  const store = await MemoryBlockSource.create();
  const { stats } = await importTar(store, [deepTar(MAX_TAR_DEPTH - 1)], { created: 0n });
  t.same([stats.dirs, stats.files], [MAX_TAR_DEPTH, 1]);
});

t.test('a 3000-level snapshot walks, diffs, closes over and exports to a tar that imports to the same root', async (t) => {
  const levels = 3000;
  const store = await MemoryBlockSource.create();
  const a = (await importTar(store, [deepTar(levels)], { created: 0n })).root;
  const b = (await importTar(store, [deepTar(levels, 'f', Buffer.from('changed\n'))], { created: 0n })).root;

  let n = 0;
  let deepest: Buffer = Buffer.alloc(0);
  for await (const { path } of walk(store, a)) { n++; if (path.length > deepest.length) deepest = path; }
  t.equal(n, levels + 2, 'the top, every directory and the file');
  t.equal(deepest.toString(), 'd/'.repeat(levels) + 'f');

  const changes = await diff(store, a, b);
  t.same(changes.map((c) => [c.kind, c.path.toString()]), [['modified', 'd/'.repeat(levels) + 'f']]);

  const scores = new Set<string>();
  for await (const s of closure(store, a)) scores.add(s.toString('hex'));
  t.equal(scores.size, levels + 2, 'the root and every directory stream (the file is inline)');

  const { out, bytes } = sink();
  const stats = await exportTar(store, a, out);
  t.same([stats.dirs, stats.files], [levels + 1, 1]);
  t.same((await importTar(store, [bytes()], { created: 0n })).root, a, 'the exported tar imports to the same root');
});

t.test('a deep snapshot exports to a directory while its paths fit PATH_MAX, and is a clear error past it', async (t) => {
  const store = await MemoryBlockSource.create();
  const fits = (await importTar(store, [deepTar(1500)], { created: 0n })).root;
  const dest = t.testdir();
  const stats = await exportDirectory(store, fits, join(dest, 'fits'));
  t.same([stats.dirs, stats.files], [1500, 1]);
  t.equal(readFileSync(join(dest, 'fits', 'd/'.repeat(1500) + 'f'), 'utf8'), 'bottom\n');

  const deep = (await importTar(store, [deepTar(3000)], { created: 0n })).root;
  const err = await exportDirectory(store, deep, join(dest, 'deep')).catch((e: unknown) => e);
  t.ok(isColonyError(err, 'COLONY_TOO_LARGE'), String(err).slice(0, 300));
  t.match((err as Error).message, /over Linux's 4095: export this snapshot to a tar instead/);
  t.ok((err as Error).message.length < 400, 'the path is shortened in the message');
});
