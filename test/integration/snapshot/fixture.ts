// Real trees for the snapshot tests, made with the real tools (truncate, mknod, mkfifo,
// setfattr, touch), and a manifest of every attribute that a round trip must keep.
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, chown, link, lstat, mkdir, open, readdir, readFile, readlink, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../../helpers/cli.js';

export const run = promisify(execFile);

/** Installs Debian packages the tests need (attr for getfattr/setfattr), once per machine. */
export function ensureApt(...pkgs: string[]): void {
  execFileSync('bash', [join(repoRoot, 'scripts/ensure-apt.sh'), ...pkgs], { stdio: 'inherit' });
}

export const isRoot = process.getuid?.() === 0;

const touchNs = (path: string, s: number, ns: number) => run('touch', ['-h', '-c', '-d', `@${s}.${String(ns).padStart(9, '0')}`, path]);

/**
 * A tree with every kind of entry: regular, empty, tiny (inline), multi-block, sparse,
 * symlinks, a hard-link group across directories, a FIFO, char and block devices (as
 * root), setuid/setgid/sticky modes, odd owners, ns mtimes, binary xattrs, and names that
 * are not UTF-8 or hold a newline.
 */
export async function makeEveryKindTree(dir: string): Promise<void> {
  const p = (...parts: string[]) => join(dir, ...parts);
  await mkdir(p('sub', 'deeper', 'deepest'), { recursive: true });
  await mkdir(p('sticky'));
  await mkdir(p('readonly'));
  await writeFile(p('empty'), '');
  await writeFile(p('tiny'), 'hello\n');
  await writeFile(p('exactly-inline-max'), Buffer.alloc(1024, 'x'));
  await writeFile(p('just-over-inline'), Buffer.alloc(1025, 'y'));
  const big = Buffer.alloc(3 * 65536 + 12345);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7919) % 251;
  await writeFile(p('multi-block'), big);
  await run('truncate', ['-s', '5M', p('sparse')]);
  const fh = await open(p('sparse'), 'r+');
  await fh.write(Buffer.alloc(100, 'S'), 0, 100, 2 * 65536 + 10);
  await fh.close();
  await run('truncate', ['-s', '300K', p('all-zero')]);
  await symlink('tiny', p('link-relative'));
  await symlink('/etc/hostname', p('link-absolute'));
  await symlink('does/not/exist', p('link-dangling'));
  await symlink('../../multi-block', p('sub', 'deeper', 'link-up'));
  await writeFile(p('sub', 'hard-a'), 'shared by three names\n');
  await link(p('sub', 'hard-a'), p('hard-b'));
  await link(p('sub', 'hard-a'), p('sub', 'deeper', 'hard-c'));
  await writeFile(p('sub', 'big-hard-1'), big.subarray(0, 70000));
  await link(p('sub', 'big-hard-1'), p('big-hard-2'));
  await run('mkfifo', ['-m', '0640', p('fifo')]);
  if (isRoot) {
    await run('mknod', ['-m', '0666', p('char-null'), 'c', '1', '3']);
    await run('mknod', ['-m', '0660', p('block-dev'), 'b', '7', '200']);
  }
  await writeFile(p('setuid'), '#!/bin/sh\n');
  await chmod(p('setuid'), 0o4755);
  await writeFile(p('setgid'), 'g');
  await chmod(p('setgid'), 0o2711);
  await chmod(p('sticky'), 0o1777);
  await writeFile(p('no-perms'), 'secret');
  await chmod(p('no-perms'), 0o000);
  await writeFile(Buffer.concat([Buffer.from(dir + '/'), Buffer.from([0x6c, 0x61, 0x74, 0x69, 0x6e, 0x31, 0xe9])]), 'a name that is not UTF-8');
  await writeFile(p('new\nline'), 'newline in the name');
  await writeFile(p('x'.repeat(255)), 'a 255-byte name');
  await writeFile(p('sub', 'deeper', 'deepest', `${'long-component-'.repeat(6)}end`), 'a path over 100 bytes');
  await writeFile(p('sub', 'deeper', 'ünïcödé'), 'utf-8 name');
  await run('setfattr', ['-n', 'user.text', '-v', 'plain value', p('tiny')]);
  await run('setfattr', ['-n', 'user.binary', '-v', '0sAP8KPQ==', p('multi-block')]);
  await run('setfattr', ['-n', 'user.empty', '-v', '', p('multi-block')]);
  await run('setfattr', ['-n', 'user.on-dir', '-v', 'd', p('sub')]);
  await run('setfattr', ['-n', 'user.on-top', '-v', 'top', dir]);
  await run('setfattr', ['-n', 'user.shared', '-v', 'links share it', p('hard-b')]);
  if (isRoot) {
    await chown(p('multi-block'), 4242, 4343);
    await chown(p('sub'), 65534, 65534);
    await chown(p('setgid'), 0, 2_000_000_000);
    await run('chown', ['-h', '123456:654321', p('link-relative')]);
  }
  await chmod(p('readonly'), 0o555);
  // Times last: nanoseconds everywhere, and before 1970 once.
  let i = 0;
  // (touch takes its path as text, so names that are not ASCII keep the kernel's own ns times.)
  for (const rel of await listAll(dir)) if (/^[\x20-\x7e]*$/.test(rel)) await touchNs(join(dir, rel), 1_600_000_000 + i * 1000, (i++ * 123_456_789) % 1_000_000_000);
  await touchNs(p('tiny'), -86400, 5);
  await touchNs(dir, 1_700_000_000, 999_999_999);
}

