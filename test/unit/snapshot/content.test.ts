import t from 'tap';
import { ContentBuilder, ContentWriter, depthFor, leafCount, readLeaf, readLeaves, readRange } from '../../../appliance/snapshot/content.js';
import { DATA, POINTER, ZERO_SCORE, isZeroScore } from '../../../appliance/snapshot/format.js';
import { rewriteLeaves } from '../../../appliance/snapshot/rewrite.js';
import { MemoryBlockSource } from '../../../appliance/store/index.js';

const BS = 4096; // fanout 128
const F = BS / 32;

/** A deterministic, mostly non-zero leaf for index i (every 5th is all zero: sparse). */
const leafFor = (i: number, len = BS, salt = 0) => (i % 5 === 3 ? Buffer.alloc(len) : Buffer.alloc(len, ((i * 31 + salt) % 251) + 1));

async function build(store: MemoryBlockSource, size: number, salt = 0) {
  const b = new ContentBuilder(store, BS);
  for (let i = 0; i < leafCount(size, BS); i++) await b.add(leafFor(i, Math.min(BS, size - i * BS), salt));
  return b.finish();
}

t.test('depth is a pure function of size and block size', async (t) => {
  t.equal(depthFor(0, BS), 0);
  t.equal(depthFor(1, BS), 0);
  t.equal(depthFor(BS, BS), 0);
  t.equal(depthFor(BS + 1, BS), 1);
  t.equal(depthFor(F * BS, BS), 1);
  t.equal(depthFor(F * BS + 1, BS), 2);
  t.equal(depthFor(F * F * BS, BS), 2);
  t.equal(depthFor(F * F * BS + 1, BS), 3);
  t.equal(depthFor(4 * 2 ** 30, 65536), 2, '4 GiB at 64 KiB: 65536 leaves under 2048-way pointers');
  t.equal(depthFor(2 ** 53 - 1, 65536), 4);
  t.equal(leafCount(0, BS), 0);
  t.equal(leafCount(BS + 1, BS), 2);
  t.throws(() => depthFor(-1, BS), { code: 'COLONY_INVALID' });
});

t.test('a content tree has the documented shape; zero leaves and subtrees are elided', async (t) => {
  const store = await MemoryBlockSource.create();
  t.same(await build(store, 0), { score: ZERO_SCORE, size: 0 });
  const one = await build(store, 100);
  t.equal((await store.getBlock(one.score)).type, DATA, 'a one-leaf stream is its leaf');
  const size = (F + 2) * BS + 7; // depth 2: a root over two pointer blocks
  const { score } = await build(store, size);
  const top = await store.getBlock(score);
  t.equal(top.type, POINTER);
  t.equal(top.data.length, 2 * 32, 'the root lists exactly the children that exist');
  const second = await store.getBlock(top.data.subarray(32, 64));
  t.equal(second.data.length, 3 * 32, 'the last pointer block covers the last three leaves');
  t.ok(isZeroScore(second.data.subarray(0, 32)), 'leaf F (index % 5 == 3) is all zero: the zero score');
  const zeros = new ContentBuilder(store, BS);
  for (let i = 0; i < F + 1; i++) await zeros.add(null);
  t.same(await zeros.finish(), { score: ZERO_SCORE, size: (F + 1) * BS }, 'an all-zero tree collapses to the zero score');
});

t.test('leaves, ranges and streams read back what was written', async (t) => {
  const store = await MemoryBlockSource.create();
  const size = (F * 2 + 5) * BS - 100;
  const { score } = await build(store, size);
  const n = leafCount(size, BS);
  for (const i of [0, 3, F - 1, F, 2 * F + 3, n - 1]) {
    const leaf = await readLeaf(store, score, size, BS, i);
    const want = leafFor(i, Math.min(BS, size - i * BS));
    if (i % 5 === 3) t.equal(leaf, null, `leaf ${i} is sparse`);
    else t.same(leaf, want, `leaf ${i}`);
  }
  await t.rejects(readLeaf(store, score, size, BS, n), { code: 'COLONY_INVALID' });
  const got: number[] = [];
  for await (const l of readLeaves(store, score, size, BS, { from: F - 2, to: F + 2 })) got.push(l.index);
  t.same(got, [F - 2, F - 1, F, F + 1]);
  const range = await readRange(store, score, size, BS, BS - 10, 20);
  t.same(range, Buffer.concat([leafFor(0).subarray(BS - 10), leafFor(1).subarray(0, 10)]));
  t.same(await readRange(store, score, size, BS, size - 5, 100), leafFor(n - 1, size - (n - 1) * BS).subarray(-5), 'clipped at the end');
});

