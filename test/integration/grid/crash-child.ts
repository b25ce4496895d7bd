// A child process for grid-crash.test.ts: reopens a grid whose disk environment `work`
// exists, then appends 64 KiB chunks to /log.bin, checkpointing (what a client's fsync
// does) every few chunks and printing `synced N` once N chunks are durable. With no
// arguments (as when tap runs every file here) it does nothing.
import { join } from 'node:path';
import { Catalog } from '../../../appliance/catalog/index.js';
import { Grid } from '../../../appliance/grid/index.js';
import { BlockStore } from '../../../appliance/store/index.js';
import { ROOT_CRED, ROOT_INO } from '../../../appliance/volume/index.js';
import { fastScrypt } from '../../unit/catalog/fixtures.js';

export const CHUNK = 64 << 10;
export const chunkOf = (i: number) => { const b = Buffer.alloc(CHUNK, i & 0xff); b.writeUInt32LE(i, 0); return b; };
export const CRASH_LIMITS = { checkpointMs: 0, diskCacheBytes: 32 << 20, diskHeapBytes: 2 << 20 };
const MAX_CHUNKS = 20_000;
const SYNC_EVERY = 4;

const [data] = process.argv.slice(2);
if (data && process.argv[1]?.endsWith('crash-child.ts')) {
  const store = await BlockStore.open(join(data, 'store'));
  const catalog = await Catalog.open(join(data, 'catalog'), { nodeId: 'node-a', scrypt: fastScrypt });
  const grid = await Grid.open({ data, store, catalog, limits: CRASH_LIMITS });
  const vol = grid.environment('alice', 'work').volume;
  let ino: number;
  try { ino = await vol.lookup(ROOT_CRED, ROOT_INO, 'log.bin'); } catch { ino = await vol.create(ROOT_CRED, ROOT_INO, 'log.bin', 'file', 0o644, 0); }
  const start = Math.ceil((await vol.getattr(ino)).size / CHUNK);
  for (let i = start; i < start + MAX_CHUNKS; i++) {
    await vol.write(ROOT_CRED, ino, i * CHUNK, chunkOf(i));
    // Pipes are written synchronously on Linux: a `synced` line the parent reads was printed
    // after the checkpoint had returned.
    if ((i + 1) % SYNC_EVERY === 0) { await grid.checkpoint('work'); process.stdout.write(`synced ${i + 1}\n`); }
  }
  await grid.close();
  await catalog.close();
  await store.close();
}
