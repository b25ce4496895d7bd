// A disk environment has a disk: its heap stays within a small share while it writes many
// times that, its cache lives under DATA/envs/NAME/ within its size, and a grid restart
// brings the cache back with everything the client fsynced.
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { ROOT_CRED, ROOT_INO, type Volume } from '../../../appliance/volume/index.js';
import { openWorld } from './helpers.js';

const MiB = 1 << 20;
const CHUNK = 64 << 10;

/** Bytes a file really takes on disk (the slot file is sparse). */
const onDisk = async (path: string) => (await stat(path)).blocks * 512;

async function writeFile(vol: Volume, name: string, size: number, seed: number, each?: () => void): Promise<{ ino: number; digest: string }> {
  const ino = await vol.create(ROOT_CRED, ROOT_INO, name, 'file', 0o644, 0);
  const h = createHash('sha256');
  for (let off = 0, i = 0; off < size; off += CHUNK, i++) {
    const chunk = Buffer.alloc(CHUNK, (seed + i) & 0xff);
    chunk.writeUInt32LE(i, 0);
    await vol.write(ROOT_CRED, ino, off, chunk);
    h.update(chunk);
    each?.();
  }
  return { ino, digest: h.digest('hex') };
}

async function digestOf(vol: Volume, ino: number, size: number): Promise<string> {
  const h = createHash('sha256');
  for (let off = 0; off < size; off += MiB) h.update(await vol.read(ino, off, MiB));
  return h.digest('hex');
}

t.test('a disk environment writing 16 times its heap share keeps its heap within it', async (t) => {
  const heap = 2 * MiB;
  const w = await openWorld(t, { diskHeapBytes: heap, diskCacheBytes: 8 * MiB });
  await w.grid.spawn('alice', 'debian', { cache: 'disk' });
  const vol = w.grid.environment('alice', 'debian').volume;
  // Optional calls, so that code without a tier fails on what it does, not on a missing method.
  const tier = w.grid.tierOf?.('debian');
  t.ok(tier, 'the environment has a disk tier');
  let worst = 0;
  const size = 32 * MiB;
  const { ino, digest } = await writeFile(vol, 'huge.bin', size, 1, () => {
    const s = vol.stats();
    worst = Math.max(worst, s.dirtyBytes + s.cleanBytes + (tier?.stats().pendingBytes ?? 0));
  });
  t.ok(worst <= heap, `the most heap its leaves and queued disk writes held: ${worst} bytes of ${heap}`);
  t.ok(vol.stats().cacheBytes + heap / 4 <= heap, 'leaves and the disk queue split the share');
  t.equal(await digestOf(vol, ino, size), digest, 'every byte reads back');
  const s = vol.stats();
  t.ok(s.dirtyBytes + s.cleanBytes <= s.cacheBytes, 'reading it all back stays within the share too');
  await tier?.sync();
  const dir = join(w.data, 'envs', 'debian');
  const held = tier?.stats().bytes ?? 0;
  t.ok(held > 0 && held <= 8 * MiB, `the disk tier holds ${held} bytes, at most its 8 MiB`);
  t.ok(await onDisk(join(dir, 'cache.slots')).then((n) => n <= 8 * MiB, () => false), 'the slot file exists and takes at most 8 MiB of disk');
  t.equal(w.grid.status('alice')[0]?.cache.size, 8 * MiB, 'status shows the disk cache');

  await w.grid.boom('alice', 'debian');
  await t.rejects(stat(dir), { code: 'ENOENT' }, 'boom removes the cache with the environment');
});

t.test('a grid restart keeps the disk cache and what was fsynced', async (t) => {
  const w = await openWorld(t, { diskCacheBytes: 64 * MiB });
  await w.grid.spawn('alice', 'debian', { cache: 'disk' });
  let vol = w.grid.environment('alice', 'debian').volume;
  const size = 4 * MiB;
  const { digest } = await writeFile(vol, 'kept.bin', size, 7);
  await w.grid.checkpoint('debian'); // what a client's fsync does
  await writeFile(vol, 'after.bin', CHUNK, 9); // not fsynced; a clean close checkpoints it anyway
  await w.reopen();
  const tier = w.grid.tierOf?.('debian');
  t.ok((tier?.stats().restored ?? 0) >= size / CHUNK, `the cache came back with ${tier?.stats().restored} blocks`);
  vol = w.grid.environment('alice', 'debian').volume;
  const node = await vol.resolvePath('kept.bin');
  t.equal(await digestOf(vol, node.ino, size), digest, 'the fsynced file is intact');
  t.ok((tier?.stats().hitBytes ?? 0) >= size, `its leaves came from the disk cache (${tier?.stats().hitBytes} bytes)`);
  t.ok(vol.stats().bytesFetched < size / 8, `the store supplied only ${vol.stats().bytesFetched} bytes (directories, pointer blocks)`);
  t.ok(await vol.resolvePath('after.bin'), 'a clean restart keeps the rest too');
});

t.test('a disk environment named like a temporary file restarts (its cache is a directory beside the record)', async (t) => {
  const w = await openWorld(t);
  await w.grid.spawn('alice', 'debian', { cache: 'disk', as: 'x.tmp' });
  await w.reopen();
  t.same(w.grid.status('alice').map((e) => e.name), ['x.tmp']);
});

t.test('ram environments keep their cache on the heap and have no disk tier', async (t) => {
  const w = await openWorld(t, { ramCacheBytes: 4 * MiB, ramBudgetBytes: 64 * MiB });
  await w.grid.spawn('alice', 'debian', { cache: 'ram' });
  t.equal(w.grid.tierOf?.('debian'), undefined);
  t.equal(w.grid.environment('alice', 'debian').volume.stats().cacheBytes, 4 * MiB);
  await t.rejects(stat(join(w.data, 'envs', 'debian')), { code: 'ENOENT' });
});

t.test('a spawn past the heap bound is refused with what is left', async (t) => {
  const w = await openWorld(t, { memBytes: 512 * MiB, heapFraction: 0.5, ramCacheBytes: 100 * MiB, ramBudgetBytes: 1024 * MiB, diskHeapBytes: 32 * MiB });
  await w.grid.spawn('alice', 'debian', { cache: 'ram', as: 'r1' });
  await w.grid.spawn('alice', 'debian', { cache: 'ram', as: 'r2' });
  await t.rejects(w.grid.spawn('alice', 'debian', { cache: 'ram', as: 'r3' }), { code: 'COLONY_LIMIT', message: /200 MiB of the 256 MiB heap bound .* 56 MiB is left/ });
  await w.grid.spawn('alice', 'debian', { cache: 'disk', as: 'd1' });
  t.same(w.grid.status('alice').map((e) => e.name), ['d1', 'r1', 'r2']);
});

t.test('a disk cache larger than the free space on the data disk is refused before anything is written', async (t) => {
  const huge = 2 ** 50; // 1 PiB: no test machine has it free
  const w = await openWorld(t, { diskCacheBytes: huge, diskBudgetBytes: 4 * huge });
  await t.rejects(w.grid.spawn('alice', 'debian', { cache: 'disk' }), { code: 'COLONY_NO_SPACE', message: /the data disk has .* MiB free; a disk environment's cache needs up to 1073741824 MiB/ });
  t.same(w.grid.status('alice'), []);
  await w.grid.spawn('alice', 'debian', { cache: 'ram' });
});