/** Relative paths (latin1 strings) of everything under `dir`, children before parents. */
async function listAll(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const name of await readdir(Buffer.from(join(dir, rel), 'latin1'), { encoding: 'buffer' })) {
    const r = rel ? `${rel}/${name.toString('latin1')}` : name.toString('latin1');
    const st = await lstat(Buffer.from(join(dir, r), 'latin1'));
    if (st.isDirectory()) out.push(...(await listAll(dir, r)));
    out.push(r);
  }
  return out;
}

/** Every attribute of every entry under `dir` that the snapshot keeps, one line each, sorted. */
export async function manifest(dir: string): Promise<string[]> {
  const lines: string[] = [];
  const xattrs = await xattrDump(dir);
  const linkIds = new Map<string, string>();
  const paths = ['', ...(await listAll(dir))].sort();
  for (const rel of paths) {
    const abs = Buffer.from(rel ? `${dir}/${rel}` : dir, 'latin1');
    const st = await lstat(abs, { bigint: true });
    const shown = JSON.stringify(Buffer.from(rel, 'latin1').toString('hex'));
    let what = '';
    if (st.isFile()) what = `sha256=${createHash('sha256').update(await readFile(abs)).digest('hex')}`;
    else if (st.isSymbolicLink()) what = `-> ${(await readlink(abs, { encoding: 'buffer' })).toString('hex')}`;
    else if (st.isCharacterDevice() || st.isBlockDevice()) what = `rdev=${st.rdev}`;
    let linkId = '';
    if (!st.isDirectory() && st.nlink > 1n) {
      const key = `${st.dev}:${st.ino}`;
      if (!linkIds.has(key)) linkIds.set(key, shown);
      linkId = `link=${linkIds.get(key)}`;
    }
    const size = st.isDirectory() ? '' : `size=${st.size}`;
    lines.push([shown, `mode=${st.mode.toString(8)}`, `uid=${st.uid}`, `gid=${st.gid}`, `mtime=${st.mtimeNs}`, size, what, linkId, `xattrs=${xattrs.get(abs.toString('latin1')) ?? ''}`].filter(Boolean).join(' '));
  }
  return lines;
}

/** getfattr's view, independent of the code under test: path → its attribute lines, sorted. */
async function xattrDump(dir: string): Promise<Map<string, string>> {
  const { stdout } = await run('getfattr', ['-R', '-d', '-m', '-', '-h', '--absolute-names', '-e', 'hex', dir], { encoding: 'buffer', maxBuffer: 1 << 28 });
  const out = new Map<string, string>();
  for (const block of (stdout as unknown as Buffer).toString('latin1').split('\n\n')) {
    const [head, ...attrs] = block.split('\n').filter(Boolean);
    if (!head?.startsWith('# file: ')) continue;
    const path = head.slice(8).replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    out.set(path, attrs.sort().join(','));
  }
  return out;
}
