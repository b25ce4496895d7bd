// The host's half of scripts/vm/guest/workout.sh: what the guest wrote, as the host sees it in
// the exported directory (for diod, the export itself; for Colony, a saved and exported tree).
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readFile, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** The tree workout.sh copies in and back out (its TREE default). */
export const workoutTreeSource = '/usr/share/perl5/Debconf';

/**
 * Every difference between what workout.sh did in the guest and the host's view of `work`
 * (its directory in the export). `said` is the KEY=VALUE lines the guest printed.
 * Empty means the host sees exactly what the guest wrote.
 */
export async function workoutProblems(work: string, said: Record<string, string | undefined>): Promise<string[]> {
  const problems: string[] = [];
  const expect = (what: string, got: unknown, want: unknown) => {
    if (JSON.stringify(got) !== JSON.stringify(want)) problems.push(`${what}: want ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
  };
  const text = (p: string) => readFile(join(work, p), 'utf8').catch((e: NodeJS.ErrnoException) => `<${e.code}>`);
  const st = (p: string) => stat(join(work, p)).catch(() => undefined);
  const lst = (p: string) => lstat(join(work, p)).catch(() => undefined);
  const link = (p: string) => readlink(join(work, p)).catch((e: NodeJS.ErrnoException) => `<${e.code}>`);

  expect('write, append, truncate, overwrite (a.txt)', await readFile(join(work, 'a.txt'), 'latin1').catch(() => '<missing>'), 'hXY\0\0\0\0\0\0\0');
  expect('mkdir -p (deep/er/still/here/leaf)', await text('deep/er/still/here/leaf'), 'deep\n');
  expect('renamed file (r2)', await text('r2'), 'r\n');
  expect('rename over an existing file (target)', await text('target'), 'new\n');
  expect('renamed directories (emptydir/f)', await text('emptydir/f'), 'in\n');
  for (const gone of ['r1', 'over', 'dir1', 'dir2']) expect(`${gone} is gone`, Boolean(await lst(gone)), false);
  const [l0, l1] = [await st('l0'), await st('l1')];
  expect('hard link shares the inode', l0 && l1 && l0.ino === l1.ino, true);
  expect('hard link count', l0?.nlink, 2);
  expect('symlink target (sl)', await link('sl'), 'l0');
  expect('symlink target (dirlink)', await link('dirlink'), 'deep/er');
  const mode = await st('mode');
  expect('chmod (mode)', mode && (mode.mode & 0o7777).toString(8), '700');
  const owned = await st('owned');
  expect('chown (owned)', owned && [owned.uid, owned.gid], [1000, 1000]);
  expect('mkfifo', (await lst('fifo'))?.isFIFO(), true);
  expect('mknod p', (await lst('fifo2'))?.isFIFO(), true);
  const xattr = spawnSync('getfattr', ['--only-values', '-n', 'user.colony', join(work, 'xa')], { encoding: 'utf8' });
  expect('xattr user.colony', xattr.stdout, 'hello');
  const sparse = await st('sparse');
  expect('sparse size', sparse?.size, 4096 * 25601);
  expect('sparse file stays sparse (< 64 blocks)', sparse !== undefined && sparse.blocks < 64, true);
  expect('big file: host checksum equals the guest one', await sha256(join(work, 'big')).catch(() => '<missing>'), said.big_sha256);
  const [copied, source] = [await treeOf(join(work, 'tree')).catch(() => ['<missing>']), await treeOf(workoutTreeSource)];
  expect(`cp -a of ${workoutTreeSource}: same names, modes and contents`, copied, source);
  expect('find counted every entry', Number(said.tree_entries), source.length + 1);
  return problems;
}

function sha256(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path).on('data', (b) => h.update(b)).on('error', reject).on('end', () => resolve(h.digest('hex')));
  });
}

/** Names, types, modes and contents of a tree, sorted. */
async function treeOf(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await readdir(root, { recursive: true })).sort()) {
    const p = join(root, name);
    const s = await lstat(p);
    const what = s.isSymbolicLink() ? `-> ${await readlink(p)}`
      : s.isFile() ? createHash('sha256').update(await readFile(p)).digest('hex') : s.isDirectory() ? 'dir' : 'other';
    out.push(`${name} ${(s.mode & 0o7777).toString(8)} ${what}`);
  }
  return out;
}
