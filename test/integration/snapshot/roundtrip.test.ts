// Round trip, way (a): a tree with every kind of entry goes in and comes back out with every
// attribute intact, compared through a manifest of lstat (ns times), content, link
// identity and getfattr's xattrs. Also through a tar export and back.
import { createReadStream, createWriteStream } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { diff, exportDirectory, exportTar, importDirectory, importTar, walk } from '../../../appliance/snapshot/index.js';
import { tmpDir, tmpStore } from '../../helpers/tmp.js';
import { ensureApt, isRoot, makeEveryKindTree, manifest } from './fixture.js';

ensureApt('attr');

t.test('directory → snapshot → directory keeps every attribute of every entry', async (t) => {
  const { store } = await tmpStore(t);
  const src = join(await tmpDir(t), 'src');
  await makeEveryKindTree(src);
  const before = await manifest(src);
  const { root, stats } = await importDirectory(store, src, { created: 0n });
  t.match(stats, { symlinks: 4, hardlinks: 3 });
  t.equal(stats.specials, isRoot ? 3 : 1);
  const out = join(await tmpDir(t), 'out');
  await exportDirectory(store, root, out);
  const after = await manifest(out);
  t.same(after, before);
  t.ok(before.some((l) => l.includes('mode=104755')), 'setuid kept');
  t.ok(before.some((l) => l.includes('mtime=-86400000000005')), 'a time before 1970, to the ns');
  if (isRoot) t.ok(before.some((l) => l.includes('rdev=')), 'devices kept');

  // Re-importing the export gives the very same root: nothing was lost or added.
  t.same((await importDirectory(store, out, { created: 0n })).root, root);
});

t.test('snapshot → tar → snapshot is the identity, and the tar extracts with GNU tar to the same tree', async (t) => {
  const { store } = await tmpStore(t);
  const work = await tmpDir(t);
  const src = join(work, 'src');
  await makeEveryKindTree(src);
  const { root } = await importDirectory(store, src, { created: 0n });
  const tar = join(work, 'out.tar');
  await exportTar(store, root, createWriteStream(tar));
  const again = await importTar(store, createReadStream(tar), { created: 0n });
  t.same(again.root, root);
  t.same(await diff(store, root, again.root), []);
  const names: string[] = [];
  for await (const { path } of walk(store, root)) names.push(path.toString('latin1'));
  t.equal(names.length, new Set(names).size, 'walk yields each path once');
  t.ok(names.indexOf('sub') < names.indexOf('sub/deeper'), 'a directory comes before its contents');
});

t.test('exporting into a non-empty directory needs force, and force never writes through a symlink', async (t) => {
  const { store } = await tmpStore(t);
  const work = await tmpDir(t);
  const src = join(work, 'src');
  await makeEveryKindTree(src);
  const { root } = await importDirectory(store, src, { created: 0n });
  const out = join(work, 'out');
  await exportDirectory(store, root, out);
  await t.rejects(exportDirectory(store, root, out), { code: 'COLONY_NOT_EMPTY' });
  // Plant a symlink where the tree has a directory, pointing outside: force replaces it.
  const victim = join(work, 'victim');
  const { mkdir, rm, symlink, readdir } = await import('node:fs/promises');
  await mkdir(victim);
  await rm(join(out, 'sub'), { recursive: true, force: true });
  await symlink(victim, join(out, 'sub'));
  await exportDirectory(store, root, out, { force: true });
  t.same(await readdir(victim), [], 'nothing was written through the planted symlink');
  t.same(await manifest(out), await manifest(src));
});
