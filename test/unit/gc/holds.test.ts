// WriteHolds at the sizes a large import reaches: a 20 GiB import puts ~330k blocks, more
// than a JavaScript call takes as arguments, and a collection gathering them must not throw.
import t from 'tap';
import { WriteHolds, heldNow } from '../../../appliance/gc/index.js';
import type { Score } from '../../../appliance/store/index.js';

const scoreOf = (i: number): Score => { const b = Buffer.alloc(32); b.writeUInt32LE(i, 0); return b; };

t.test('a hold of 400k scores and 400k trees is gathered whole', async (t) => {
  let n = 0;
  const store = { async put(): Promise<Score> { return scoreOf(n++); } };
  const holds = new WriteHolds();
  const { store: held, release } = holds.hold(store);
  for (let i = 0; i < 400_000; i++) await held.put();
  const trees = Array.from({ length: 400_000 }, (_, i) => ({ score: scoreOf(i), size: 1 << 20, blockSize: 65536, kind: 'file' as const }));
  await held.holdTrees(trees);
  const h = heldNow({ catalog: { liveRoots: () => [] }, holds });
  t.equal(h.scores.length, 400_000);
  t.equal(h.trees!.length, 400_000);
  release();
  t.equal(heldNow({ catalog: { liveRoots: () => [] }, holds }).scores.length, 0, 'released');
});

t.test('holdTrees waits for a collection that has gathered, not for one that has not', async (t) => {
  const holds = new WriteHolds();
  const { store: held } = holds.hold({ async put(): Promise<Score> { return scoreOf(0); } });
  let finish!: () => void;
  const running = holds.collecting(() => new Promise<void>((r) => { finish = r; }));
  await held.holdTrees([]); // not gathered yet: returns at once
  heldNow({ catalog: { liveRoots: () => [] }, holds }); // the gather
  let done = false;
  const waiting = held.holdTrees([{ score: scoreOf(1), size: 1, blockSize: 65536, kind: 'file' }]).then(() => { done = true; });
  await new Promise((r) => setImmediate(r));
  t.notOk(done, 'waits while the gathered collection runs');
  t.equal(heldNow({ catalog: { liveRoots: () => [] }, holds }).trees!.length, 0, 'and holds nothing yet');
  finish();
  await running;
  await waiting;
  t.ok(done);
  t.equal(heldNow({ catalog: { liveRoots: () => [] }, holds }).trees!.length, 1, 'held once the collection ended');
});
