// Sockets in snapshots: a directory import keeps a socket as an inode (kind 'socket'), a
// directory export makes it again (at any path length, hard links and attributes intact),
// and a tar export leaves it out with a count, as GNU tar does ("socket ignored").
import { execFileSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { chmod, link, lstat, mkdir, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import t, { type Test } from 'tap';
import { diff, exportDirectory, exportTar, importDirectory, walk } from '../../../appliance/snapshot/index.js';
import { tmpDir, tmpStore } from '../../helpers/tmp.js';
import { ensureApt, manifest, run } from './fixture.js';

ensureApt('attr'); // manifest() reads xattrs with getfattr

/** A socket file at `path`: bound at a short name (a socket address holds 107 bytes), hard-linked into place. */
async function makeSocket(shortDir: string, path: string): Promise<void> {
  const short = join(shortDir, `s${process.hrtime.bigint()}`);
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(short, () => resolve()); });
  await link(short, path);
  await new Promise<void>((resolve) => server.close(() => resolve())); // unlinks `short` only
}

async function socketTree(t: Test): Promise<{ src: string; deep: string }> {
  const work = await tmpDir(t);
  const src = join(work, 'src');
  const deep = join(src, 'd'.repeat(60), 'e'.repeat(60));
  await mkdir(deep, { recursive: true });
  await writeFile(join(src, 'plain'), 'a file beside the sockets\n');
  await makeSocket(work, join(src, 'listener.sock'));
  await link(join(src, 'listener.sock'), join(src, 'd'.repeat(60), 'again.sock'));
  await makeSocket(work, join(deep, 'far.sock'));
  await chmod(join(src, 'listener.sock'), 0o640);
  await chmod(join(deep, 'far.sock'), 0o1700);
  await run('touch', ['-h', '-d', '@1600000000.123456789', join(src, 'listener.sock')]);
  await run('touch', ['-h', '-d', '@1600000001.987654321', join(deep, 'far.sock')]);
  t.ok(join(deep, 'far.sock').length > 107, 'one socket sits at a path longer than a socket address');
  return { src, deep };
}

t.test('a directory import keeps sockets, and a directory export makes them again', async (t) => {
  const { store } = await tmpStore(t);
  const { src, deep } = await socketTree(t);
  const before = await manifest(src);
  const { root, stats } = await importDirectory(store, src, { created: 0n });
  t.match(stats, { sockets: 2, hardlinks: 1, files: 1 });
  const kinds = new Map<string, string>();
  for await (const { path, entry } of walk(store, root)) kinds.set(path.toString(), `${entry.kind} ${entry.mode.toString(8)} ${entry.link}`);
  t.equal(kinds.get('listener.sock'), 'socket 640 1');
  t.equal(kinds.get(`${'d'.repeat(60)}/again.sock`), 'socket 640 1');
  t.equal(kinds.get(`${'d'.repeat(60)}/${'e'.repeat(60)}/far.sock`), 'socket 1700 0');

  const out = join(await tmpDir(t), 'out');
  const exported = await exportDirectory(store, root, out);
  t.equal(exported.socketsSkipped, 0);
  t.ok((await lstat(join(out, deep.slice(src.length), 'far.sock'))).isSocket(), 'the deep one is a socket again');
  t.same(await manifest(out), before, 'modes, owners, ns mtimes and the hard link are as they were');
  t.same((await importDirectory(store, out, { created: 0n })).root, root, 're-importing the export gives the same root');
});

t.test('a tar export leaves sockets out and counts them; nothing else changes', async (t) => {
  const { store } = await tmpStore(t);
  const { src } = await socketTree(t);
  const { root } = await importDirectory(store, src, { created: 0n });
  const work = await tmpDir(t);
  const tar = join(work, 'out.tar');
  const out = createWriteStream(tar);
  const stats = await exportTar(store, root, out);
  await finished(out);
  t.equal(stats.socketsSkipped, 3, 'three names, two inodes: every name is left out');
  const listed = execFileSync('tar', ['-tf', tar], { encoding: 'latin1' }).split('\n').filter(Boolean);
  t.notOk(listed.some((p) => p.endsWith('.sock')), 'no socket name in the archive');
  t.ok(listed.includes('./plain'));

  // What the tar holds is the snapshot minus its sockets.
  const back = join(work, 'back');
  await mkdir(back);
  execFileSync('tar', ['-xf', tar, '-C', back]);
  const { root: again } = await importDirectory(store, back, { created: 0n });
  const changes = await diff(store, root, again);
  t.same(changes.filter((c) => c.kind !== 'modified').map((c) => `${c.kind} ${c.path.toString().split('/').pop()}`).sort(),
    ['removed again.sock', 'removed far.sock', 'removed listener.sock']);
});