t.test('the builder refuses a short leaf before the last, and a writer chunks any stream', async (t) => {
  const store = await MemoryBlockSource.create();
  const b = new ContentBuilder(store, BS);
  await b.add(Buffer.alloc(10, 1));
  await t.rejects(b.add(Buffer.alloc(BS, 1)), { code: 'COLONY_INVALID' });
  const data = Buffer.concat(Array.from({ length: 7 }, (_, i) => leafFor(i))).subarray(0, 7 * BS - 3);
  const w = new ContentWriter(store, BS);
  for (let at = 0; at < data.length; at += 1000) await w.write(data.subarray(at, at + 1000));
  const a = await w.finish();
  const whole = new ContentWriter(store, BS);
  await whole.write(data);
  t.same(await whole.finish(), a, 'the same bytes in any chunking give the same tree');
  t.same(await readRange(store, a.score, a.size, BS, 0, a.size), data);
});

t.test('the builder keeps one partial pointer block per level, whatever the size', async (t) => {
  const store = await MemoryBlockSource.create();
  const b = new ContentBuilder(store, BS);
  const levels = (b as unknown as { levels: Buffer[][] }).levels;
  let most = 0;
  for (let i = 0; i < F * F + 10; i++) {
    await b.add(i % 2 ? null : leafFor(i));
    most = Math.max(most, levels.reduce((n, l) => n + l.length, 0));
  }
  t.ok(most <= 3 * F, `at most depth × fanout scores held (held ${most})`);
});

t.test('rewriteLeaves equals a rebuild, and rewrites only the changed path', async (t) => {
  const store = await MemoryBlockSource.create();
  const cases: Array<{ old: number; now: number; change: number[] }> = [
    { old: (F * 3 + 9) * BS + 11, now: (F * 3 + 9) * BS + 11, change: [0, F + 1, 3 * F + 8] },
    { old: (F * 3 + 9) * BS + 11, now: (F * 3 + 9) * BS + 11, change: [] },
    { old: 5 * BS, now: (F * F + 3) * BS, change: [F * F + 1] }, // grows two levels
    { old: (F * F + 3) * BS, now: 2 * BS + 5, change: [1] }, // shrinks to depth 1, last leaf cut
    { old: 3 * BS + 100, now: 3 * BS + 300, change: [] }, // the last leaf grows with zeros
    { old: BS * 2, now: 0, change: [] },
    { old: 0, now: BS * 2 + 1, change: [2] },
  ];
  for (const c of cases) {
    const before = await build(store, c.old);
    const changes = new Map<number, Buffer | null>();
    for (const i of c.change) changes.set(i, i === 1 ? null : leafFor(i, Math.min(BS, c.now - i * BS), 99));
    const got = await rewriteLeaves(store, before.score, c.old, c.now, changes, { blockSize: BS });
    const expect = new ContentBuilder(store, BS);
    for (let i = 0; i < leafCount(c.now, BS); i++) {
      const len = Math.min(BS, c.now - i * BS);
      let leaf: Buffer | null;
      if (changes.has(i)) leaf = changes.get(i)!;
      else if (i * BS >= c.old) leaf = null;
      else { const old = leafFor(i, Math.min(BS, c.old - i * BS)); leaf = Buffer.concat([old, Buffer.alloc(BS)]).subarray(0, len); }
      await expect.add(leaf, len);
    }
    t.same(got.toString('hex'), (await expect.finish()).score.toString('hex'), `${c.old} → ${c.now}, changing [${c.change}]`);
  }
  // One changed leaf in a depth-2 tree: one leaf, one pointer block per level; nothing else is read or written.
  const size = (F * 3 + 9) * BS;
  const base = await build(store, size);
  store.puts = 0; store.gets = 0;
  await rewriteLeaves(store, base.score, size, size, new Map([[F + 1, Buffer.alloc(BS, 7)]]), { blockSize: BS });
  t.equal(store.puts, 3, 'a leaf, its pointer block and the root');
  t.equal(store.gets, 2, 'only the two old pointer blocks on the path were read; no leaf');
  await t.rejects(rewriteLeaves(store, base.score, size, size, new Map([[0, Buffer.alloc(5)]]), { blockSize: BS }), { code: 'COLONY_INVALID' });
});
