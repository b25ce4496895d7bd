// An import that is half-way when a collection starts: what it wrote before (now in sealed
// arenas, named by nothing yet) is kept because the import writes through a WriteHolds
// hold; without the hold the same collection drops it and the finished name is broken.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { WriteHolds, collectGarbage, heldNow } from '../../../appliance/gc/index.js';
import { MemoryLog } from '../../../appliance/log.js';
import { exportDirectory, importDirectory } from '../../../appliance/snapshot/index.js';
import { BlockStore, type Score } from '../../../appliance/store/index.js';
import { gated } from '../../helpers/gate.js';
import { tmpDir } from '../../helpers/tmp.js';

const pattern = (n: number, seed: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 29 + seed * 97 + Math.floor(i / 4096)) % 251));

async function race(t: Test, useHolds: boolean): Promise<{ src: string; root: Score; store: BlockStore }> {
  const store = await BlockStore.open(await tmpDir(t), { arenaBytes: 1 << 20, maxBlockBytes: 128 << 10, cacheBytes: 0, compress: 'off' }); // patterned trees: the layout must not depend on compression
  t.teardown(() => store.close().catch(() => {}));
  const src = await tmpDir(t);
  await mkdir(join(src, 'd'));
  for (let i = 0; i < 6; i++) await writeFile(join(src, 'd', `f${i}`), pattern(400_000, i));
  const holds = new WriteHolds();
  const { store: writer, release } = useHolds ? holds.hold(store) : { store, release: () => {} };
  // The import stops at its 30th put (about 2 MiB: two arenas sealed) while a collection runs.
  // File content goes through putEncoded (the import's workers).
  const gate = gated(writer, ['put', 'putEncoded'], (n) => n === 30, 'before');
  const importing = importDirectory(gate.target, src, { xattrs: false });
  await gate.reached;
  await store.sync();
  t.ok((await store.stats()).sealedArenas >= 1, 'part of the import is in sealed arenas');
  const report = await collectGarbage({
    store, log: new MemoryLog(), bytesPerSecond: Number.POSITIVE_INFINITY, maxUnusedFraction: 0, minArenaGarbageFraction: 0,
    roots: async () => heldNow({ catalog: { liveRoots: () => [] }, holds }),
  });
  gate.go();
  const { root } = await importing;
  await store.sync();
  release();
  t.ok(report.garbageBytes >= 0);
  return { src, root, store };
}

t.test('an import held through WriteHolds survives a collection half-way through it', async (t) => {
  const { src, root, store } = await race(t, true);
  const out = join(await tmpDir(t), 'x');
  await exportDirectory(store, root, out);
  let differ = 0;
  for (let i = 0; i < 6; i++) if (!(await readFile(join(src, 'd', `f${i}`))).equals(await readFile(join(out, 'd', `f${i}`)))) differ++;
  t.equal(differ, 0, 'the imported tree exports byte-exact');
});

t.test('without the hold the same collection breaks the import (the race is real)', async (t) => {
  const { root, store } = await race(t, false);
  await t.rejects(exportDirectory(store, root, join(await tmpDir(t), 'x')), { code: 'COLONY_NOT_FOUND' });
});
