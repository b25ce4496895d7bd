// A checkpoint (what every fsync of a disk environment takes) of a file many times the heap
// share must not hold the whole file in memory: the save writes its changed leaves in
// bounded batches. Measured as the bytes of live Buffers (after a forced collection) while
// the store is being written to, so garbage does not count and no timing is involved.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import t, { type Test } from 'tap';
import type { BlockStore } from '../../../appliance/store/index.js';
import { ROOT_CRED, ROOT_INO } from '../../../appliance/volume/index.js';
import { openWorld } from './helpers.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const MiB = 1 << 20;

/** The store, with a probe that samples live Buffer bytes on every 64th put. */
function probed(store: BlockStore, peak: { bytes: number; on: boolean }): BlockStore {
  const put = store.put.bind(store);
  let n = 0;
  store.put = async (type, data) => {
    if (peak.on && n++ % 64 === 0) { gc(); peak.bytes = Math.max(peak.bytes, process.memoryUsage().arrayBuffers); }
    return put(type, data);
  };
  return store;
}

/** Writes a 96 MiB file into a fresh environment of `kind` whose cache is 4 MiB of heap. */
async function bigFile(t: Test, kind: 'ram' | 'disk') {
  const peak = { bytes: 0, on: false };
  const w = await openWorld(t, { ramCacheBytes: 4 * MiB, diskHeapBytes: 4 * MiB, diskCacheBytes: 256 * MiB }, {
    store: (s) => probed(s, peak),
    storeOptions: { cacheBytes: 4 * MiB }, // the store's own cache is bounded on its own; keep it out of the measure
  });
  await w.grid.spawn('alice', 'debian', { cache: kind });
  const vol = w.grid.environment('alice', 'debian').volume;
  const ino = await vol.create(ROOT_CRED, ROOT_INO, 'huge.bin', 'file', 0o644, 0);
  const chunk = Buffer.alloc(MiB);
  for (let off = 0; off < SIZE; off += MiB) {
    for (let j = 0; j < MiB; j += 4096) chunk.writeUInt32LE(off + j, j);
    await vol.write(ROOT_CRED, ino, off, chunk);
  }
  await w.grid.tierOf?.('debian')?.sync();
  /** Runs `fn` and returns how much the live Buffer bytes grew at most while it wrote to the store. */
  const growth = async (fn: () => Promise<unknown>) => {
    gc();
    const before = process.memoryUsage().arrayBuffers;
    peak.on = true;
    await fn();
    peak.on = false;
    return Math.max(0, peak.bytes - before);
  };
  return { w, vol, ino, growth };
}

const SIZE = 96 * MiB;

t.test('saving a ram environment with a file 24 times its cache holds far less than the file', async (t) => {
  const { w, vol, ino, growth } = await bigFile(t, 'ram');
  const grew = await growth(() => w.grid.save('alice', 'debian', 'huge'));
  t.ok(grew < 40 * MiB, `live buffers grew by ${(grew / MiB).toFixed(1)} MiB during the save of a ${SIZE / MiB} MiB file`);
  t.equal((await vol.read(ino, SIZE - MiB, MiB)).readUInt32LE(4096), SIZE - MiB + 4096, 'the file reads back after the save');
});

t.test('a checkpoint of a disk environment too', async (t) => {
  const { w, vol, ino, growth } = await bigFile(t, 'disk');
  const grew = await growth(() => w.grid.checkpoint('debian'));
  t.ok(grew < 40 * MiB, `live buffers grew by ${(grew / MiB).toFixed(1)} MiB during the checkpoint of a ${SIZE / MiB} MiB file`);
  t.equal((await vol.read(ino, SIZE - MiB, MiB)).readUInt32LE(4096), SIZE - MiB + 4096, 'the file reads back after the checkpoint');
});
