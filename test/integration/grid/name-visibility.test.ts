// closureProgress and NameCompleteness over a real block store that receives a snapshot's
// blocks in pieces, as replication delivers them: no tree blocks → total unknown; tree
// blocks but not every leaf → "N of M"; all → complete. Walks are counted: a complete
// root is never walked again, a pending one once per store head, a local name never.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import type { NameRecord } from '../../../appliance/catalog/index.js';
import { closureProgress, NameCompleteness } from '../../../appliance/grid/name-visibility.js';
import { silentLog } from '../../../appliance/log.js';
import { closure, DATA, importDirectory, MIN_BLOCK_SIZE } from '../../../appliance/snapshot/index.js';
import type { BlockStore, Score } from '../../../appliance/store/index.js';
import { tmpDir, tmpStore } from '../../helpers/tmp.js';

async function snapshot(t: Parameters<typeof tmpDir>[0], store: BlockStore): Promise<Score> {
  const dir = await tmpDir(t);
  await mkdir(join(dir, 'sub'));
  for (let i = 0; i < 3; i++) await writeFile(join(dir, 'sub', `f${i}`), Buffer.alloc(5 * MIN_BLOCK_SIZE, i + 1));
  await writeFile(join(dir, 'top'), Buffer.alloc(3 * MIN_BLOCK_SIZE, 9));
  const { root } = await importDirectory(store, dir, { blockSize: MIN_BLOCK_SIZE });
  await store.sync();
  return root;
}

/** The closure's blocks in src, as [score, type, data], tree blocks and leaves apart. */
async function blocksOf(src: BlockStore, root: Score) {
  const tree: Array<{ type: number; data: Buffer }> = [];
  const leaves: Array<{ type: number; data: Buffer }> = [];
  for await (const s of closure(src, root)) {
    const b = await src.getBlock(s);
    (b.type === DATA ? leaves : tree).push({ type: b.type, data: Buffer.from(b.data) });
  }
  return { tree, leaves };
}

const rec = (name: string, origin: string, root: Score): NameRecord =>
  ({ owner: 'alice', name, root, created: '2026-12-06T00:00:00.000Z', origin, comment: '', meta: {} });

t.test('progress as the blocks arrive, and the cache walks each root only when needed', async (t) => {
  const { store: src } = await tmpStore(t);
  const root = await snapshot(t, src);
  const { tree, leaves } = await blocksOf(src, root);
  t.ok(leaves.length >= 4 && tree.length >= 3, `a tree to replicate (${tree.length} tree blocks, ${leaves.length} leaves)`);
  const total = tree.length + leaves.length;

  const { store: dst } = await tmpStore(t);
  const walks = new Map<string, number>();
  const localRoot = Buffer.alloc(32, 7); // never in the store: walking it would count
  const names = [rec('far', 'node-far', root), rec('mine', 'node-here', localRoot)];
  const cache = new NameCompleteness({
    store: dst, names: () => names, localOrigin: 'node-here', log: silentLog,
    walk: (s, r) => { walks.set(r.toString('hex'), (walks.get(r.toString('hex')) ?? 0) + 1); return closureProgress(s, r); },
  });
  t.teardown(() => cache.stop());
  const rootKey = root.toString('hex');

  t.same(await closureProgress(dst, root), { local: 0 }, 'nothing yet: size unknown');
  let v = cache.view(names);
  t.same(v.visible.map((r) => r.name), ['mine'], 'the local name is visible at once');
  t.same(v.pending.map((p) => p.record.name), ['far']);
  await cache.refresh();
  t.same(cache.view(names).pending[0]!.progress, { local: 0 }, 'blocks arriving');

  for (const b of tree.slice(0, -1)) await dst.put(b.type, b.data); // all tree blocks but one
  await dst.sync();
  await cache.refresh();
  t.equal(cache.view(names).pending[0]!.progress.total, undefined, 'a tree block missing: still unknown');

  await dst.put(tree.at(-1)!.type, tree.at(-1)!.data);
  for (const b of leaves.slice(1)) await dst.put(b.type, b.data); // every leaf but one
  await dst.sync();
  await cache.refresh();
  t.same(cache.view(names).pending[0]!.progress, { local: total - 1, total }, 'N of M');
  const walksBefore = walks.get(rootKey)!;
  await cache.refresh();
  t.equal(walks.get(rootKey), walksBefore, 'no head move, no walk');

  await dst.put(leaves[0]!.type, leaves[0]!.data);
  await dst.sync();
  await cache.refresh();
  v = cache.view(names);
  t.same(v.visible.map((r) => r.name).sort(), ['far', 'mine'], 'complete: visible');
  t.same(v.pending, []);
  const walksDone = walks.get(rootKey)!;
  await dst.put(DATA, Buffer.from('unrelated'));
  await dst.sync();
  await cache.refresh();
  t.equal(walks.get(rootKey), walksDone, 'a complete root is not walked again');
  t.notOk(walks.has(localRoot.toString('hex')), 'the local name was never walked');
});
