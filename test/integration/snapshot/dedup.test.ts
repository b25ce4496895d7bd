// Dedup: an unchanged tree re-imported writes nothing; one changed byte in a large file
// writes exactly one leaf, the pointer blocks above it, the directories up to the top,
// and the root.
import { open, mkdir, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import t from 'tap';
import { DATA, DIR, POINTER, ROOT, depthFor, importDirectory } from '../../../appliance/snapshot/index.js';
import { tmpDir, tmpStore } from '../../helpers/tmp.js';

async function makeTree(dir: string, bigSize: number): Promise<string> {
  await mkdir(join(dir, 'a', 'b'), { recursive: true });
  for (let i = 0; i < 50; i++) await writeFile(join(dir, 'a', `small-${i}`), randomBytes(100 + i * 700));
  const big = join(dir, 'a', 'b', 'big');
  await writeFile(big, randomBytes(bigSize));
  return big;
}

/** New blocks by type, counting what the store gained. */
async function newBlocksByType(store: Awaited<ReturnType<typeof tmpStore>>['store'], fromPos: number) {
  const counts: Record<number, number> = {};
  await store.sync();
  for await (const b of store.iterate(fromPos)) counts[b.type] = (counts[b.type] ?? 0) + 1;
  return counts;
}

for (const blockSize of [65536, 4096]) {
  t.test(`re-import writes nothing; one changed byte writes O(depth) blocks (block size ${blockSize})`, async (t) => {
    const { store } = await tmpStore(t);
    const src = await tmpDir(t);
    const bigSize = blockSize === 65536 ? 20 << 20 : 3 << 20;
    const big = await makeTree(src, bigSize);
    const depth = depthFor(bigSize, blockSize);
    t.equal(depth, blockSize === 65536 ? 1 : 2);
    const first = await importDirectory(store, src, { created: 0n, blockSize });
    t.ok(first.stats.blocksWritten > bigSize / blockSize);

    const before = (await store.stats()).blocks;
    const again = await importDirectory(store, src, { created: 0n, blockSize });
    t.same(again.root, first.root);
    t.equal(again.stats.blocksWritten, 0, 'an unchanged tree writes no block at all');
    t.equal((await store.stats()).blocks, before);

    const fh = await open(big, 'r+');
    const at = 2_500_000;
    const old = (await fh.read(Buffer.alloc(1), 0, 1, at)).buffer[0]!;
    await fh.write(Buffer.from([old ^ 0xff]), 0, 1, at);
    await fh.close();
    await store.sync();
    const pos = (await store.stats()).logPosition;
    const changed = await importDirectory(store, src, { created: 0n, blockSize });
    t.not(changed.root.toString('hex'), first.root.toString('hex'));
    // 1 data leaf + `depth` pointer blocks + 3 directory streams (b, a, top) + 1 root.
    t.equal(changed.stats.blocksWritten, 1 + depth + 3 + 1);
    t.same(await newBlocksByType(store, pos), { [DATA]: 1, [POINTER]: depth, [DIR]: 3, [ROOT]: 1 });
  });
}
