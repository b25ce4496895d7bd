// File-system steps shared by several subsystems.
import { randomBytes } from 'node:crypto';
import { link, mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fromSystemError, invalid } from './errors.js';

/**
 * Creates `path` and its missing parents, one level at a time. Node's recursive mkdir
 * never returns on some paths (for example under /proc, where mkdir answers ENOENT), and
 * a supervisor given a bad data directory must fail, not spin. Made 0700 whatever the
 * umask: what Colony keeps (password hashes, imported files) is no other user's to read.
 */
export async function ensureDir(path: string): Promise<void> {
  const missing: string[] = [];
  for (let p = resolve(path); ; p = dirname(p)) {
    const st = await stat(p).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? undefined : Promise.reject(fromSystemError(err, `checking ${p}`))));
    if (st) {
      if (!st.isDirectory()) throw invalid(`${p} is not a directory`);
      break;
    }
    missing.push(p);
    if (p === dirname(p)) break;
  }
  for (const p of missing.reverse()) {
    await mkdir(p, 0o700).catch((err: NodeJS.ErrnoException) => { if (err.code !== 'EEXIST') throw fromSystemError(err, `creating ${p}`); });
  }
}

/**
 * Replaces (or, with `exclusive`, creates) `path` so that after a crash it holds either
 * the old content or all of the new: a temporary file beside it is written and fsynced,
 * renamed (or hard-linked, which fails with EEXIST when another process got there first)
 * over it, and the directory is fsynced so the new name itself is durable.
 */
export async function writeFileDurably(path: string, content: string | Buffer, mode: number, options: { exclusive?: boolean } = {}): Promise<void> {
  // Unique per call: two writers in one process must not share a temporary file.
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fh = await open(tmp, 'w', mode);
  let placed = false;
  try {
    try {
      await fh.writeFile(content);
      await fh.chmod(mode); // the umask may have narrowed it, or the file was left from before
      await fh.sync();
    } finally {
      await fh.close();
    }
    if (options.exclusive) await link(tmp, path);
    else { await rename(tmp, path); placed = true; }
  } finally {
    if (!placed) await unlink(tmp).catch(() => {});
  }
  await syncDir(dirname(path));
}

/** fsyncs a directory, so names created or renamed in it survive a power cut. */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try { await fh.sync(); } finally { await fh.close(); }
}
