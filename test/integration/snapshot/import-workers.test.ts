// Hashing and compressing in the import's worker threads (small-reader.ts, store putEncoded)
// gives the very snapshot the main thread's puts give: the same root, the same blocks with
// the same stored lengths. A worker that dies fails the import with a clear error.
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { importDirectory } from '../../../appliance/snapshot/index.js';
import { newStats } from '../../../appliance/snapshot/import-dir.js';
import { ContentReader, readContents, type FileToRead } from '../../../appliance/snapshot/import-read.js';
import { SmallReader } from '../../../appliance/snapshot/small-reader.js';
import { newNode } from '../../../appliance/snapshot/tree.js';
import type { BlockStore } from '../../../appliance/store/index.js';
import { tmpDir, tmpStore } from '../../helpers/tmp.js';

const text = (n: number, seed: number) => Buffer.from(Array.from({ length: Math.ceil(n / 20) + 1 }, (_, i) => `${seed} line ${i} text, `).join('')).subarray(0, n);
/** Compressible, random and zero leaves in one file. */
const mixed = (n: number, seed: number) => Buffer.concat([text(n >> 2, seed), randomBytes(n >> 2), Buffer.alloc(n >> 2), text(n - 3 * (n >> 2), seed + 1)]);

/** The store without putEncoded: the import puts plain bytes, hashed and encoded on the main thread. */
const plainPuts = (store: BlockStore) => Object.assign(Object.create(store) as BlockStore, { putEncoded: undefined });

async function entries(store: BlockStore) {
  const out: string[] = [];
  for await (const e of store.indexEntries()) out.push(`${e.score.toString('hex')} type ${e.type}, ${e.bytes} bytes on disk`);
  return out.sort();
}

t.test('the workers\' import is byte for byte the main thread\'s', async (t) => {
  const src = await tmpDir(t);
  const sizes = [0, 1, 1024, 1025, 5000, 65536, 65537, 200_000, 256 * 1024, 256 * 1024 + 1, 3 << 20, 9 << 20];
  for (let d = 0; d < 3; d++) {
    await mkdir(join(src, `d${d}`));
    for (const [i, n] of sizes.entries()) {
      await writeFile(join(src, `d${d}`, `t${i}`), text(n, d * 100 + i));
      await writeFile(join(src, `d${d}`, `r${i}`), randomBytes(n));
      await writeFile(join(src, `d${d}`, `m${i}`), mixed(n, i));
      await writeFile(join(src, `d${d}`, `z${i}`), Buffer.alloc(n));
    }
  }
  await writeFile(join(src, 'same'), text(300_000, 7)); // a duplicate of nothing, then of itself
  await writeFile(join(src, 'same2'), text(300_000, 7));
  const { store: a } = await tmpStore(t);
  const { store: b } = await tmpStore(t);
  const plain = await importDirectory(plainPuts(a), src, { created: 0n });
  const workers = await importDirectory(b, src, { created: 0n });
  t.same(workers.root, plain.root, 'the same root');
  t.same(workers.stats, plain.stats);
  const [sa, sb] = [await a.stats(), await b.stats()];
  t.same([sb.blocks, sb.bytes, sb.diskBytes], [sa.blocks, sa.bytes, sa.diskBytes], 'the same blocks, logical and disk bytes');
  t.ok(sb.diskBytes < sb.bytes, 'some blocks were compressed');
  t.same(await entries(b), await entries(a), 'each block with the same type, stored and logical length');
  t.ok((await b.verify()).ok, 'the store verifies');
});

t.test('a worker that dies fails its requests and the ones after, with a clear error', async (t) => {
  const dir = await tmpDir(t);
  await writeFile(join(dir, 'f'), 'hello');
  const r = new SmallReader(1);
  t.teardown(() => r.close());
  t.equal((await r.read([Buffer.from(join(dir, 'f'))], [5]))[0]?.toString(), 'hello');
  r.crashForTest();
  await t.rejects(r.read([Buffer.from(join(dir, 'f'))], [5]), { code: 'COLONY_INTERNAL', message: /import worker thread stopped \(exit code 3\)/ });
  const buf = Buffer.from(new SharedArrayBuffer(1 << 16));
  await t.rejects(r.encode(buf, buf.length, { blockSize: 1 << 16, codec: 0, inlineMax: 1024 }), { code: 'COLONY_INTERNAL' }, 'and the next');
});

t.test('an import whose worker dies fails with that error, not a hang', async (t) => {
  const src = await tmpDir(t);
  const files: FileToRead[] = [];
  for (let i = 0; i < 20; i++) {
    const path = join(src, `f${i}`);
    const size = 10_000 + i * 40_000; // small and large files both
    await writeFile(path, text(size, i));
    const node = newNode('file');
    node.entry.size = size;
    files.push({ path: Buffer.from(path), node, fp: { size: 0, mtime: 0n, ctime: 0n, ino: 0 } as never, known: undefined });
  }
  const { store } = await tmpStore(t);
  const reader = new ContentReader(1 << 16);
  const workers = new SmallReader(1);
  Object.assign(reader, { small: workers });
  t.teardown(() => workers.close());
  workers.crashForTest();
  await t.rejects(readContents(store, files, reader, newStats(), { done: 0 }), { code: 'COLONY_INTERNAL', message: /import worker thread stopped \(exit code 3\)/ });
});
