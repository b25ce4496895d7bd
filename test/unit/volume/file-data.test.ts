// FileData and Budget directly, over a store whose puts can be held open: what happens when
// a write lands on a leaf while that leaf is being spilled, and when spilled buffers are reused.
import t from 'tap';
import { Budget, FileData, type VolumeCounters } from '../../../appliance/volume/file-data.js';
import { DATA, ZERO_SCORE } from '../../../appliance/snapshot/index.js';
import { loadHash } from '../../../appliance/store/hash.js';

const hashOf = (await loadHash()).hash;
const bs = 4096;

/** A store in memory that, like the real one, hashes at once but copies the bytes later. */
function heldStore() {
  const blocks = new Map<string, { type: number; data: Buffer }>();
  let release: () => void = () => {};
  let gate: Promise<void> = Promise.resolve();
  return {
    blocks,
    hold() { gate = new Promise((r) => { release = r; }); },
    release: () => release(),
    async getBlock(score: Buffer) {
      const b = blocks.get(score.toString('hex'));
      if (!b) throw new Error('no such block');
      if (!hashOf(b.data).equals(score)) throw Object.assign(new Error('corrupt block'), { code: 'COLONY_CORRUPT_BLOCK' });
      return b;
    },
    async put(type: number, data: Uint8Array) {
      const score = hashOf(data);
      await gate;
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
