// The disk reserve, for real: a store on a small tmpfs refuses new blocks once free space
// falls under its reserve, still answers dedup hits, still compacts (compaction frees room
// and may write into the reserve), and takes blocks again once room is back.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { isColonyError } from '../../../appliance/errors.js';
import { BlockStore, type Score } from '../../../appliance/store/index.js';
import { tmpDir, tmpStore } from '../../helpers/tmp.js';

const opts = { arenaBytes: 1 << 20, maxBlockBytes: 64 << 10, writeBufferBytes: 128 << 10 };

t.test('no reserve by default', async (t) => {
  const { store } = await tmpStore(t, opts);
  await store.put(1, randomBytes(1000));
  const st = await store.stats();
  t.equal(st.reserve.bytes, 0);
  t.equal(st.reserve.refusing, false);
  t.ok(st.reserve.freeBytes > 0, 'free space is reported');
});

t.test('a reserve larger than the disk refuses every new block but not a dedup hit', async (t) => {
  const dir = await tmpDir(t);
  let store = await BlockStore.open(dir, opts);
  const old = randomBytes(5000);
  const s = await store.put(1, old);
  await store.close();
  store = await BlockStore.open(dir, { ...opts, reserveBytes: 2 ** 50 });
  t.teardown(() => store.close());
  const err = await store.put(1, randomBytes(5000)).catch((e: unknown) => e);
  t.ok(isColonyError(err, 'COLONY_NO_SPACE'), String(err));
  t.match(String(err), /the store keeps 1024 TiB free on this disk.*store\.reserveBytes/);
  t.same(await store.put(1, old), s, 'a block already stored is still a successful put');
  t.same(await store.putVerified(1, old, s), s);
  const st = await store.stats();
  t.equal(st.reserve.bytes, 2 ** 50);
  t.equal(st.reserve.refusing, true);
});

t.test('on a small filesystem: refuse at the reserve, compact into it, take blocks again', async (t) => {
  const base = await tmpDir(t);
  const mnt = join(base, 'small');
  await mkdir(mnt);
  // Needs root (CI runs as root); a failure here says exactly that.
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mnt]);
  t.teardown(() => execFileSync('umount', ['-l', mnt]));
  const dir = join(mnt, 'store');
  const store = await BlockStore.open(dir, { ...opts, reserveBytes: 3 << 20 });
  t.teardown(() => store.close().catch(() => {}));
  const stored: Array<[Score, Buffer]> = [];
  let refused: unknown;
  for (let i = 0; i < 400 && !refused; i++) {
    try {
      const data = randomBytes(30_000);
      stored.push([await store.put(1, data), data]);
    } catch (err) { refused = err; }
  }
  t.ok(isColonyError(refused, 'COLONY_NO_SPACE'), `refused with COLONY_NO_SPACE: ${String(refused)}`);
  t.match(String(refused), /keeps 3 MiB free on this disk/);
  await store.sync();
  const st = await store.stats();
  t.equal(st.reserve.refusing, true, 'stats say it refuses');
  t.ok(st.reserve.freeBytes < 3 << 20 && st.reserve.freeBytes > 1 << 20, `it stopped near the reserve (${st.reserve.freeBytes} bytes free)`);

  // Keep one block in ten; compaction writes the copies into the reserve and frees arenas.
  const live = new Set(stored.filter((_, i) => i % 10 === 0).map(([s]) => s.toString('hex')));
  let freed = 0;
  for (const a of await store.arenaUsage()) {
    if (a.sealed) freed += (await store.compactArena(a.number, (s) => live.has(s.toString('hex')), { bytesPerSecond: Number.POSITIVE_INFINITY })).freedBytes;
  }
  t.ok(freed > 2 << 20, `compaction freed ${freed} bytes while the store refused puts`);
  for (const [s, d] of stored) if (live.has(s.toString('hex'))) t.same(await store.get(s), d);
  await new Promise((r) => setTimeout(r, 1100)); // free space is asked at most once a second
  t.ok(await store.put(1, randomBytes(30_000)), 'a new block is taken again');
  t.equal((await store.stats()).reserve.refusing, false);
});
