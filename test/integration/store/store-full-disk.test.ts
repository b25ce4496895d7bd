// A full disk, for real: the store lives on a tiny tmpfs. Puts must fail with
// COLONY_NO_SPACE, nothing synced may be lost, and the store must reopen cleanly.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { isColonyError } from '../../../appliance/errors.js';
import { BlockStore, type Score } from '../../../appliance/store/index.js';
import { tmpDir } from '../../helpers/tmp.js';

const opts = { arenaBytes: 1 << 20, maxBlockBytes: 64 << 10, writeBufferBytes: 256 << 10 };

t.test('filling the disk', async (t) => {
  const base = await tmpDir(t);
  const mnt = join(base, 'small');
  await mkdir(mnt);
  // Needs root (CI runs as root); a failure here says exactly that.
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=6m', 'tmpfs', mnt]);
  t.teardown(() => execFileSync('umount', ['-l', mnt]));
  const dir = join(mnt, 'store');
  // Room the operator can free later.
  await writeFile(join(mnt, 'filler'), Buffer.alloc(1 << 20, 1));

  let store = await BlockStore.open(dir, opts);
  const synced: Array<[Score, Buffer]> = [];
  let batch: Array<[Score, Buffer]> = [];
  let failure: unknown;
  for (let i = 0; i < 1000 && !failure; i++) {
    try {
      const data = randomBytes(60 << 10);
      batch.push([await store.put(1, data), data]);
      if (batch.length === 5) { await store.sync(); synced.push(...batch); batch = []; }
    } catch (err) {
      failure = err;
    }
  }
  t.ok(failure, 'the disk filled up within 1000 puts');
  t.ok(isColonyError(failure, 'COLONY_NO_SPACE'), `a COLONY_NO_SPACE error: ${String(failure)}`);
  t.match(String(failure), /disk is full/);
  t.ok(synced.length > 10, `${synced.length} blocks were synced first`);

  for (const [s, d] of synced) t.same(await store.get(s), d);
  await store.close().catch(() => {}); // close syncs, which may fail again on a full disk

  store = await BlockStore.open(dir, opts);
  for (const [s, d] of synced) t.same(await store.get(s), d, 'synced blocks survive');
  const report = await store.verify().catch((err) => err);
  t.ok(report.ok !== false, 'verify finds nothing wrong');
  // The operator frees room: the store takes writes again.
  await store.close().catch(() => {});
  await rm(join(mnt, 'filler'), { force: true });
  store = await BlockStore.open(dir, opts);
  t.teardown(() => store.close().catch(() => {}));
  const fresh = randomBytes(60 << 10);
  const score = await store.put(1, fresh);
  await store.sync();
  t.same(await store.get(score), fresh, 'writes work again once there is room');
  t.ok((await store.stats()).blocks >= synced.length + 1);
});
