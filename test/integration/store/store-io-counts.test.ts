// The store's I/O counters (stats().io, for /metrics): blocks written and read from the
// arenas, and reads that found a block corrupt on disk.
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { BlockStore, offsetOf } from '../../../appliance/store/index.js';
import { tmpDir } from '../../helpers/tmp.js';

t.test('writes, reads and corrupt reads are counted', async (t) => {
  const dir = await tmpDir(t);
  const opts = { cacheBytes: 0, compress: 'off' as const };
  let store = await BlockStore.open(dir, opts);
  const a = await store.put(1, Buffer.alloc(3000, 'a'));
  const b = await store.put(1, Buffer.alloc(3000, 'b'));
  await store.put(1, Buffer.alloc(3000, 'a')); // a dedup hit writes nothing
  await store.sync();
  t.match((await store.stats()).io, { blocksWritten: 2, bytesWritten: 6000, blocksRead: 0, corruptReads: 0 });
  const posOfB = (await store.entriesSince(0)).entries.find((e) => e.score.equals(b))!.pos;
  await store.close();

  const f = await open(join(dir, 'arenas', 'arena-000000.dat'), 'r+');
  await f.write(Buffer.from('X'), 0, 1, offsetOf(posOfB) + 44 + 100); // one byte of b's data
  await f.close();
  store = await BlockStore.open(dir, opts);
  t.teardown(() => store.close());
  t.ok((await store.get(a)).equals(Buffer.alloc(3000, 'a')));
  await t.rejects(store.get(b), { code: 'COLONY_CORRUPT_BLOCK' });
  t.match((await store.stats()).io, { blocksWritten: 0, blocksRead: 1, bytesRead: 3000, corruptReads: 1 });
});
