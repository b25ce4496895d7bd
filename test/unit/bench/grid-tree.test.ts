// bench/grid's pure parts: the --size parser, the 1% change it measures (counted in bytes,
// so the benchmark's "1%" is what it says), and the profile's package buckets.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import t from 'tap';
import { L_O_RDONLY } from '../../../appliance/ninep/constants.js';
import { applyOverNinep } from '../../../bench/grid-ninep.js';
import { bucketOf } from '../../../bench/grid-profile.js';
import { applyLocal, changeTree, generateTree, parseSize, planChange } from '../../../bench/grid-tree.js';
import { serve } from '../../integration/ninep/harness.js';
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

t.test('the change written over 9P leaves the tree rsync gets: the same files, byte for byte', async (t) => {
  const dir = await tmpDir(t);
  const tree = await generateTree(dir, 8 << 20);
  const s = await serve(t, { maxMsize: 128 << 10 });
  const files = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
  for (const f of files) s.fs.writeFile(relative(dir, f), await readFile(f));
  const plan = planChange(tree);
  t.ok(plan.ops.some((o) => o.kind === 'write' && o.offset > 0), 'ranges inside large files');
  t.ok(plan.ops.some((o) => o.kind === 'write' && o.offset === 0), 'small files rewritten');
  t.equal(plan.ops.filter((o) => o.kind === 'create').length, 5, 'five new files');
  await applyLocal(dir, plan);
  const c = await s.client({ msize: 128 << 10 });
  const root = await c.attach('mem', 'root', 0);
  t.equal(await applyOverNinep(c, root.fid, plan), plan.bytesWritten, 'every planned byte was written over 9P');
  const after = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
  t.equal(after.length, files.length + 5);
  let same = 0;
  for (const f of after) {
    const fid = await c.walkPath(root.fid, relative(dir, f));
    await c.open(fid, L_O_RDONLY);
    if ((await c.readAll(fid)).equals(await readFile(f))) same++;
    await c.clunk(fid);
  }
  t.equal(same, after.length, 'every file over 9P equals rsync\'s copy');
  t.equal(c.outstanding, 0);
  t.equal(s.fs.openHandles, 0, 'every fid the change opened was clunked');
});

t.test('profile buckets', async (t) => {
  t.equal(bucketOf('file:///x/node_modules/@chainsafe/libp2p-noise/dist/src/a.js', 'f'), '@chainsafe/libp2p-noise');
  t.equal(bucketOf('file:///x/node_modules/classic-level/index.js', 'f'), 'classic-level');
  t.equal(bucketOf('file:///tmp/b/dist/appliance/store/store.js', 'f'), 'appliance/store');
  t.equal(bucketOf('node:internal/fs/promises', 'f'), 'node (built-in modules)');
  t.equal(bucketOf('', '(garbage collector)'), '(garbage collector)');
  t.equal(bucketOf('', 'read'), '(native)');
});
