// The data directory holds every password hash and every byte of every imported file, so
// nothing in it may be readable by another local user. New files are owner-only because
// `colony serve` and one-shot commands run under umask 0077 (LevelDB and the arenas create
// their own files); a directory made by older code, or under umask 022, is repaired here
// at start: every group and other bit is cleared.
import { chmod, lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fromSystemError } from '../errors.js';
import type { Log } from '../log.js';

/** The umask under which Colony creates anything in its data directory. */
export const DATA_UMASK = 0o077;

/** A walk stops here: a data directory this large has something in it that is not ours. */
const MAX_ENTRIES = 200_000;

export interface ModeRepair { path: string; from: number; to: number }

/** The mode a data-directory entry should have: no group or other bits (pure). */
export const ownerOnly = (mode: number): number => mode & ~0o077;

/**
 * Clears group and other bits on DATA and everything under it. Symbolic links are not
 * followed (chmod would change their target, which may be outside DATA). An entry that
 * cannot be changed (another owner, a read-only mount) is logged and left: the start
 * goes on and fails later with its own one-line reason if it must.
 */
export async function repairDataModes(data: string, log: Log): Promise<ModeRepair[]> {
  const repairs: ModeRepair[] = [];
  const pending = [data];
  let seen = 0;
  while (pending.length > 0) {
    if (++seen > MAX_ENTRIES) { log.warn({ data, limit: MAX_ENTRIES }, 'data directory too large to check its modes; the rest is left as it is'); break; }
    const path = pending.pop()!;
    const st = await lstat(path).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') log.warn({ path, err: fromSystemError(err, `checking ${path}`) }, 'could not check a data directory mode');
      return undefined;
    });
    if (!st || st.isSymbolicLink()) continue;
    const from = st.mode & 0o7777;
    const to = ownerOnly(from);
    if (to !== from) {
      try {
        await chmod(path, to);
        repairs.push({ path, from, to });
      } catch (err) {
        log.warn({ path, err: fromSystemError(err, `changing the mode of ${path}`) }, 'could not make a data directory entry owner-only');
      }
    }
    if (st.isDirectory()) {
      const names = await readdir(path).catch((err: NodeJS.ErrnoException) => {
        log.warn({ path, err: fromSystemError(err, `listing ${path}`) }, 'could not check the modes under a data directory folder');
        return [] as string[];
      });
      for (const n of names) pending.push(join(path, n));
    }
  }
  if (repairs.length > 0) {
    const octal = (m: number) => m.toString(8).padStart(4, '0');
    log.warn({ data, repaired: repairs.length, examples: repairs.slice(0, 10).map((r) => `${r.path} ${octal(r.from)} -> ${octal(r.to)}`) },
      'the data directory was readable by other users; made it owner-only');
  }
  return repairs;
}
