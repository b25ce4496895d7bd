// A checkpoint (what every fsync of a disk environment takes) of a file many times the heap
// share must not hold the whole file in memory: the save writes its changed leaves in
// bounded batches. Measured as the bytes of live Buffers (after a forced collection) while
// the store is being written to, so garbage does not count and no timing is involved.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import t from 'tap';
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

t.test('checkpointing a 96 MiB file holds far less than the file in memory', async (t) => {
  const peak = { bytes: 0, on: false };
  const w = await openWorld(t, { diskHeapBytes: 4 * MiB, diskCacheBytes: 256 * MiB }, { store: (s) => probed(s, peak) });
  await w.grid.spawn('alice', 'debian', { cache: 'disk' });
  const vol = w.grid.environment('alice', 'debian').volume;
  const ino = await vol.create(ROOT_CRED, ROOT_INO, 'huge.bin', 'file', 0o644, 0);
  const chunk = Buffer.alloc(MiB);
  const size = 96 * MiB;
  for (let off = 0; off < size; off += MiB) {
    for (let j = 0; j < MiB; j += 4096) chunk.writeUInt32LE(off + j, j);
    await vol.write(ROOT_CRED, ino, off, chunk);
  }
  await w.grid.tierOf('debian')!.sync();
  gc();
  const before = process.memoryUsage().arrayBuffers;
  peak.on = true;
  await w.grid.checkpoint('debian');
  peak.on = false;
  const grew = Math.max(0, peak.bytes - before);
  t.ok(grew < 40 * MiB, `live buffers grew by ${(grew / MiB).toFixed(1)} MiB during the checkpoint of a ${size / MiB} MiB file`);
  const back = await vol.read(ino, size - MiB, MiB);
  t.equal(back.readUInt32LE(4096), size - MiB + 4096, 'the file reads back after the checkpoint');
});
