// The volume's in-memory inode: a snapshot entry brought to life, plus what changed.
// Pure data and helpers; the Volume class owns the table.
import type { Entry, EntryKind } from '../snapshot/index.js';
import type { FileData } from './file-data.js';

export const S_IFMT = 0o170000;
const TYPE_BITS: Record<EntryKind, number> = { file: 0o100000, dir: 0o040000, symlink: 0o120000, char: 0o020000, block: 0o060000, fifo: 0o010000, socket: 0o140000 };
export const typeBits = (kind: EntryKind) => TYPE_BITS[kind];
export function kindOfMode(mode: number): EntryKind | undefined {
  const t = mode & S_IFMT;
  return (Object.entries(TYPE_BITS) as Array<[EntryKind, number]>).find(([, bits]) => bits === t)?.[0];
}

/** A directory child: an inode once looked up, or still just the snapshot's entry. */
export interface Child { ino?: number; entry?: Entry; raw: Buffer }

export interface DirState {
  /** False until the base directory's entries are read (on first lookup or readdir). */
  loaded: boolean;
  children: Map<string, Child>;
  /** readdir cookies: a name keeps its cookie for the life of the volume. */
  cookies: Map<string, number>;
  nextCookie: number;
}

export interface Inode {
  ino: number;
  kind: EntryKind;
  mode: number; // permission bits, 0o7777
  uid: number;
  gid: number;
  mtime: bigint;
  ctime: bigint;
  atime: bigint;
  nlink: number;
  major: number;
  minor: number;
  target: Buffer | null;
  xattrs: Map<string, Buffer>;
  /** The snapshot entry this inode came from, while it still describes the inode exactly. */
  base: Entry | null;
  /** Hard-link group number in the base snapshot (0 for none). */
  baseLink: number;
  file?: FileData;
  dir?: DirState;
  /** Directories that hold a name for this inode, with how many names each holds. */
  parents: Map<number, number>;
  /** Bumped by every change; qid.version. */
  version: number;
  /** The change counter at this inode's last change (for rebasing after a save). */
  changedAt: number;
  /** Open handles; an unlinked inode lives until the last one is released. */
  opens: number;
}

export const nowNs = () => BigInt(Date.now()) * 1_000_000n + BigInt(Math.floor((performance.now() % 1) * 1e6));
