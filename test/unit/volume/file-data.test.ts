// FileData and Budget directly, over a store whose puts can be held open: what happens when
// a write lands on a leaf while that leaf is being spilled, and when spilled buffers are reused.
import t from 'tap';
import { Budget, type VolumeCounters } from '../../../appliance/volume/budget.js';
import { FileData } from '../../../appliance/volume/file-data.js';
import { DATA, ZERO_SCORE } from '../../../appliance/snapshot/index.js';
import { loadHash } from '../../../appliance/store/hash.js';

const hashOf = (await loadHash()).hash;
const bs = 4096;

/** A store in memory that, like the real one, hashes at once but copies the bytes later. */
function heldStore() {
  const blocks = new Map<string, { type: number; data: Buffer }>();
  let release: () => void = () => {};
  let gate: Promise<void> = Promise.resolve();
  let fail: Error | undefined;
  const gets: string[] = [];
  return {
    blocks,
    gets,
    failWith(err: Error | undefined) { fail = err; },
    hold() { gate = new Promise((r) => { release = r; }); },
    release: () => release(),
    async getBlock(score: Buffer) {
      gets.push(score.toString('hex'));
      const b = blocks.get(score.toString('hex'));
      if (!b) throw new Error('no such block');
      if (!hashOf(b.data).equals(score)) throw Object.assign(new Error('corrupt block'), { code: 'COLONY_CORRUPT_BLOCK' });
      return b;
    },
    async put(type: number, data: Uint8Array) {
      const score = hashOf(data);
      await gate;
      if (fail) throw fail;
      blocks.set(score.toString('hex'), { type, data: Buffer.from(data) });
      return score;
    },
  };
}

const counters = (): VolumeCounters => ({ bytesRead: 0, bytesWritten: 0, bytesFetched: 0, spilledLeaves: 0 });

t.test('a write to a leaf while it spills wins, and the spilled block matches its score', async (t) => {
  const store = heldStore();
  const budget = new Budget(64 * bs, store, bs, counters());
  const file = new FileData(1, budget, ZERO_SCORE, 0, null);
  await file.write(0, Buffer.alloc(bs, 1));
  t.equal(budget.dirtyBytes, bs);
  store.hold();
  budget.dirty.clear(); // as spillIfNeeded does before it spills a leaf
  const spilling = file.spill(0);
  await file.write(10, Buffer.from('newer'));
  store.release();
  await spilling;
  const back = await file.read(0, bs);
  t.equal(back.subarray(10, 15).toString(), 'newer', 'the write made during the spill is kept');
  t.equal(back[0], 1);
  t.equal(budget.dirtyBytes, bs, 'the newer leaf is counted as dirty again');
  t.ok(budget.isDirty(file, 0));
  for (const [key, b] of store.blocks) t.equal(hashOf(b.data).toString('hex'), key, 'what was stored matches its score');
  t.same([...store.blocks.values()].map((b) => b.data[10]), [1], 'the spill stored the bytes as they were');
});

t.test('spilled buffers are reused for new leaves, zeroed where the new leaf has no data', async (t) => {
  const store = heldStore();
  const budget = new Budget(64 * bs, store, bs, counters());
  const file = new FileData(1, budget, ZERO_SCORE, 0, null);
  // Past 3/4 of the budget the oldest leaves spill, until dirty data is under 5/8.
  for (let i = 0; i < 50; i++) await file.write(i * bs, Buffer.alloc(bs, 0xee));
  t.ok(budget.counters.spilledLeaves > 0, 'some leaves spilled');
  await new Promise((r) => setImmediate(r));
  const other = new FileData(2, budget, ZERO_SCORE, 0, null);
  await other.write(100, Buffer.from('x'));
  const leaf = await other.read(0, bs);
  t.equal(leaf.length, 101);
  t.ok(leaf.subarray(0, 100).every((b) => b === 0), 'no stale bytes from a reused buffer before the write');
  await other.truncate(bs);
  const whole = await other.read(0, bs);
  t.ok(whole.subarray(101).every((b) => b === 0), 'none after it either');
  for (let i = 0; i < 50; i++) {
    const got = await file.read(i * bs, bs);
    if (!got.equals(Buffer.alloc(bs, 0xee))) { t.fail(`leaf ${i} changed`); break; }
  }
  t.ok(budget.dirtyBytes <= 64 * bs * 0.75);
  t.ok([...store.blocks.values()].every((b) => b.type === DATA));
});

