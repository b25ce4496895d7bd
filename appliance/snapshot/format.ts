// The snapshot format, pure: root blocks, directory entries and directory streams, bytes
// in and values out. README.md beside this file documents every byte; this is an
// on-disk format, so anything decoded here must stay readable forever.
import { corruptData, invalid, unsupported } from '../errors.js';
import { SCORE_BYTES, type Score } from '../store/index.js';
import { ByteReader, ByteWriter } from './bytes.js';

/** Store block types (the `type` byte of a store record). */
export const ROOT = 1;
export const DIR = 2;
export const DATA = 3;
export const POINTER = 4;

export const FORMAT_VERSION = 1;
export const ROOT_MAGIC = Buffer.from('CLNYSNAP', 'latin1');
export const DEFAULT_BLOCK_SIZE = 64 * 1024;
export const MIN_BLOCK_SIZE = 4096;
export const MAX_BLOCK_SIZE = 1024 * 1024;
/** Regular files of 1..INLINE_MAX bytes live inside their directory entry (format version 1). */
export const INLINE_MAX = 1024;
/** The all-zero score: an empty or all-zero block or subtree, never stored. */
export const ZERO_SCORE: Score = Buffer.alloc(SCORE_BYTES);

export const NAME_MAX = 255;
export const TARGET_MAX = 4095;
export const XATTR_NAME_MAX = 255;
export const XATTR_VALUE_MAX = 65536;

// 'socket' (7) came after the first release. It is an addition, not a change: no byte of a
// tree without sockets moved, so FORMAT_VERSION stays 1 and every existing score holds (a
// version bump would have changed every root score). A build older than the socket kind
// refuses a tree that has one as "unknown entry kind 7" rather than misreading it.
export type EntryKind = 'file' | 'dir' | 'symlink' | 'char' | 'block' | 'fifo' | 'socket';
const KIND_CODE: Record<EntryKind, number> = { file: 1, dir: 2, symlink: 3, char: 4, block: 5, fifo: 6, socket: 7 };
const KIND_OF = ['', 'file', 'dir', 'symlink', 'char', 'block', 'fifo', 'socket'] as const;

export interface Xattr { name: Buffer; value: Buffer }

/**
 * One directory entry. Every field is present for every kind; the ones a kind does not use
 * hold their neutral value (size 0, ZERO_SCORE, null, 0), and the codec checks that.
 */
export interface Entry {
  /** Raw bytes: Linux names are bytes, not text. Empty only for the top directory. */
  name: Buffer;
  kind: EntryKind;
  /** Permission bits including setuid, setgid and sticky (0o7777); the type comes from `kind`. */
  mode: number;
  uid: number;
  gid: number;
  /** Modification time in nanoseconds since the epoch. */
  mtime: bigint;
  /** Hard-link group: 0 for none, else the tree-wide group number (1, 2, ... in walk order). */
  link: number;
  /** Sorted by name bytes, names unique. */
  xattrs: Xattr[];
  /** file: its length; dir: the length of its encoded entry stream; others 0. */
  size: number;
  /** The content tree (file over INLINE_MAX bytes, or non-empty dir); ZERO_SCORE otherwise or when all zero. */
  score: Score;
  /** A file of 1..INLINE_MAX bytes: its bytes. Otherwise null. */
  inline: Buffer | null;
  /** symlink: its target bytes. Otherwise null. */
  target: Buffer | null;
  /** char and block devices; 0 otherwise. */
  major: number;
  minor: number;
}

export interface Root {
  version: number;
  blockSize: number;
  /** The top directory, an entry with an empty name and kind 'dir'. */
  top: Entry;
  parent: Score | null;
  /** Creation time, nanoseconds since the epoch. */
  created: bigint;
  comment: string;
  /** Free-form string pairs (the environments layer records invited users here). */
  meta: Record<string, string>;
}

/** An entry with neutral values, to spread over. */
export function blankEntry(kind: EntryKind, name: Buffer | string = Buffer.alloc(0)): Entry {
  return {
    name: typeof name === 'string' ? Buffer.from(name) : name, kind, mode: kind === 'dir' ? 0o755 : 0o644,
    uid: 0, gid: 0, mtime: 0n, link: 0, xattrs: [], size: 0, score: ZERO_SCORE, inline: null, target: null, major: 0, minor: 0,
  };
}

