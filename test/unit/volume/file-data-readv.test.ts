// FileData.readv: the pieces a 9P server sends without joining them. Views of store blocks,
// lent in-memory leaves that no later write or spill may change, and the same bytes as read().
import t from 'tap';
import { Budget, type VolumeCounters } from '../../../appliance/volume/budget.js';
import { FileData } from '../../../appliance/volume/file-data.js';
import { ZERO_SCORE } from '../../../appliance/snapshot/index.js';
import { loadHash } from '../../../appliance/store/hash.js';

const hashOf = (await loadHash()).hash;
const bs = 4096;

function memStore() {
  const blocks = new Map<string, { type: number; data: Buffer }>();
  const gets: string[] = [];
  return {
    blocks,
    gets,
    async getBlock(score: Buffer) {
      gets.push(score.toString('hex'));
      const b = blocks.get(score.toString('hex'));
      if (!b) throw new Error('no such block');
      return b;
    },
    async put(type: number, data: Uint8Array) {
      const score = hashOf(data);
      blocks.set(score.toString('hex'), { type, data: Buffer.from(data) });
      return score;
    },
  };
}

const counters = (): VolumeCounters => ({ bytesRead: 0, bytesWritten: 0, bytesFetched: 0, spilledLeaves: 0 });
const pattern = (n: number, seed: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff));

async function spillAll(file: FileData, budget: Budget): Promise<void> {
  for (const [key, { index }] of [...budget.dirty]) { budget.dirty.delete(key); await file.spill(index); }
}

t.test('readv gives the same bytes as read, across leaves, holes, short leaves and the end', async (t) => {
  const budget = new Budget(256 * bs, memStore(), bs, counters());
  const file = new FileData(1, budget, ZERO_SCORE, 0, null);
  await file.write(0, pattern(3 * bs, 1));
  await file.write(6 * bs + 100, pattern(bs, 2)); // leaves 3-5 are a hole
  await spillAll(file, budget);
  await file.write(bs + 10, pattern(50, 3)); // leaf 1 in memory again
  for (const [off, len] of [[0, 3 * bs], [bs - 5, 10], [bs / 2, 6 * bs], [2 * bs + 1, 8 * bs], [7 * bs, 100], [file.size, 10], [file.size + 5, 10], [0, 0]] as const) {
    const v = await file.readv(off, len);
    t.same(Buffer.concat(v), await file.read(off, len), `bytes ${off}+${len}`);
    t.ok(v.every((p) => p.length > 0), 'no empty pieces');
  }
});

t.test('readv lends views: store blocks as they are, an in-memory leaf marked so nothing changes it', async (t) => {
  const store = memStore();
  const budget = new Budget(256 * bs, store, bs, counters());
  const file = new FileData(1, budget, ZERO_SCORE, 0, null);
  await file.write(0, pattern(2 * bs, 1));
  await spillAll(file, budget);
  const stored = await file.readv(bs / 2, bs);
  t.equal(stored.length, 2);
  const blocks = [...store.blocks.values()].map((b) => b.data.buffer);
  t.ok(stored.every((p) => blocks.includes(p.buffer as ArrayBuffer)), 'views of the store blocks, not copies');

  await file.write(2 * bs, pattern(bs, 9)); // leaf 2 in memory
  const lent = await file.readv(2 * bs, bs);
  const before = Buffer.from(lent[0]!);
  await file.write(2 * bs, Buffer.alloc(bs, 0xaa)); // must not write into the lent buffer
  t.same(lent[0], before, 'a write after the read leaves the lent piece as it was');
  t.same((await file.read(2 * bs, bs))[0], 0xaa, 'and the file has the new bytes');

  // Spilling a lent leaf must not hand its buffer to a new leaf.
  const lent2 = await file.readv(2 * bs, bs);
  const kept = Buffer.from(lent2[0]!);
  await spillAll(file, budget);
  await new Promise((r) => setImmediate(r));
  const other = new FileData(2, budget, ZERO_SCORE, 0, null);
  for (let i = 0; i < 8; i++) await other.write(i * bs, Buffer.alloc(bs, 0x55));
  t.same(lent2[0], kept, 'a spilled lent buffer is not reused');
});

t.test('a short piece of an in-memory leaf is copied, and the leaf stays writable in place', async (t) => {
  const budget = new Budget(256 * bs, memStore(), bs, counters());
  const file = new FileData(1, budget, ZERO_SCORE, 0, null);
  await file.write(0, pattern(bs, 4));
  const leaf = (file.leaves.get(0) as { mem: Buffer }).mem;
  const [small] = await file.readv(10, 100);
  t.not(small!.buffer, leaf.buffer, 'copied');
  await file.write(0, Buffer.from('x'));
  t.equal((file.leaves.get(0) as { mem: Buffer }).mem, leaf, 'the next write changes the leaf in place');
  t.equal(small![0], pattern(bs, 4)[10]);
});

t.test('a file read end to end that is larger than the clean cache does not evict it: the next pass finds what it holds', async (t) => {
  const store = memStore();
  const budget = new Budget(64 * bs, store, bs, counters());
  const file = new FileData(1, budget, ZERO_SCORE, 0, null);
  const leaves = 96; // more than the whole budget
  for (let i = 0; i < leaves; i++) await file.write(i * bs, Buffer.alloc(bs, i + 1));
  await spillAll(file, budget);
  budget.clean.resize(32 * bs); // as if the rest of the budget were dirty data and metadata
  const pass = async () => {
    store.gets.length = 0;
    for (let off = 0; off < leaves * bs; off += bs - 24) {
      const got = Buffer.concat(await file.readv(off, bs - 24));
      if (got[0] !== Math.floor(off / bs) + 1) { t.fail(`wrong bytes at ${off}`); break; }
    }
    await new Promise((r) => setImmediate(r));
    return store.gets.length;
  };
  t.equal(await pass(), leaves, 'the first pass fetches every leaf');
  const second = await pass();
  t.ok(second <= leaves - 24, `the second pass finds most of what the cache holds (${second} fetched of ${leaves})`);
  t.ok(budget.clean.bytes <= 32 * bs, 'the clean cache stays within its budget');
});

t.test('read-ahead is asked on the next turn, so the read in hand is answered first', async (t) => {
  const store = memStore();
  const budget = new Budget(256 * bs, store, bs, counters());
  const file = new FileData(1, budget, ZERO_SCORE, 0, null);
  for (let i = 0; i < 40; i++) await file.write(i * bs, Buffer.alloc(bs, i + 1));
  await spillAll(file, budget);
  budget.clean.clear();
  store.gets.length = 0;
  const got = await file.readv(0, bs + 10);
  t.equal(Buffer.concat(got).length, bs + 10);
  t.equal(store.gets.length, 2, 'only the two leaves of the read, within its turn');
  await new Promise((r) => setImmediate(r));
  t.ok(store.gets.length > 2, `then the leaves ahead (${store.gets.length} blocks)`);
  t.equal(new Set(store.gets).size, store.gets.length, 'none twice');
});
