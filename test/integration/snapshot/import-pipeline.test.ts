// The directory import's read path and what a re-import reuses: unchanged files' xattrs come
// from the cache (a changed xattr changes the ctime, so it is always seen); `reused` counts
// over every batch; files of every size class give the score a plain import gives.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setAttributeSync } from '@napi-rs/xattr';
import t from 'tap';
import { importDirectory } from '../../../appliance/snapshot/index.js';
import { tmpDir, tmpStore } from '../../helpers/tmp.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('a re-import sees an xattr changed on a file whose content, size and mtime did not change', async (t) => {
  const { store } = await tmpStore(t);
  const src = await tmpDir(t);
  const cache = join(await tmpDir(t), 'cache');
  const f = join(src, 'f');
  await writeFile(f, Buffer.alloc(5000, 1));
  await writeFile(join(src, 'g'), 'small');
  try { setAttributeSync(f, 'user.colony', 'one'); } catch { t.comment('no user xattrs on this file system: skipped'); return; }
  await sleep(200); // past the racy window
  const first = await importDirectory(store, src, { created: 0n, cache });
  await sleep(200);
  const second = await importDirectory(store, src, { created: 0n, cache });
  t.equal(second.stats.reused, 2, 'both files came from the cache');
  t.same(second.root, first.root);
  await sleep(200);
  setAttributeSync(f, 'user.colony', 'two'); // same length: size, mtime and content stay
  await sleep(200);
  const third = await importDirectory(store, src, { created: 0n, cache });
  const full = await importDirectory(store, src, { created: 0n });
  t.not(full.root.toString('hex'), first.root.toString('hex'), 'the xattr is part of the tree');
  t.same(third.root, full.root, 'the re-import has the new xattr');
  t.equal(third.stats.reused, 1, 'the changed file was not trusted');
  await sleep(200);
  const fourth = await importDirectory(store, src, { created: 0n, cache });
  t.same(fourth.root, full.root, 'and remembers it');
  t.equal(fourth.stats.reused, 2);
});

t.test('reused counts every batch, and every size class gives the plain import\'s score', async (t) => {
  const { store } = await tmpStore(t);
  const src = await tmpDir(t);
  const cache = join(await tmpDir(t), 'cache');
  // 700 files over three read batches: empty, inline, one leaf, several leaves, past the small-file limit.
  const sizes = [0, 1, 1024, 1025, 65536, 65537, 200_000, 256 * 1024, 256 * 1024 + 1, 3 << 20, 9 << 20];
  let n = 0;
  for (let d = 0; d < 7; d++) {
    await mkdir(join(src, `d${d}`));
    for (let i = 0; i < 100; i++, n++) {
      const size = sizes[n % sizes.length]!;
      const b = Buffer.alloc(size);
      for (let j = 0; j < size; j += 4096) b[j] = (n + j) & 0xff;
      await writeFile(join(src, `d${d}`, `f${i}`), b);
    }
  }
  await sleep(200);
  const first = await importDirectory(store, src, { created: 0n, xattrs: false, cache });
  t.equal(first.stats.files, 700);
  t.equal(first.stats.reused, 0);
  await sleep(200);
  const second = await importDirectory(store, src, { created: 0n, xattrs: false, cache });
  t.equal(second.stats.reused, 700, 'all 700, not only the last batch');
  t.same(second.root, first.root);
  t.equal(second.stats.bytes, first.stats.bytes);
  // Blocks written as leaves queue in the store are the same blocks: a fresh store, no cache.
  const other = await tmpStore(t);
  const plain = await importDirectory(other.store, src, { created: 0n, xattrs: false });
  t.same(plain.root, first.root);
});
