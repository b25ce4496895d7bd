// POSIX permission checks, pure. The caller's identity comes from the 9P attach: the uid,
// and its groups as the environment's own /etc/passwd and /etc/group list them (see
// accounts.ts). Root passes every check except execute, which needs at least one x bit.
import { posixError } from '../errors.js';
import type { Inode } from './inode.js';

export interface Cred {
  uid: number;
  /** The primary group: what new files get when nothing else decides. */
  gid: number;
  /** Supplementary groups (the primary one need not be repeated). */
  groups?: readonly number[];
  /**
   * The server cannot know this caller's groups (its uid has no account in the
   * environment), but a kernel client has already checked them with the process's real
   * groups. Group membership is then never the reason for a denial.
   */
  groupsUnknown?: boolean;
}

export const ROOT: Cred = { uid: 0, gid: 0 };
export const R = 4, W = 2, X = 1;

type Perms = Pick<Inode, 'mode' | 'uid' | 'gid' | 'kind'>;

/** Whether the caller is known to be in group `gid` (primary or supplementary). */
export const inGroup = (cred: Cred, gid: number): boolean => cred.gid === gid || (cred.groups?.includes(gid) ?? false);
/** Whether membership of `gid` may be assumed: known, or not knowable and so left to the client. */
export const mayBeInGroup = (cred: Cred, gid: number): boolean => inGroup(cred, gid) || cred.groupsUnknown === true;

/** Whether `cred` may access `ino` with the bits in `want` (R|W|X). */
export function allowed(cred: Cred, ino: Perms, want: number): boolean {
  if (cred.uid === 0) return (want & X) === 0 || ino.kind === 'dir' || (ino.mode & 0o111) !== 0;
  let bits: number;
  if (cred.uid === ino.uid) bits = (ino.mode >> 6) & 7;
  else if (inGroup(cred, ino.gid)) bits = (ino.mode >> 3) & 7;
  // Unknown groups: the caller may be in the file's group or not; deny only what both classes deny.
  else if (cred.groupsUnknown) bits = ((ino.mode >> 3) | ino.mode) & 7;
  else bits = ino.mode & 7;
  return (bits & want) === want;
}

export function check(cred: Cred, ino: Perms, want: number, what: string): void {
  if (!allowed(cred, ino, want)) throw posixError('COLONY_PERMISSION', 'EACCES', `permission denied: ${what}`);
}

export const isOwner = (cred: Cred, ino: Pick<Inode, 'uid'>) => cred.uid === 0 || cred.uid === ino.uid;

/** The sticky-bit rule: in a sticky directory only the owner of the file or directory may remove or rename an entry. */
export function checkSticky(cred: Cred, dir: Pick<Inode, 'mode' | 'uid'>, victim: Pick<Inode, 'uid'>, name: string): void {
  if ((dir.mode & 0o1000) && cred.uid !== 0 && cred.uid !== dir.uid && cred.uid !== victim.uid) {
    throw posixError('COLONY_PERMISSION', 'EPERM', `sticky directory: only the owner may remove ${name}`);
  }
}

// setuid and setgid, as Linux 6.x drops them (fs/attr.c setattr_should_drop_sgid and
// setattr_should_drop_suidgid; fs/open.c chown_common). Root stands for CAP_FSETID.

/** The mode after a write by `cred`: setuid goes; setgid goes if group-executable or the writer is outside the group. */
export function modeAfterWrite(cred: Cred, ino: Pick<Inode, 'mode' | 'gid' | 'kind'>): number {
  if (cred.uid === 0 || ino.kind !== 'file') return ino.mode;
  let mode = ino.mode & ~0o4000;
  if (mode & 0o2000 && (mode & 0o010 || !mayBeInGroup(cred, ino.gid))) mode &= ~0o2000;
  return mode;
}

/** The mode after a chown of a non-directory: setuid goes even for root; setgid as for a write, except root keeps a non-executable one. */
export function modeAfterChown(cred: Cred, ino: Pick<Inode, 'mode' | 'gid' | 'kind'>): number {
  if (ino.kind === 'dir') return ino.mode;
  let mode = ino.mode & ~0o4000;
  if (mode & 0o2000 && (mode & 0o010 || (cred.uid !== 0 && !mayBeInGroup(cred, ino.gid)))) mode &= ~0o2000;
  return mode;
}

/** A chmod's mode: setgid is dropped unless the caller is in the file's (new) group or is root. */
export function modeForChmod(cred: Cred, mode: number, gid: number): number {
  return cred.uid !== 0 && mode & 0o2000 && !mayBeInGroup(cred, gid) ? mode & ~0o2000 : mode;
}
