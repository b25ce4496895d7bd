// What the xcpu and proc trees answer for stat and setattr: their files have no size, no
// times of their own and belong to whoever asks, so a client's permission checks pass
// and the server decides (ownership is checked per request, not by mode bits).
import { permission } from '../errors.js';
import type { Attr, Caller, SetAttr } from '../ninep/backend.js';
import { withErrno } from '../ninep/errno.js';

export type Born = { sec: number; nsec: number };

export const bornNow = (): Born => ({ sec: Math.floor(Date.now() / 1000), nsec: 0 });

export function treeAttr(c: Caller, mode: number, born: Born): Attr {
  return { mode, uid: c.uid, gid: c.gid, nlink: 1, rdev: 0, size: 0, blksize: 4096, blocks: 0, atime: born, mtime: born, ctime: born };
}

/** Accepts what shell redirection sends first (a truncate, times); refuses owner and mode changes. */
export function refuseOwnerChange(set: SetAttr, tree: string): void {
  if (set.mode !== undefined || set.uid !== undefined || set.gid !== undefined) throw withErrno(permission(`${tree} files keep their owner and mode`), 'EPERM');
}
