// The volume's in-memory inode: a snapshot entry brought to life, plus what changed.
// Pure data and helpers; the Volume class owns the table.
import type { Entry, EntryKind } from '../snapshot/index.js';
import type { DirList } from './dir-list.js';
import type { FileData } from './file-data.js';

export const S_IFMT = 0o170000;
const TYPE_BITS: Record<EntryKind, number> = { file: 0o100000, dir: 0o040000, symlink: 0o120000, char: 0o020000, block: 0o060000, fifo: 0o010000, socket: 0o140000 };
export const typeBits = (kind: EntryKind) => TYPE_BITS[kind];
export function kindOfMode(mode: number): EntryKind | undefined {
  const t = mode & S_IFMT;
  return (Object.entries(TYPE_BITS) as Array<[EntryKind, number]>).find(([, bits]) => bits === t)?.[0];
}

/** A directory child: an inode once looked up, or still just the snapshot's entry. `cookie` is its place in `DirState.list`. */
export interface Child { ino?: number; entry?: Entry; raw: Buffer; cookie: number }

export interface DirState {
  /** False until the base directory's entries are read (on first lookup or readdir). */
  loaded: boolean;
  children: Map<string, Child>;
  /** The names in readdir order: a name keeps its cookie while it stays in the directory. */
  list: DirList;
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
  /** Made by the environment (not the base): its metadata counts against `Budget.metaLimit`. */
  grown: boolean;
}

/**
 * Estimated heap, charged to the volume's budget (file-data.ts): an inode with its maps
 * and snapshot entry, and a directory entry (its name three times over: the map key, the
 * raw bytes and the listing). Measured at 1.2 to 1.3 KB for a new empty file or directory.
 */
export const INODE_META_BYTES = 1000;
export const CHILD_META_BYTES = 200;
/** A snapshot entry a loaded directory holds for a name not looked up yet. */
export const ENTRY_META_BYTES = 300;
/** A name from the base holds its snapshot entry until it is removed; one the environment added does not. */
export const childMetaBytes = (name: string, child: { entry?: Entry }) =>
  CHILD_META_BYTES + 3 * name.length + (child.entry ? ENTRY_META_BYTES : 0);

/**
 * How many levels below the root a directory may be. A deeper mkdir or rename is refused
 * (ENAMETOOLONG: such a path is past PATH_MAX anyway), so every saved tree stays within
 * what snapshot import and export take. The volume's own walks are iterative at any depth.
 */
export const DIR_DEPTH_MAX = 4000;

export const nowNs = () => BigInt(Date.now()) * 1_000_000n + BigInt(Math.floor((performance.now() % 1) * 1e6));