export function checkBlockSize(bs: number): void {
  if (!Number.isInteger(bs) || bs < MIN_BLOCK_SIZE || bs > MAX_BLOCK_SIZE || (bs & (bs - 1)) !== 0) {
    throw invalid(`block size ${bs} must be a power of two from ${MIN_BLOCK_SIZE} to ${MAX_BLOCK_SIZE}`);
  }
}

export const isZeroScore = (s: Uint8Array) => s.length === SCORE_BYTES && ZERO_SCORE.equals(s);

/** Checks a name: 1..255 bytes, no '/', no NUL, not '.' or '..'. Returns a reason or undefined. */
export function badName(name: Uint8Array): string | undefined {
  if (name.length === 0) return 'an empty name';
  if (name.length > NAME_MAX) return `a name of ${name.length} bytes (over ${NAME_MAX})`;
  if (name.includes(0x2f) || name.includes(0)) return 'a name with "/" or NUL';
  if ((name.length === 1 && name[0] === 0x2e) || (name.length === 2 && name[0] === 0x2e && name[1] === 0x2e)) return `the name "${Buffer.from(name).toString()}"`;
  return undefined;
}

const sortedUnique = (items: Uint8Array[]) => items.every((b, i) => i === 0 || Buffer.compare(items[i - 1]!, b) < 0);

/** Whether xattr names are strictly ascending (sorted, no duplicates). */
function xattrsSorted(xattrs: Xattr[]): boolean {
  for (let i = 1; i < xattrs.length; i++) if (Buffer.compare(xattrs[i - 1]!.name, xattrs[i]!.name) >= 0) return false;
  return true;
}

function entryError(e: Pick<Entry, 'kind' | 'name'>, why: string) {
  return invalid(`entry ${JSON.stringify(e.name.toString())} (${e.kind}): ${why}`);
}

/** Owner ids and device numbers are unsigned 32-bit. */
const isU32 = (n: number) => Number.isInteger(n) && n >= 0 && n <= 0xffffffff;

/** Checks that fields the kind does not use are empty; the message names the first that is not. */
function checkNeutral(e: Entry): void {
  let what: string | undefined;
  if (e.kind !== 'file' && e.kind !== 'dir' && !(e.size === 0 && isZeroScore(e.score) && e.inline === null)) what = 'size/content';
  else if (e.kind !== 'symlink' && e.target !== null) what = 'target';
  else if (e.kind !== 'char' && e.kind !== 'block' && !(e.major === 0 && e.minor === 0)) what = 'major/minor';
  if (what) throw entryError(e, `${what} must be empty for this kind`);
}

