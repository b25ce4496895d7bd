// Round trip, way (b): GNU tar is the judge. Our tar export must compare equal
// (`tar --compare`) against the source tree, a GNU tar of the source must compare equal
// against our directory export, and GNU tar must extract our tar to the same manifest.
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { exportDirectory, exportTar, importDirectory } from '../../../appliance/snapshot/index.js';
import { tmpDir, tmpStore } from '../../helpers/tmp.js';
import { ensureApt, makeEveryKindTree, manifest, run } from './fixture.js';

ensureApt('attr');

const compare = (archive: string, dir: string) =>
  run('tar', ['--compare', '--xattrs', '--xattrs-include=*', '--numeric-owner', '-f', archive, '-C', dir]).then(
    (r) => ({ code: 0, out: r.stdout + r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
  );

t.test('GNU tar --compare agrees with our exports, both ways, to the nanosecond', async (t) => {
  const { store } = await tmpStore(t);
  const work = await tmpDir(t);
  const src = join(work, 'src');
  await makeEveryKindTree(src);
  const { root } = await importDirectory(store, src, { created: 0n });

  const ours = join(work, 'ours.tar');
  await exportTar(store, root, createWriteStream(ours));
  t.same(await compare(ours, src), { code: 0, out: '' }, 'our tar export against the source tree');

  const out = join(work, 'out');
  await exportDirectory(store, root, out);
  const theirs = join(work, 'theirs.tar');
  await run('tar', ['--xattrs', '--xattrs-include=*', '--format=pax', '-C', src, '-cf', theirs, '.']);
  t.same(await compare(theirs, out), { code: 0, out: '' }, "GNU tar's archive of the source against our directory export");

  // The judge is sensitive: one nanosecond off is a difference.
  await run('touch', ['-h', '-d', '@1600000000.000000001', join(out, 'multi-block')]);
  const off = await compare(theirs, out);
  t.not(off.code, 0);
  t.match(off.out, /multi-block: Mod time differs/);

  const extracted = join(work, 'extracted');
  await mkdir(extracted);
  await run('tar', ['-x', '--xattrs', '--xattrs-include=*', '--numeric-owner', '-p', '-f', ours, '-C', extracted]);
  t.same(await manifest(extracted), await manifest(src), 'GNU tar extracts our tar to the very same tree');
});
