// Socket nodes (what bind(2) leaves on a mount) live in volumes and survive a save.
import { chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { importDirectory } from '../../../appliance/snapshot/index.js';
import { ROOT_INO, Volume, typeBits } from '../../../appliance/volume/index.js';
import { tmpDir, tmpStore } from '../../helpers/tmp.js';

const root = { uid: 0, gid: 0 };

t.test('a socket node is created, linked, renamed, saved and read back from the saved root', async (t) => {
  const src = await tmpDir(t);
  await mkdir(join(src, 'run'));
  await chmod(src, 0o777);
  const { store } = await tmpStore(t);
  const v = await Volume.open(store, (await importDirectory(store, src)).root);
  const run = (await v.resolvePath('run')).ino;
  const ino = await v.create({ uid: 1000, gid: 1000 }, ROOT_INO, 'x.sock', 'socket', 0o755, 1000);
  const a = await v.getattr(ino);
  t.equal(a.mode, typeBits('socket') | 0o755);
  t.equal(typeBits('socket'), 0o140000, 'S_IFSOCK');
  await v.link(root, run, 'x.sock', ino);
  await v.rename(root, ROOT_INO, 'x.sock', run, 'y.sock');
  t.equal((await v.getattr(ino)).nlink, 2);
  t.equal(await v.open(root, ino, 0).then(() => 'opened', (e: { posix?: string }) => e.posix), 'ENXIO', 'open(2) of a socket');
  const { root: saved } = await v.save({ comment: 'sockets' });
  const again = await Volume.open(store, saved);
  const s = await again.resolvePath('run/y.sock');
  const b = await again.getattr(s.ino);
  t.same([b.kind, b.mode & 0o7777, b.uid, b.gid, b.nlink], ['socket', 0o755, 1000, 1000, 2], 'the saved tree keeps the socket, its owner, mode and links');
  t.equal((await again.resolvePath('run/x.sock')).ino, s.ino, 'both names are one inode');
  const names = (await again.readdir((await again.resolvePath('run')).ino, 0, 100)).map((e) => [e.name, e.kind]);
  t.same(names.filter(([n]) => n !== '.' && n !== '..'), [['x.sock', 'socket'], ['y.sock', 'socket']]);
});
