// Export to a directory. Entries are created in walk order and no symlink is ever
// followed: every parent is a directory this export made (or, with `force`, a real
// directory it checked with lstat), files open with O_NOFOLLOW|O_EXCL, and what stands in
// the way is removed, not written through. Then, in this order, because each step undoes
// part of the one before: owners (as root), xattrs (in-process), modes (chown clears
// setuid), and mtimes to the nanosecond (one helper process).
import { execFile } from 'node:child_process';
import fs, { constants as C } from 'node:fs';
import net from 'node:net';
import { lstat, mkdir, readdir, realpath, rename, rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import { ColonyError, fromSystemError, tooLarge } from '../errors.js';
import type { Score } from '../store/index.js';
import { readLeaves, type BlockReader } from './content.js';
import type { Entry, Xattr } from './format.js';
import type { ExportOptions, ExportStats } from './export-tar.js';
import { setTimes } from './timestamps.js';
import { readRoot, walk } from './walk.js';
import { XattrAddress, writeXattrsSync } from './xattr.js';
import { writeXattrsByHelper } from './xattr-helper.js';

export interface ExportDirOptions extends ExportOptions {
  /** Export into a non-empty directory, replacing what is in the way. */
  force?: boolean;
  /** Restore owners: defaults to true when running as root. */
  owners?: boolean;
  /** Restore xattrs. Default true. */
  xattrs?: boolean;
}

const run = promisify(execFile);

/** Linux's PATH_MAX, with its NUL: every call here takes a whole path. */
const PATH_MAX = 4096;
const tooDeep = (p: Buffer) => {
  const s = JSON.stringify(p.toString());
  return tooLarge(`${s.slice(0, 80)}…${s.slice(-40)} would be a path of ${p.length} bytes, over Linux's ${PATH_MAX - 1}: export this snapshot to a tar instead`);
};

export async function exportDirectory(store: BlockReader, root: Score, dest: string, opts: ExportDirOptions = {}): Promise<ExportStats> {
  const r = await readRoot(store, root);
  const base = await prepare(dest, opts.force ?? false);
  const abs = (rel: Buffer) => (rel.length ? Buffer.concat([base, Buffer.from('/'), rel]) : base);
  const stats: ExportStats = { files: 0, dirs: 0, bytes: 0, socketsSkipped: 0 };
  const firstOfGroup = new Map<number, Buffer>();
  /** One per inode (the first name of a link group), in walk order. */
  const made: Array<{ path: Buffer; entry: Entry }> = [];
  let specials = 0;
  const sockets = new SocketMaker(base);
  try {
    for await (const { path, entry: e } of walk(store, r)) {
      if (path.length === 0) { made.push({ path, entry: e }); continue; }
      const p = abs(path);
      if (p.length >= PATH_MAX) throw tooDeep(p);
      const kept = opts.force ? await clear(p, e) : false;
      const first = e.link ? firstOfGroup.get(e.link) : undefined;
      try {
        if (first) { fs.linkSync(abs(first), p); continue; }
        if (e.link) firstOfGroup.set(e.link, path);
        switch (e.kind) {
          case 'dir': if (!kept) fs.mkdirSync(p, 0o700); stats.dirs++; break;
          case 'file': await writeFile(store, p, e, r.blockSize, stats); stats.files++; break;
          case 'symlink': fs.symlinkSync(e.target!, p); break;
          case 'socket': await sockets.make(p); break;
          default: {
            // mknod(1) takes its path as text; make the node under a plain name, then rename it.
            const tmp = `.colony-export-node-${process.pid}-${specials++}`;
            const args = e.kind === 'fifo' ? [tmp, 'p'] : [tmp, e.kind === 'char' ? 'c' : 'b', String(e.major), String(e.minor)];
            await run('mknod', ['-m', '600', ...args], { cwd: base.toString() }).catch((err: { stderr?: string }) => {
              throw new ColonyError(isPermission(err.stderr) ? 'COLONY_PERMISSION' : 'COLONY_IO', `creating ${p} (${e.kind}): ${(err.stderr ?? String(err)).trim()}`);
            });
            await rename(Buffer.concat([base, Buffer.from(`/${tmp}`)]), p);
          }
        }
      } catch (err) {
        throw fromSystemError(err, `creating ${p}`);
      }
      made.push({ path, entry: e });
      opts.onProgress?.({ bytes: stats.bytes, files: stats.files });
      if (made.length % 64 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    }
  } finally {
    sockets.close();
  }
  await finish(base, made, opts);
  return stats;
}

/**
 * Makes socket inodes. Linux makes one only by bind(2) (mknod(1) has no socket type), and
 * Node binds only by listening; libuv unlinks the path when the server closes, so the
 * socket is bound under a temporary name, renamed into place, and only then closed (the
 * unlink then finds nothing). The bind goes through /proc/self/fd/DIRFD/NAME because a
 * socket address holds at most 107 bytes, which a deep destination easily passes; bind
 * never follows a symlink at its last component, and the temporary name is in a directory
 * this export made or checked.
 */
class SocketMaker {
  private dirFd: number | undefined;
  private made = 0;

  constructor(private readonly base: Buffer) {}

  async make(p: Buffer): Promise<void> {
    this.dirFd ??= fs.openSync(this.base, C.O_RDONLY | C.O_DIRECTORY);
    const tmp = `.colony-export-socket-${process.pid}-${this.made++}`;
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(`/proc/self/fd/${this.dirFd}/${tmp}`, () => resolve());
    });
    try {
      fs.renameSync(Buffer.concat([this.base, Buffer.from(`/${tmp}`)]), p);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  close(): void {
    if (this.dirFd !== undefined) fs.closeSync(this.dirFd);
    this.dirFd = undefined;
  }
}

const isPermission = (stderr?: string) => /not permitted|denied/i.test(stderr ?? '');

/** The destination as a real directory (made if missing), refusing a non-empty one unless forced. */
async function prepare(dest: string, force: boolean): Promise<Buffer> {
  const st = await lstat(dest).catch((err: NodeJS.ErrnoException) => { if (err.code === 'ENOENT') return undefined; throw fromSystemError(err, `checking ${dest}`); });
  if (!st) await mkdir(dest).catch((err) => { throw fromSystemError(err, `creating ${dest}`); });
  const real = await realpath(dest).catch((err) => { throw fromSystemError(err, `resolving ${dest}`); });
  if (!(await lstat(real)).isDirectory()) throw new ColonyError('COLONY_NOT_DIRECTORY', `${dest} is not a directory`);
  if (!force && (await readdir(real)).length > 0) throw new ColonyError('COLONY_NOT_EMPTY', `${dest} is not empty (use force to export into it anyway)`);
  return Buffer.from(real);
}

/** With force: whatever is at `p` goes, unless it is a real directory and `e` is one too. */
async function clear(p: Buffer, e: Entry): Promise<boolean> {
  const st = await lstat(p).catch((err: NodeJS.ErrnoException) => { if (err.code === 'ENOENT') return undefined; throw fromSystemError(err, `checking ${p}`); });
  if (!st) return false;
  if (st.isDirectory() && e.kind === 'dir') return true;
  await rm(p, { recursive: true, force: true });
  return false;
}

/**
 * Writes one file. The file-system calls of an export are synchronous (as GNU tar's are):
 * through the thread pool each costs a futex and an eventfd round trip, which made an
 * export of many small files several times slower. Only the store reads are awaited.
 */
async function writeFile(store: BlockReader, p: Buffer, e: Entry, blockSize: number, stats: ExportStats): Promise<void> {
  const fd = fs.openSync(p, C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, 0o600);
  try {
    if (e.inline) fs.writeSync(fd, e.inline, 0, e.inline.length, 0);
    else if (e.size > 0) {
      for await (const leaf of readLeaves(store, e.score, e.size, blockSize)) {
        if (leaf.data) fs.writeSync(fd, leaf.data, 0, leaf.data.length, leaf.index * blockSize);
      }
      fs.ftruncateSync(fd, e.size);
    }
    stats.bytes += e.size;
  } finally {
    fs.closeSync(fd);
  }
}

/** Sets xattrs in-process; what the binding cannot express goes to one helper run. */
async function restoreXattrs(items: Array<{ path: Buffer; xattrs: Xattr[] }>): Promise<void> {
  const address = new XattrAddress();
  const deferred: typeof items = [];
  try {
    for (const it of items) {
      if (it.xattrs.length === 0) continue;
      const at = address.of(it.path);
      if (at === undefined || !writeXattrsSync(at, it.xattrs, it.path)) deferred.push(it);
    }
  } finally {
    address.close();
  }
  await writeXattrsByHelper(deferred);
}

async function finish(base: Buffer, made: Array<{ path: Buffer; entry: Entry }>, opts: ExportDirOptions): Promise<void> {
  const abs = (rel: Buffer) => (rel.length ? Buffer.concat([base, Buffer.from('/'), rel]) : base);
  const rel = (p: Buffer) => (p.length ? p : Buffer.from('.'));
  const each = (what: string, fn: (p: Buffer, e: Entry) => void, list = made) => {
    for (const { path, entry } of list) {
      try { fn(abs(path), entry); } catch (err) { throw fromSystemError(err, `setting the ${what} of ${abs(path)}`); }
    }
  };
  if (opts.owners ?? process.getuid?.() === 0) each('owner', (p, e) => fs.lchownSync(p, e.uid, e.gid));
  if (opts.xattrs !== false) await restoreXattrs(made.map(({ path, entry }) => ({ path: abs(path), xattrs: entry.xattrs })));
  // Children before parents, so a directory is still writable while its contents are done.
  each('mode', (p, e) => { if (e.kind !== 'symlink') fs.chmodSync(p, e.mode); }, [...made].reverse());
  await setTimes(base.toString(), made.map(({ path, entry }) => ({ path: rel(path), mtime: entry.mtime })));
}
