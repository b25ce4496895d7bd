// The store's write path reuses its one write buffer: puts of many buffers' worth of blocks
// allocate no new write buffer per flush (each was writeBufferBytes of external memory for
// the GC to find), and every block reads back right, before the sync (from the pending
// views), after it, across an arena roll, and after a reopen.
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { BlockStore } from '../../../appliance/store/index.js';
import { tmpDir } from '../../helpers/tmp.js';

const opts = { arenaBytes: 4 << 20, maxBlockBytes: 64 << 10, writeBufferBytes: 256 << 10 };

t.test('flushes reuse the write buffer; blocks read back right', async (t) => {
  const dir = await tmpDir(t);
  let store = await BlockStore.open(dir, opts);
  const real = Buffer.allocUnsafe;
  let large = 0;
  Buffer.allocUnsafe = ((n: number) => { if (n >= opts.writeBufferBytes) large++; return real(n); }) as typeof Buffer.allocUnsafe;
  const blocks = Array.from({ length: 120 }, (_, i) => randomBytes(40_000 + i)); // ~4.6 MiB: 18 flushes, an arena roll
  const scores = [];
  try {
    for (const [i, b] of blocks.entries()) {
      scores.push(await store.put(1, b));
      if (i % 7 === 0) t.same(await store.get(scores[i]!), b, `block ${i} read back before the sync`);
    }
  } finally {
    Buffer.allocUnsafe = real;
  }
  t.equal(large, 1, 'one write buffer, made at the first put, for all 18 flushes');
  for (const [i, s] of scores.entries()) if (!(await store.get(s)).equals(blocks[i]!)) t.fail(`block ${i} before the sync`);
  await store.sync();
  await store.close();
  store = await BlockStore.open(dir, opts);
  t.teardown(() => store.close());
  let ok = 0;
  for (const [i, s] of scores.entries()) if ((await store.get(s)).equals(blocks[i]!)) ok++;
  t.equal(ok, blocks.length, 'every block after a reopen');
});