/** Writes `leaves` distinct leaves and spills them all, so every read has to go to the store. */
async function spilledFile(store: ReturnType<typeof heldStore>, budget: Budget, leaves: number): Promise<FileData> {
  const file = new FileData(7, budget, ZERO_SCORE, 0, null);
  for (let i = 0; i < leaves; i++) await file.write(i * bs, Buffer.alloc(bs, i + 1));
  await new Promise((r) => setImmediate(r));
  for (const [key, { index }] of [...budget.dirty]) { budget.dirty.delete(key); await file.spill(index); }
  budget.clean.clear();
  store.gets.length = 0;
  return file;
}

t.test('a sequential reader is read ahead, and each block is fetched once', async (t) => {
  const store = heldStore();
  const budget = new Budget(256 * bs, store, bs, counters());
  const file = await spilledFile(store, budget, 40);
  const first = await file.read(0, 100);
  t.equal(first[0], 1);
  await new Promise((r) => setImmediate(r));
  t.ok(store.gets.length > 1, `the first read of the file asked for more than its own leaf (${store.gets.length} blocks)`);
  for (let off = 100; off < 40 * bs; off += 3000) {
    const got = await file.read(off, 3000);
    const leaf = Math.floor(off / bs);
    if (got[0] !== leaf + 1) { t.fail(`wrong bytes at ${off}`); break; }
  }
  t.equal(store.gets.length, 40, 'every leaf came from the store exactly once');
  t.equal(new Set(store.gets).size, 40);
});

t.test('a random reader is not read ahead', async (t) => {
  const store = heldStore();
  const budget = new Budget(256 * bs, store, bs, counters());
  const file = await spilledFile(store, budget, 40);
  await file.read(5 * bs, 10); // not where the last read ended: no read-ahead
  await file.read(20 * bs, 10);
  await new Promise((r) => setImmediate(r));
  t.equal(store.gets.length, 2);
});

t.test('spilling runs behind the writes; only a write over the whole budget waits, and a failed spill loses nothing', async (t) => {
  const store = heldStore();
  const budget = new Budget(16 * bs, store, bs, counters());
  const file = new FileData(1, budget, ZERO_SCORE, 0, null);
  store.hold();
  // Past 12 leaves (3/4) a spill starts but cannot finish: the writes go on regardless,
  // up to the whole budget (16 leaves counted, the one in the store's hands not among them).
  for (let i = 0; i < 17; i++) await file.write(i * bs, Buffer.alloc(bs, i + 1));
  t.ok(budget.dirtyBytes >= 15 * bs, 'the writes were answered while the spill was held');
  store.failWith(Object.assign(new Error('no space left on device'), { code: 'COLONY_NO_SPACE' }));
  let settled = false;
  const over = file.write(17 * bs, Buffer.alloc(bs, 18)).then(() => { settled = true; }, (err) => { settled = true; throw err; });
  await new Promise((r) => setImmediate(r));
  t.notOk(settled, 'a write over the budget waits for the spill');
  store.release();
  await t.rejects(over, { code: 'COLONY_NO_SPACE' }, 'and reports its failure');
  const lost: number[] = [];
  for (let i = 0; i <= 17; i++) if (!(await file.read(i * bs, bs)).equals(Buffer.alloc(bs, i + 1))) lost.push(i);
  t.same(lost, [], 'every leaf still reads back');
  t.equal(budget.dirtyBytes, 18 * bs, 'the leaves the store refused are dirty again');
  store.failWith(undefined);
  await file.write(18 * bs, Buffer.alloc(bs, 19));
  await file.write(19 * bs, Buffer.alloc(bs, 20));
  t.ok(budget.dirtyBytes <= 16 * bs, `once the store takes blocks again, dirty data falls within the budget (${budget.dirtyBytes / bs} leaves)`);
});
