// The same tree always gives the same root score: imported twice, from its directory, from
// GNU tar's pax archive of it, and from that archive gzipped (detected by magic).
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { importDirectory, importTar } from '../../../appliance/snapshot/index.js';
import { formatScore } from '../../../appliance/store/index.js';
import { tmpDir, tmpStore } from '../../helpers/tmp.js';
import { ensureApt, makeEveryKindTree, run } from './fixture.js';

ensureApt('attr');

t.test('one tree, one score: twice from the directory, from its tar and from its tar.gz', async (t) => {
  const { store } = await tmpStore(t);
  const work = await tmpDir(t);
  const src = join(work, 'src');
  await makeEveryKindTree(src);
  const opts = { created: 1_700_000_000_000_000_000n, comment: 'fixed' };
  const a = await importDirectory(store, src, opts);
  const b = await importDirectory(store, src, opts);
  t.equal(formatScore(b.root), formatScore(a.root), 'imported twice');

  const tar = join(work, 'src.tar');
  await run('tar', ['--xattrs', '--xattrs-include=*', '--format=pax', '-C', src, '-cf', tar, '.']);
  const fromTar = await importTar(store, createReadStream(tar), opts);
  t.equal(formatScore(fromTar.root), formatScore(a.root), "from GNU tar's archive of the directory");
  t.same({ ...fromTar.stats, blocksWritten: 0 }, { ...a.stats, blocksWritten: 0 }, 'the same counts');
  t.equal(fromTar.stats.blocksWritten, 0, 'and nothing new to store');

  await run('gzip', ['-k', tar]);
  const fromGz = await importTar(store, createReadStream(`${tar}.gz`), opts);
  t.equal(formatScore(fromGz.root), formatScore(a.root), 'from the same archive gzipped');

  const other = await importDirectory(store, src, { ...opts, comment: 'another' });
  t.not(formatScore(other.root), formatScore(a.root), 'the comment is part of the root');
});
