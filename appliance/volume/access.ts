// POSIX permission checks, pure. The caller's identity comes from the 9P attach (uid, gid);
// 9P carries no supplementary groups, so only the primary gid counts. Root passes every
// check except execute, which needs at least one x bit.
import { posixError } from '../errors.js';
import type { Inode } from './inode.js';

export interface Cred { uid: number; gid: number }
export const ROOT: Cred = { uid: 0, gid: 0 };

export const R = 4, W = 2, X = 1;

/** Whether `cred` may access `ino` with the bits in `want` (R|W|X). */
export function allowed(cred: Cred, ino: Pick<Inode, 'mode' | 'uid' | 'gid' | 'kind'>, want: number): boolean {
  if (cred.uid === 0) return (want & X) === 0 || ino.kind === 'dir' || (ino.mode & 0o111) !== 0;
  const bits = cred.uid === ino.uid ? (ino.mode >> 6) & 7 : cred.gid === ino.gid ? (ino.mode >> 3) & 7 : ino.mode & 7;
  return (bits & want) === want;
}

export function check(cred: Cred, ino: Pick<Inode, 'mode' | 'uid' | 'gid' | 'kind'>, want: number, what: string): void {
  if (!allowed(cred, ino, want)) throw posixError('COLONY_PERMISSION', 'EACCES', `permission denied: ${what}`);
}

export const isOwner = (cred: Cred, ino: Pick<Inode, 'uid'>) => cred.uid === 0 || cred.uid === ino.uid;

/** The sticky-bit rule: in a sticky directory only the owner of the file or directory may remove or rename an entry. */
export function checkSticky(cred: Cred, dir: Pick<Inode, 'mode' | 'uid'>, victim: Pick<Inode, 'uid'>, name: string): void {
  if ((dir.mode & 0o1000) && cred.uid !== 0 && cred.uid !== dir.uid && cred.uid !== victim.uid) {
    throw posixError('COLONY_PERMISSION', 'EPERM', `sticky directory: only the owner may remove ${name}`);
  }
}
