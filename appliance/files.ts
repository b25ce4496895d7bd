// File-system steps shared by several subsystems.
import { mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fromSystemError, invalid } from './errors.js';

/**
 * Creates `path` and its missing parents, one level at a time. Node's recursive mkdir
 * never returns on some paths (for example under /proc, where mkdir answers ENOENT), and
 * a supervisor given a bad data directory must fail, not spin.
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
    await mkdir(p).catch((err: NodeJS.ErrnoException) => { if (err.code !== 'EEXIST') throw fromSystemError(err, `creating ${p}`); });
  }
}
