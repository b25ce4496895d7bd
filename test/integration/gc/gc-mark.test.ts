// Marking over real snapshots in a real store: the live set is exactly the closure of the
// roots, data leaves are never read, shared subtrees are walked once, and a root whose
// blocks are not all here yet (still replicating) marks what is here without failing.
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { markLive } from '../../../appliance/gc/index.js';
import { DATA, closure, importDirectory, walk } from '../../../appliance/snapshot/index.js';
import type { BlockStore, Score } from '../../../appliance/store/index.js';
import { tmpDir, tmpStore } from '../../helpers/tmp.js';

async function makeTree(src: string, variant: number) {
  await mkdir(join(src, 'same/a/b'), { recursive: true });
  await mkdir(join(src, 'own'), { recursive: true });
  for (let i = 0; i < 20; i++) await writeFile(join(src, 'same/a/b', `f${i}`), Buffer.alloc(3000 + i, i));
  await writeFile(join(src, 'own', 'big'), Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7 + variant) % 251))); // five distinct leaves under a pointer block
  await writeFile(join(src, 'own', 'tiny'), `inline ${variant}`);
}

async function imported(t: Test, store: BlockStore, variant: number): Promise<Score> {
  const src = await tmpDir(t);
  await makeTree(src, variant);
  const { root } = await importDirectory(store, src, { created: 0n, xattrs: false });
  await store.sync();
  return root;
}

/** Same times everywhere under same/, so both imports give it the same score. */
async function pinTimes(src: string) {
  for (const d of ['same', 'same/a', 'same/a/b']) await utimes(join(src, d), 0, 0);
  for (let i = 0; i < 20; i++) await utimes(join(src, 'same/a/b', `f${i}`), 0, 0);
  for (const d of ['same/a/b', 'same/a', 'same']) await utimes(join(src, d), 0, 0);
}

const hexes = (scores: Iterable<Score>) => new Set([...scores].map((s) => s.toString('hex')));
async function closureOf(store: BlockStore, root: Score) {
  const out: Score[] = [];
  for await (const s of closure(store, root)) out.push(s);
  return hexes(out);
}

/** The store, with every block type it hands out counted. */
function counting(store: BlockStore) {
  const types = new Map<number, number>();
  return {
    types,
    getBlock: async (s: Score) => { const b = await store.getBlock(s); types.set(b.type, (types.get(b.type) ?? 0) + 1); return b; },
  };
}

t.test('the live set of one root is exactly its closure, and no data leaf is read', async (t) => {
  const { store } = await tmpStore(t);
  const root = await imported(t, store, 1);
  const reader = counting(store);
  const progress: number[] = [];
  const { live, missing, incompleteRoots } = await markLive(reader, { roots: [root], scores: [] }, { onProgress: (p) => progress.push(p.rootsDone) });
  t.same(hexes(live), await closureOf(store, root));
  t.equal(missing, 0);
  t.same(incompleteRoots, []);
  t.notOk(reader.types.has(DATA), `block types read: ${JSON.stringify([...reader.types])}`);
  t.same(progress.at(-1), 1, 'progress ends with the root done');
});

t.test('two roots sharing a subtree: the union, with the shared part read once', async (t) => {
  const { store } = await tmpStore(t);
  const src = await tmpDir(t);
  await makeTree(src, 1);
  await pinTimes(src);
  const a = (await importDirectory(store, src, { created: 0n, xattrs: false })).root;
  await makeTree(src, 2); // only own/ changes content
  await pinTimes(src);
  const b = (await importDirectory(store, src, { created: 0n, xattrs: false })).root;
  const one = await markLive(store, { roots: [a], scores: [] });
  const both = await markLive(store, { roots: [a, b, a], scores: [] });
  t.same(hexes(both.live), new Set([...(await closureOf(store, a)), ...(await closureOf(store, b))]));
  const alone = await markLive(store, { roots: [b], scores: [] });
  t.ok(both.blocksRead < one.blocksRead + alone.blocksRead, `shared "same/" is read once: ${both.blocksRead} < ${one.blocksRead} + ${alone.blocksRead}`);
});

t.test('extra scores and loose trees join the live set', async (t) => {
  const { store } = await tmpStore(t);
  const root = await imported(t, store, 1);
  let big: { score: Score; size: number } | undefined;
  for await (const w of walk(store, root)) if (w.path.toString() === 'own/big') big = w.entry;
  const spilled = await store.put(DATA, Buffer.alloc(65536, 0x5a));
  const { live } = await markLive(store, { roots: [], scores: [spilled], trees: [{ kind: 'file', score: big!.score, size: big!.size, blockSize: 65536 }] });
  t.ok(live.has(spilled), 'a spilled leaf');
  t.ok(live.has(big!.score), 'the file tree top');
  t.equal(live.size, 1 + 1 + 5, 'the leaf, the pointer block and its five leaves; nothing of the root');
  t.notOk(live.has(root));
});

t.test('a root still replicating marks what is here and does not fail', async (t) => {
  const { store: whole } = await tmpStore(t);
  const root = await imported(t, whole, 1);
  const other = await imported(t, whole, 3);
  // The replica lacks the directory block of same/a (and so cannot know what is below it).
  let sameA: Score | undefined;
  let ownBig: Score | undefined;
  for await (const w of walk(whole, root)) {
    if (w.path.toString() === 'same/a') sameA = w.entry.score;
    if (w.path.toString() === 'own/big') ownBig = w.entry.score;
  }
  const { store: replica } = await tmpStore(t);
  for await (const b of whole.iterate(0)) if (!b.score.equals(sameA!) && !b.score.equals(other)) await replica.put(b.type, b.data);
  await replica.sync();
  const { live, missing, incompleteRoots } = await markLive(replica, { roots: [other, root], scores: [] });
  t.equal(missing, 2, 'the root block of one, a directory block of the other');
  t.same(incompleteRoots.map((s) => s.toString('hex')), [other, root].map((s) => s.toString('hex')));
  t.ok(live.has(root) && live.has(sameA!), 'the blocks named are kept, present or not');
  t.ok(live.has(ownBig!), 'the rest of the tree is marked');
  const full = await closureOf(whole, root);
  let below = 0;
  for await (const w of walk(whole, root)) if (w.path.toString().startsWith('same/a/') && w.entry.kind === 'file' && !live.has(w.entry.score)) below++;
  t.equal(below, 20, 'the files below the missing directory are not known, so not marked');
  t.ok(live.size < full.size);
});

t.test('a corrupt tree block stops the mark (nothing may be collected on a wrong live set)', async (t) => {
  const { store } = await tmpStore(t);
  const root = await imported(t, store, 1);
  let tiny: Score | undefined;
  for await (const w of walk(store, root)) if (w.path.toString() === 'own/big') tiny = w.entry.score;
  // A data block where a root should be.
  await t.rejects(markLive(store, { roots: [tiny!], scores: [] }), { code: 'COLONY_CORRUPT_DATA' });
});

t.test('an abort ends the mark', async (t) => {
  const { store } = await tmpStore(t);
  const root = await imported(t, store, 1);
  const ac = new AbortController();
  ac.abort();
  await t.rejects(markLive(store, { roots: [root], scores: [] }, { signal: ac.signal }));
});
