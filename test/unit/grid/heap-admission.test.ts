// The heap bound as data: ram caches plus disk heap shares plus the reserved heap may not
// pass heapFraction of the machine's RAM; a spawn past it is COLONY_LIMIT saying what is left.
import t from 'tap';
import { checkSpawn, planHeap, resolveLimits, type RunningSummary } from '../../../appliance/grid/policy.js';

const MiB = 1 << 20;
const GiB = 1024 * MiB;
const ram = (name: string): RunningSummary => ({ name, owner: 'alice', kind: 'ram', cacheBytes: 100 * MiB });
const disk = (name: string): RunningSummary => ({ name, owner: 'alice', kind: 'disk', cacheBytes: 1024 * MiB });
/** A Pi with 1 GiB: half of it is 512 MiB of heap for caches, 64 MiB of that already the store's. */
const pi1g = resolveLimits({ memBytes: 1 * GiB, heapReservedBytes: 64 * MiB, perNode: 20, perUser: 20, diskSlots: 20, ramBudgetBytes: 100 * GiB, diskBudgetBytes: 100 * GiB });

t.test('the plan adds the reserved heap, every ram cache and every disk heap share', async (t) => {
  t.same(planHeap(pi1g, [ram('a'), disk('b')], 'ram'), {
    bounded: true, limitBytes: 512 * MiB, promisedBytes: (64 + 100 + 32) * MiB, wantBytes: 100 * MiB, leftBytes: (512 - 196) * MiB, fits: true,
  });
  t.same(planHeap(pi1g, [], 'disk'), { bounded: true, limitBytes: 512 * MiB, promisedBytes: 64 * MiB, wantBytes: 32 * MiB, leftBytes: 448 * MiB, fits: true });
  t.equal(planHeap(pi1g, [{ ...disk('b'), heapBytes: 8 * MiB }], 'disk').promisedBytes, 72 * MiB, 'a given heap share counts as given');
});

t.test('a disk environment costs its heap share, not its disk cache', async (t) => {
  // Five 1 GiB disk caches on a 1 GiB machine: 5 × 32 MiB of heap, which fits.
  const four = ['a', 'b', 'c', 'd'].map(disk);
  t.equal(planHeap(pi1g, four, 'disk').fits, true);
  t.doesNotThrow(() => checkSpawn(pi1g, four, 'alice', 'disk'));
});

t.test('over-promising is refused with COLONY_LIMIT, saying how much is left', async (t) => {
  const four = ['a', 'b', 'c', 'd'].map(ram); // 64 + 400 = 464 MiB promised, 48 MiB left
  const plan = planHeap(pi1g, four, 'ram');
  t.same({ fits: plan.fits, left: plan.leftBytes / MiB, want: plan.wantBytes / MiB }, { fits: false, left: 48, want: 100 });
  t.throws(() => checkSpawn(pi1g, four, 'alice', 'ram'), {
    code: 'COLONY_LIMIT',
    message: 'COLONY_LIMIT: not enough memory for a ram environment: 464 MiB of the 512 MiB heap bound (50% of 1024 MiB RAM) is promised, 48 MiB is left, and it needs 100 MiB; a disk environment (32 MiB) would fit, so try spawndisk',
  });
  t.doesNotThrow(() => checkSpawn(pi1g, four, 'alice', 'disk'), 'a disk environment still fits in what is left');
  const five = [...four, disk('e')]; // 496 MiB: 16 MiB left
  t.throws(() => checkSpawn(pi1g, five, 'alice', 'disk'), { code: 'COLONY_LIMIT', message: /16 MiB is left, and it needs 32 MiB; boom one first/ });
});

t.test('exactly at the bound fits; one byte over does not', async (t) => {
  const l = resolveLimits({ memBytes: 400 * MiB, heapFraction: 0.5, ramCacheBytes: 100 * MiB, ramBudgetBytes: GiB });
  t.equal(planHeap(l, [ram('a')], 'ram').fits, true, '200 MiB of 200 MiB');
  t.equal(planHeap({ ...l, heapReservedBytes: 1 }, [ram('a')], 'ram').fits, false);
});

t.test('the fraction is configurable and checked; an unknown machine size bounds nothing', async (t) => {
  t.equal(planHeap(resolveLimits({ memBytes: GiB, heapFraction: 0.25 }), [], 'ram').limitBytes, 256 * MiB);
  for (const bad of [0, -0.1, 1.5, Number.NaN]) t.throws(() => resolveLimits({ heapFraction: bad }), { code: 'COLONY_INVALID' }, String(bad));
  t.throws(() => resolveLimits({ diskHeapBytes: -1 }), { code: 'COLONY_INVALID' });
  const unknown = planHeap(resolveLimits(), Array.from({ length: 50 }, (_, i) => ram(`r${i}`)), 'ram');
  t.same({ bounded: unknown.bounded, fits: unknown.fits }, { bounded: false, fits: true });
});

t.test('the heap bound is checked after the counts, before the per-kind budget', async (t) => {
  const tight = resolveLimits({ memBytes: 256 * MiB, perNode: 1, ramBudgetBytes: 50 * MiB });
  t.throws(() => checkSpawn(tight, [ram('a')], 'bob', 'ram'), { code: 'COLONY_LIMIT', message: /this node runs 1/ });
  t.throws(() => checkSpawn({ ...tight, perNode: 5 }, [], 'bob', 'ram'), { code: 'COLONY_NO_SPACE', message: /no ram cache space/ }, '100 MiB fits the heap (128), not the ram budget');
  t.throws(() => checkSpawn({ ...tight, perNode: 5, ramBudgetBytes: GiB }, [ram('a')], 'bob', 'ram'), { code: 'COLONY_LIMIT', message: /heap bound/ });
});

t.test('a disk cache must fit the data disk, counting what running caches may still take', async (t) => {
  const { planDiskRoom, diskRoomRefusal } = await import('../../../appliance/grid/policy.js');
  const l = resolveLimits({ diskCacheBytes: GiB });
  t.same(planDiskRoom(l, 3 * GiB, 2 * GiB), { freeBytes: 3 * GiB, unfilledBytes: 2 * GiB, wantBytes: GiB, fits: true }, 'exactly enough');
  const short = planDiskRoom(l, 3 * GiB, 2 * GiB + MiB);
  t.equal(short.fits, false);
  t.equal(diskRoomRefusal(planDiskRoom(l, 600 * MiB, 0)).message,
    "COLONY_NO_SPACE: the data disk has 600 MiB free; a disk environment's cache needs up to 1024 MiB: use spawn for a ram environment, boom a disk one, or lower environments.diskCacheBytes");
  t.match(diskRoomRefusal(short).detail, /running disk caches may still take 2049 MiB of it/);
});
