// bench/grid's pure parts: the --size parser, the 1% change it measures (counted in bytes,
// so the benchmark's "1%" is what it says), and the profile's package buckets.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { bucketOf } from '../../../bench/grid-profile.js';
import { changeTree, generateTree, parseSize } from '../../../bench/grid-tree.js';
import { tmpDir } from '../../helpers/tmp.js';

t.test('parseSize', async (t) => {
  t.equal(parseSize('256M'), 256 << 20);
  t.equal(parseSize('1G'), 1 << 30);
  t.equal(parseSize('1.5GiB'), 1.5 * 2 ** 30);
  t.equal(parseSize('2097152'), 2 << 20);
  t.throws(() => parseSize('12X'), /expected a number/);
  t.throws(() => parseSize('1K'), /at least 1M/);
});

async function totalBytes(dir: string): Promise<number> {
  let n = 0;
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) n += (await stat(join(e.parentPath, e.name))).size;
  }
  return n;
}

t.test('the tree holds the size asked, and the change rewrites about 1% of it', async (t) => {
  const dir = await tmpDir(t);
  const size = 40 << 20;
  const tree = await generateTree(dir, size);
  t.equal(tree.bytes, size, 'the tree has exactly the bytes asked');
  t.equal(await totalBytes(dir), size, 'and they are on disk');
  t.equal(tree.small.length, Math.round(20_000 * size / 2 ** 30), '~20k small files per GiB');
  t.equal(tree.large.length, 2, 'the rest in 32 MiB files');
  const change = await changeTree(dir, tree);
  t.ok(change.bytesWritten >= size * 0.009 && change.bytesWritten <= size * 0.012, `${change.bytesWritten} bytes rewritten of ${size}`);
  const added = await totalBytes(join(dir, 'new'));
  t.ok(added > 0 && added < size * 0.002, `five new files of ${added} bytes`);
  t.equal(await totalBytes(dir), size + added, 'rewrites keep every size: only the new files add bytes');
  t.equal(change.newFiles, 5);
});

t.test('profile buckets', async (t) => {
  t.equal(bucketOf('file:///x/node_modules/@chainsafe/libp2p-noise/dist/src/a.js', 'f'), '@chainsafe/libp2p-noise');
  t.equal(bucketOf('file:///x/node_modules/classic-level/index.js', 'f'), 'classic-level');
  t.equal(bucketOf('file:///tmp/b/dist/appliance/store/store.js', 'f'), 'appliance/store');
  t.equal(bucketOf('node:internal/fs/promises', 'f'), 'node (built-in modules)');
  t.equal(bucketOf('', '(garbage collector)'), '(garbage collector)');
  t.equal(bucketOf('', 'read'), '(native)');
});
