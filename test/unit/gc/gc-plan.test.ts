// The collection planner as data: dead sealed arenas are deleted, rewrites go to the arenas
// with most garbage, only those worth the copy, only until the garbage left is within the
// limit, and an idle store with a little garbage is left alone (SD wear).
import t from 'tap';
import { ARENA_SLACK_BYTES, needsCopy, planCollection, type ArenaLive } from '../../../appliance/gc/plan.js';

const MiB = 1 << 20;
/** An arena of `fileMiB` on disk whose indexed records are `indexedMiB`, `liveMiB` of them live. */
const arena = (number: number, indexedMiB: number, liveMiB: number, sealed = true, fileMiB = indexedMiB): ArenaLive => ({
  number, sealed, fileBytes: fileMiB * MiB, indexedBlocks: indexedMiB * 16, indexedBytes: indexedMiB * MiB,
  liveBlocks: liveMiB * 16, liveBytes: liveMiB * MiB,
});

t.test('an idle store with a little garbage gets an empty plan', async (t) => {
  // 3% garbage spread over three arenas: under the 5% limit, nothing is rewritten.
  const plan = planCollection([arena(0, 512, 500), arena(1, 512, 500), arena(2, 100, 95, false)]);
  t.same(plan, {
    rewrite: [], remove: [], bytesToFree: 0, bytesToWrite: 0,
    liveBytes: 1095 * MiB, garbageBytes: 29 * MiB, storeBytes: 1124 * MiB,
  });
});

t.test('a sealed arena with nothing live is deleted, even under the limit; the active one never', async (t) => {
  const plan = planCollection([arena(0, 512, 512), arena(1, 10, 0), arena(2, 512, 512), arena(3, 50, 0, false)]);
  t.same(plan.remove, [1], 'arena 1 goes; arena 3 is the active arena');
  t.same(plan.rewrite, []);
  t.equal(plan.bytesToWrite, 0, 'deleting copies nothing');
  t.equal(plan.bytesToFree, 10 * MiB);
});

t.test('rewrites take the most garbage first and stop once the garbage left is within the limit', async (t) => {
  // live 1000, garbage 400 (28%): take arena 2 (200), then 0 (120) → 80 left of 1080 = 7.4% > 5%, then 1 (80) → 0.
  const arenas = [arena(0, 300, 180), arena(1, 400, 320), arena(2, 300, 100), arena(3, 400, 400)];
  const plan = planCollection(arenas, { minArenaGarbageFraction: 0.1 });
  t.same(plan.rewrite, [
    { arena: 2, liveBytes: 100 * MiB, garbageBytes: 200 * MiB },
    { arena: 0, liveBytes: 180 * MiB, garbageBytes: 120 * MiB },
    { arena: 1, liveBytes: 320 * MiB, garbageBytes: 80 * MiB },
  ]);
  t.equal(plan.bytesToWrite, 600 * MiB);
  t.equal(plan.bytesToFree, 1000 * MiB - 600 * MiB);
  // With a 10% limit, two rewrites leave 80 of 1080 (7.4%): the third is not worth it.
  t.same(planCollection(arenas, { minArenaGarbageFraction: 0.1, maxUnusedFraction: 0.1 }).rewrite.map((r) => r.arena), [2, 0]);
});

t.test('an arena whose garbage share is under the threshold is never rewritten, whatever the limit', async (t) => {
  // Each arena 10% garbage: 10% unused overall, over the 5% limit, but the default threshold is 20%.
  const arenas = [arena(0, 500, 450), arena(1, 500, 450)];
  const plan = planCollection(arenas);
  t.same(plan.rewrite, [], 'copying 90% to free 10% is not worth the wear');
  t.equal(plan.garbageBytes, 100 * MiB, 'the garbage is still reported');
  t.same(planCollection(arenas, { minArenaGarbageFraction: 0.05 }).rewrite.map((r) => r.arena), [0, 1], 'a lower threshold rewrites them');
});

t.test('a limit of 0 rewrites every arena worth it; the unsealed arena is never a candidate', async (t) => {
  const plan = planCollection([arena(0, 100, 70), arena(1, 100, 99), arena(2, 100, 10, false)], { maxUnusedFraction: 0 });
  t.same(plan.rewrite.map((r) => r.arena), [0], 'arena 1 has 1% garbage, under the 20% threshold; 2 is active');
});

t.test('store bytes are the arena files; freeing counts files, writing counts live records', async (t) => {
  // Files carry headers and seals beyond the indexed records.
  const plan = planCollection([arena(0, 100, 0, true, 101), arena(1, 100, 40, true, 101)], { maxUnusedFraction: 0 });
  t.equal(plan.storeBytes, 202 * MiB);
  t.same(plan.remove, [0]);
  t.same(plan.rewrite, [{ arena: 1, liveBytes: 40 * MiB, garbageBytes: 60 * MiB }]);
  t.equal(plan.bytesToFree, 202 * MiB - 40 * MiB);
});

t.test('disk bytes: records nothing indexes count as garbage; holes do not', async (t) => {
  // Arena 0: 100 MiB on disk, 60 indexed, 50 live: 10 dead indexed + 40 unindexed (a run freed but not punched).
  const a0 = { ...arena(0, 60, 50), fileBytes: 100 * MiB, diskBytes: 100 * MiB };
  // Arena 1: a 100 MiB file with holes: 50 MiB on disk, all of it live.
  const a1 = { ...arena(1, 50, 50), fileBytes: 100 * MiB, diskBytes: 50 * MiB };
  const plan = planCollection([a0, a1], { maxUnusedFraction: 0 });
  t.equal(plan.storeBytes, 150 * MiB, 'the store is what the disk holds');
  t.same(plan.rewrite.map((r) => r.arena), [0]);
  t.ok(Math.abs(plan.rewrite[0]!.garbageBytes - 50 * MiB) <= ARENA_SLACK_BYTES, 'arena 0: everything not live is garbage');
  t.equal(plan.garbageBytes, plan.rewrite[0]!.garbageBytes, 'arena 1 has none');
});

t.test('needsCopy: after holes, copy only when what is left unfreed is over the threshold', async (t) => {
  t.equal(needsCopy({ diskBytes: 100 * MiB, indexedBytes: 95 * MiB }), false, '5% left');
  t.equal(needsCopy({ diskBytes: 100 * MiB, indexedBytes: 70 * MiB }), true, '30% left');
  t.equal(needsCopy({ diskBytes: 100 * MiB, indexedBytes: 70 * MiB }, 0.5), false, 'under a higher threshold');
  t.equal(needsCopy({ diskBytes: 0, indexedBytes: 0 }), false, 'an empty arena');
  t.equal(needsCopy({ diskBytes: 8192, indexedBytes: 0 }, 0), false, 'slack alone (header, seal) is never worth a copy');
});

t.test('options must be fractions', async (t) => {
  t.throws(() => planCollection([], { maxUnusedFraction: 1.5 }), { code: 'COLONY_INVALID' });
  t.throws(() => planCollection([], { minArenaGarbageFraction: -0.1 }), { code: 'COLONY_INVALID' });
  t.same(planCollection([]), { rewrite: [], remove: [], bytesToFree: 0, bytesToWrite: 0, liveBytes: 0, garbageBytes: 0, storeBytes: 0 });
});