// Called once per entry of every directory an import writes: no closures or arrays per call.
function writeEntry(w: ByteWriter, e: Entry, top: boolean): void {
  const code = KIND_CODE[e.kind];
  if (code === undefined) throw entryError(e, 'unknown kind');
  if (top ? e.name.length !== 0 || e.kind !== 'dir' : badName(e.name) !== undefined) throw entryError(e, top ? 'the top must be a nameless dir' : badName(e.name)!);
  if (!Number.isInteger(e.mode) || e.mode < 0 || e.mode > 0o7777) throw entryError(e, `mode ${e.mode} is not within 0o7777`);
  if (!isU32(e.uid)) throw entryError(e, `owner id ${e.uid} out of range`);
  if (!isU32(e.gid)) throw entryError(e, `owner id ${e.gid} out of range`);
  if (e.kind === 'dir' && e.link !== 0) throw entryError(e, 'a directory cannot be hard-linked');
  if (!xattrsSorted(e.xattrs)) throw entryError(e, 'xattrs are not sorted and unique');
  w.bytes(e.name).u8(code).uvar(e.mode).uvar(e.uid).uvar(e.gid).svar(e.mtime).uvar(e.link).uvar(e.xattrs.length);
  for (const x of e.xattrs) {
    if (x.name.length === 0 || x.name.length > XATTR_NAME_MAX || x.name.includes(0)) throw entryError(e, 'a bad xattr name');
    if (x.value.length > XATTR_VALUE_MAX) throw entryError(e, `xattr value over ${XATTR_VALUE_MAX} bytes`);
    w.bytes(x.name).bytes(x.value);
  }
  checkNeutral(e);
  switch (e.kind) {
    case 'file':
      w.uvar(e.size);
      if (e.size === 0) {
        if (e.inline !== null || !isZeroScore(e.score)) throw entryError(e, 'content of an empty file must be empty for this kind');
      } else if (e.size <= INLINE_MAX) {
        if (!e.inline || e.inline.length !== e.size || !isZeroScore(e.score)) throw entryError(e, `a file of ${e.size} bytes must be inline`);
        w.raw(e.inline);
      } else {
        if (e.inline !== null || e.score.length !== SCORE_BYTES) throw entryError(e, 'a large file needs a content score and no inline bytes');
        w.raw(e.score);
      }
      break;
    case 'dir':
      if (e.inline !== null) throw entryError(e, 'a directory has no inline bytes');
      w.uvar(e.size);
      if (e.size > 0) {
        if (e.score.length !== SCORE_BYTES || isZeroScore(e.score)) throw entryError(e, 'a non-empty directory needs a score');
        w.raw(e.score);
      } else if (!isZeroScore(e.score)) throw entryError(e, 'score of an empty directory must be empty for this kind');
      break;
    case 'symlink':
      if (!e.target || e.target.length === 0 || e.target.length > TARGET_MAX || e.target.includes(0)) throw entryError(e, 'a symlink needs a target of 1..4095 bytes without NUL');
      w.bytes(e.target);
      break;
    case 'char':
    case 'block':
      if (!isU32(e.major)) throw entryError(e, `device number ${e.major} out of range`);
      if (!isU32(e.minor)) throw entryError(e, `device number ${e.minor} out of range`);
      w.uvar(e.major).uvar(e.minor);
      break;
    case 'fifo':
    case 'socket':
      break;
  }
}

function readEntry(r: ByteReader, top: boolean): Entry {
  const name = Buffer.from(r.bytes(NAME_MAX));
  if (top ? name.length !== 0 : badName(name)) r.fail(top ? 'the top entry has a name' : `${badName(name)}`);
  const code = r.u8();
  const kind = KIND_OF[code];
  if (!kind) r.fail(`unknown entry kind ${code}`);
  if (top && kind !== 'dir') r.fail('the top entry is not a directory');
  const mode = r.uvar();
  if (mode > 0o7777) r.fail(`mode ${mode.toString(8)} has bits above 0o7777`);
  const uid = r.uvar();
  const gid = r.uvar();
  if (uid > 0xffffffff || gid > 0xffffffff) r.fail('owner id out of range');
  const mtime = r.svar();
  const link = r.uvar();
  if (kind === 'dir' && link !== 0) r.fail('a hard-linked directory');
  const xattrs: Xattr[] = [];
  for (let n = r.uvar(); n > 0; n--) {
    const xn = Buffer.from(r.bytes(XATTR_NAME_MAX));
    if (xn.length === 0 || xn.includes(0)) r.fail('a bad xattr name');
    if (xattrs.length && Buffer.compare(xattrs.at(-1)!.name, xn) >= 0) r.fail('xattrs out of order');
    xattrs.push({ name: xn, value: Buffer.from(r.bytes(XATTR_VALUE_MAX)) });
  }
  const e: Entry = { ...blankEntry(kind, name), mode, uid, gid, mtime, link, xattrs };
  switch (kind) {
    case 'file':
      e.size = r.uvar();
      if (e.size > 0 && e.size <= INLINE_MAX) e.inline = Buffer.from(r.raw(e.size));
      else if (e.size > INLINE_MAX) e.score = Buffer.from(r.raw(SCORE_BYTES));
      break;
    case 'dir':
      e.size = r.uvar();
      if (e.size > 0) {
        e.score = Buffer.from(r.raw(SCORE_BYTES));
        if (isZeroScore(e.score)) r.fail('a non-empty directory with the zero score');
      }
      break;
    case 'symlink':
      e.target = Buffer.from(r.bytes(TARGET_MAX));
      if (e.target.length === 0 || e.target.includes(0)) r.fail('a bad symlink target');
      break;
    case 'char':
    case 'block':
      e.major = r.uvar();
      e.minor = r.uvar();
      if (e.major > 0xffffffff || e.minor > 0xffffffff) r.fail('device number out of range');
      break;
  }
  return e;
}

