// Freed ranges as data: merging, the punchable part of a range, skipping, and the file.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { FS_BLOCK, freedFileName, gapsBetween, loadFreed, mergeRanges, MIN_PUNCH_BYTES, punchable, punchedBytes, saveFreed, skipFreed } from '../../../appliance/store/freed.js';
import { tmpDir } from '../../helpers/tmp.js';

t.test('mergeRanges sorts, joins touching and overlapping ranges, drops empty ones', async (t) => {
  t.same(mergeRanges([]), []);
  t.same(mergeRanges([[50, 60], [10, 20], [20, 30], [25, 40], [70, 70]]), [[10, 40], [50, 60]]);
  t.same(mergeRanges([[0, 100], [10, 20]]), [[0, 100]], 'a range inside another');
});

t.test('punchable keeps the whole filesystem blocks inside, and only when enough', async (t) => {
  const big = MIN_PUNCH_BYTES + 3 * FS_BLOCK;
  t.same(punchable([100, 100 + big]), [FS_BLOCK, Math.floor((100 + big) / FS_BLOCK) * FS_BLOCK]);
  t.same(punchable([0, MIN_PUNCH_BYTES]), [0, MIN_PUNCH_BYTES], 'aligned ends are kept');
  t.equal(punchable([1, MIN_PUNCH_BYTES + 1]), undefined, 'one block short of the minimum');
  t.same(punchable([1, 3 * FS_BLOCK + 5], FS_BLOCK), [FS_BLOCK, 3 * FS_BLOCK], 'a smaller minimum');
  t.equal(punchedBytes([[0, MIN_PUNCH_BYTES], [MIN_PUNCH_BYTES * 2, MIN_PUNCH_BYTES * 2 + 10]]), MIN_PUNCH_BYTES);
});

t.test('skipFreed jumps from anywhere inside a range to its end, and leaves other offsets', async (t) => {
  const ranges = mergeRanges([[100, 200], [300, 400], [1000, 5000]]);
  t.equal(skipFreed(ranges, 99), 99);
  t.equal(skipFreed(ranges, 100), 200, 'the start');
  t.equal(skipFreed(ranges, 199), 200, 'the last byte');
  t.equal(skipFreed(ranges, 200), 200, 'the end is not inside');
  t.equal(skipFreed(ranges, 350), 400);
  t.equal(skipFreed(ranges, 4999), 5000);
  t.equal(skipFreed(ranges, 6000), 6000);
  t.equal(skipFreed([], 5), 5);
});

t.test('gapsBetween: what lies between the records kept, from the header to the seal', async (t) => {
  t.same(gapsBetween([], 64, 1000), [[64, 1000]], 'nothing kept: everything but the header and the seal');
  t.same(gapsBetween([[64, 100], [100, 200], [300, 400]], 64, 450), [[200, 300], [400, 450]]);
  t.same(gapsBetween([[64, 100], [300, 1000]], 64, 1000), [[100, 300]], 'kept up to the seal');
  t.same(gapsBetween([[100, 200]], 64, undefined), [[64, 100]], 'no seal found: nothing freed past the last kept record');
});

t.test('the file: round trip, none, and damage is COLONY_CORRUPT_DATA', async (t) => {
  const dir = await tmpDir(t);
  t.same(await loadFreed(dir, 3), [], 'no file: nothing freed');
  await saveFreed(dir, new Map([[3, [[64, 1000], [2000, 9000]]]]));
  t.same(await loadFreed(dir, 3), [[64, 1000], [2000, 9000]]);
  for (const bad of ['', '{"version":1,"freed":[[5,2]]}', '{"version":2,"freed":[]}', '{"version":1,"freed":[[1.5,2]]}', 'not json']) {
    await writeFile(join(dir, freedFileName(3)), bad);
    await t.rejects(loadFreed(dir, 3), { code: 'COLONY_CORRUPT_DATA' }, JSON.stringify(bad));
  }
});
