// The import cache: a re-import skips unchanged files without reading them, and never
// trusts a fingerprint when the content may have changed or the store lacks the blocks.
import { mkdir, writeFile, utimes, stat } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { importDirectory } from '../../../appliance/snapshot/index.js';
import { tmpDir, tmpStore } from '../../helpers/tmp.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('a re-import with the cache reads only what changed, and gives the score a full read gives', async (t) => {
  const { store } = await tmpStore(t);
  const src = await tmpDir(t);
  const cache = join(await tmpDir(t), 'cache');
  await mkdir(join(src, 'd'));
  for (let i = 0; i < 20; i++) await writeFile(join(src, 'd', `f${i}`), Buffer.alloc(i * 5000, i));
  // Files changed just before an import are "racy" and are read again next time; let them age.
  await sleep(200);
  const first = await importDirectory(store, src, { created: 0n, xattrs: false, cache });
  t.equal(first.stats.reused, 0);
  await sleep(200);
  const second = await importDirectory(store, src, { created: 0n, xattrs: false, cache });
  t.equal(second.stats.reused, 20, 'nothing was read');
  t.same(second.root, first.root);

  // Same size, same mtime, different bytes: the ctime still gives it away.
  const victim = join(src, 'd', 'f7');
  const before = await stat(victim);
  await writeFile(victim, Buffer.alloc(7 * 5000, 0xee));
  await utimes(victim, before.atime, before.mtime);
  const third = await importDirectory(store, src, { created: 0n, xattrs: false, cache });
  t.equal(third.stats.reused, 19);
  const full = await importDirectory(store, src, { created: 0n, xattrs: false });
  t.same(third.root, full.root, 'the cached import equals a full read');
  t.not(third.root.toString('hex'), first.root.toString('hex'));

  // Another store has none of the blocks: the cache is not trusted there.
  const other = await tmpStore(t);
  const fourth = await importDirectory(other.store, src, { created: 0n, xattrs: false, cache });
  t.equal(fourth.stats.reused, 1, 'only the inline-sized empty file f0 needs no block');
  t.same(fourth.root, full.root);

  // A damaged cache is an empty one.
  await writeFile(cache, 'garbage');
  t.equal((await importDirectory(store, src, { created: 0n, xattrs: false, cache })).stats.reused, 0);
});

t.test('a re-import where every file was a hit leaves the cache file as it was; any other rewrites it', async (t) => {
  const { store } = await tmpStore(t);
  const src = await tmpDir(t);
  const cache = join(await tmpDir(t), 'cache');
  for (let i = 0; i < 5; i++) await writeFile(join(src, `f${i}`), Buffer.alloc(2000 + i, i + 1));
  await sleep(200);
  await importDirectory(store, src, { created: 0n, xattrs: false, cache });
  const written = await stat(cache, { bigint: true });
  await sleep(20);
  const again = await importDirectory(store, src, { created: 0n, xattrs: false, cache });
  t.equal(again.stats.reused, 5);
  t.equal((await stat(cache, { bigint: true })).mtimeNs, written.mtimeNs, 'not rewritten');

  // A file read again (changed) is saved, with this run's start: after it ages it is a hit.
  await writeFile(join(src, 'f2'), Buffer.alloc(2002, 0xee));
  await sleep(200);
  t.equal((await importDirectory(store, src, { created: 0n, xattrs: false, cache })).stats.reused, 4);
  t.not((await stat(cache, { bigint: true })).mtimeNs, written.mtimeNs, 'rewritten');
  t.equal((await importDirectory(store, src, { created: 0n, xattrs: false, cache })).stats.reused, 5, 'the changed file is known now');
  const settled = await stat(cache, { bigint: true });

  // A file that went away is forgotten: the cache is rewritten without it.
  await import('node:fs/promises').then((fs) => fs.unlink(join(src, 'f4')));
  await sleep(20);
  t.equal((await importDirectory(store, src, { created: 0n, xattrs: false, cache })).stats.reused, 4);
  t.not((await stat(cache, { bigint: true })).mtimeNs, settled.mtimeNs, 'rewritten without f4');
});