export function encodeEntry(e: Entry): Buffer {
  const w = new ByteWriter();
  writeEntry(w, e, e.name.length === 0);
  return Buffer.from(w.finish());
}

export function decodeEntry(buf: Buffer): Entry {
  const r = new ByteReader(buf, 'directory entry');
  const e = readEntry(r, buf.length > 0 && buf[0] === 0);
  r.end();
  return e;
}

/** A directory's byte stream: its entries back to back, sorted by name bytes. Empty for an empty directory. */
export function encodeDirectory(entries: Entry[]): Buffer {
  const w = new ByteWriter(entries.length * 64 + 16);
  entries.forEach((e, i) => {
    if (i > 0 && Buffer.compare(entries[i - 1]!.name, e.name) >= 0) {
      throw entryError(e, `out of order or duplicated after ${JSON.stringify(entries[i - 1]!.name.toString())}`);
    }
    writeEntry(w, e, false);
  });
  return Buffer.from(w.finish());
}

export function decodeDirectory(stream: Buffer): Entry[] {
  const r = new ByteReader(stream, 'directory');
  const out: Entry[] = [];
  while (!r.done) {
    const e = readEntry(r, false);
    if (out.length && Buffer.compare(out.at(-1)!.name, e.name) >= 0) r.fail(`entry ${JSON.stringify(e.name.toString())} is out of order`);
    out.push(e);
  }
  return out;
}

export function encodeRoot(root: Root): Buffer {
  if (root.version !== FORMAT_VERSION) throw unsupported(`snapshot format version ${root.version}`);
  checkBlockSize(root.blockSize);
  const keys = Object.keys(root.meta).map((k) => Buffer.from(k)).sort(Buffer.compare);
  if (!sortedUnique(keys)) throw invalid('meta keys are not unique');
  const w = new ByteWriter(512).raw(ROOT_MAGIC).uvar(root.version).uvar(root.blockSize).svar(root.created);
  if (root.parent) {
    if (root.parent.length !== SCORE_BYTES) throw invalid('the parent is not a score');
    w.u8(1).raw(root.parent);
  } else w.u8(0);
  w.bytes(Buffer.from(root.comment)).uvar(keys.length);
  for (const k of keys) w.bytes(k).bytes(Buffer.from(root.meta[k.toString()]!));
  writeEntry(w, root.top, true);
  return Buffer.from(w.finish());
}

export function decodeRoot(buf: Buffer): Root {
  const r = new ByteReader(buf, 'root block');
  if (!r.raw(Math.min(ROOT_MAGIC.length, buf.length)).equals(ROOT_MAGIC)) throw corruptData('not a Colony snapshot root (bad magic)');
  const version = r.uvar();
  if (version !== FORMAT_VERSION) throw unsupported(`snapshot format version ${version}; this build reads ${FORMAT_VERSION}`);
  const blockSize = r.uvar();
  try { checkBlockSize(blockSize); } catch { r.fail(`bad block size ${blockSize}`); }
  const created = r.svar();
  const flag = r.u8();
  if (flag > 1) r.fail(`bad parent flag ${flag}`);
  const parent = flag === 1 ? Buffer.from(r.raw(SCORE_BYTES)) : null;
  const comment = r.bytes().toString();
  const meta: Record<string, string> = {};
  let prev: Buffer | undefined;
  for (let n = r.uvar(); n > 0; n--) {
    const k = r.bytes();
    if (prev && Buffer.compare(prev, k) >= 0) r.fail('meta keys out of order');
    prev = k;
    meta[k.toString()] = r.bytes().toString();
  }
  const top = readEntry(r, true);
  r.end();
  return { version, blockSize, top, parent, created, comment, meta };
}

/** A pointer block: child scores back to back. */
export function decodePointers(buf: Buffer, expected: number, what: string): Buffer[] {
  if (buf.length !== expected * SCORE_BYTES) throw corruptData(`${what}: a pointer block of ${buf.length} bytes, expected ${expected} scores`);
  const out: Buffer[] = [];
  for (let i = 0; i < expected; i++) out.push(buf.subarray(i * SCORE_BYTES, (i + 1) * SCORE_BYTES));
  return out;
}
