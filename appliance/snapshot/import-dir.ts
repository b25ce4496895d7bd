// Import from a directory: one metadata scan (lstat with ns times, readlink, and the
// xattrs in-process), then each distinct file's content read with large sequential reads
// into the store. Nothing is registered anywhere; on error a ColonyError is thrown,
// and any blocks already written are harmless orphans in a content-addressed store.
import type { BigIntStats } from 'node:fs';
import fs from 'node:fs';
import { lstat, realpath } from 'node:fs/promises';
import { fromSystemError, invalid, unsupported } from '../errors.js';
import type { BlockSource, Score } from '../store/index.js';
import { ContentBuilder, type BlockWriter } from './content.js';
import { DATA, INLINE_MAX, type EntryKind } from './format.js';
import { newNode, writeDirNode, writeTree, type RootOptions, type TreeNode } from './tree.js';
import { ImportCache, fingerprint, type TreeHolder } from './import-cache.js';
import { XattrAddress, readXattrsSync } from './xattr.js';
import { ContentReader, readContents, type FileToRead } from './import-read.js';
import { readXattrsByHelper } from './xattr-helper.js';

export interface ImportProgress { bytes: number; files: number }

export interface ImportStats {
  /** Distinct regular files; `dirs` counts the top too; `hardlinks` counts names past each file's first. */
  files: number; dirs: number; symlinks: number; hardlinks: number;
  /** Devices and FIFOs. */
  specials: number;
  /** Sockets: kept as inodes (no listener comes with them, as with any copy of a socket file). */
  sockets: number;
  /** Content bytes of distinct files. */
  bytes: number;
  /** New blocks in the store (when it reports stats). */
  blocksWritten: number;
  /** Files whose content came from the import cache, unread. */
  reused: number;
}

export interface ImportOptions extends RootOptions {
  onProgress?: (p: ImportProgress) => void;
  /** Read extended attributes. Default true. */
  xattrs?: boolean;
  /**
   * Directory imports: a file of the caller's where this import remembers each file's
   * fingerprint and content, so the next import of the same tree skips unchanged files
   * (see import-cache.ts).
   */
  cache?: string;
}

export interface ImportResult { root: Score; stats: ImportStats }

/**
 * What an import writes to: any BlockSource; `blocksWritten` is counted when it also tells
 * its block count, and `holdTrees`, when there, holds what the import cache reuses.
 */
export type SnapshotStore = BlockSource & TreeHolder & { stats?(): Promise<{ blocks: number }> };

export const newStats = (): ImportStats => ({ files: 0, dirs: 0, symlinks: 0, specials: 0, sockets: 0, hardlinks: 0, bytes: 0, blocksWritten: 0, reused: 0 });

/** Linux dev_t → (major, minor), as glibc's gnu_dev_major/minor. */
export function splitDev(rdev: bigint): { major: number; minor: number } {
  return {
    major: Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn & 0xffffffffn)),
    minor: Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn & 0xffffffffn)),
  };
}

const S_IFMT = 0o170000n;
const kindOf = (st: BigIntStats): EntryKind | undefined => {
  switch (st.mode & S_IFMT) {
    case 0o100000n: return 'file';
    case 0o040000n: return 'dir';
    case 0o120000n: return 'symlink';
    case 0o020000n: return 'char';
    case 0o060000n: return 'block';
    case 0o010000n: return 'fifo';
    case 0o140000n: return 'socket';
    default: return undefined;
  }
};

/** Files (or finished directories) gathered across directories before their content is read. */
const READ_BATCH = 256;
const SLASH = Buffer.from('/');

/** Counts new blocks around an import when the store can tell. */
export async function countingBlocks<T>(store: SnapshotStore, stats: ImportStats, fn: () => Promise<T>): Promise<T> {
  const before = store.stats ? (await store.stats()).blocks : 0;
  const out = await fn();
  if (store.stats) stats.blocksWritten = (await store.stats()).blocks - before;
  return out;
}

/** Imports the tree under `dir` and returns its root score. */
export async function importDirectory(store: SnapshotStore, dir: string, opts: ImportOptions = {}): Promise<ImportResult> {
  const blockSize = opts.blockSize ?? 64 * 1024;
  const stats = newStats();
  const root = await countingBlocks(store, stats, async () => {
    const abs = await realpath(dir).catch((err) => { throw fromSystemError(err, `opening ${dir}`); });
    const xattrs = opts.xattrs === false ? undefined : new ScanXattrs();
    const top = newNode('dir');
    const topSt = await lstat(abs, { bigint: true }).catch((err) => { throw fromSystemError(err, `reading ${abs}`); });
    if (!topSt.isDirectory()) throw invalid(`${dir} is not a directory`);
    const started = BigInt(Date.now()) * 1_000_000n;
    const cache = opts.cache ? await ImportCache.load(opts.cache, blockSize, xattrs !== undefined) : undefined;
    const progress = { done: 0 };
    // A first import warms the workers during the scan; a re-import with a cache reads few
    // files again, so they start only if one is (their start-up was most of its CPU).
    const reader = new ContentReader(blockSize, cache?.remembered ? undefined : store);
    const readFiles = (files: FileToRead[]) => readContents(store, files, reader, stats, progress, opts.onProgress, cache);
    setAttrs(top, topSt);
    try {
      xattrs?.read(top, Buffer.from(abs));
      await scanTree(store, Buffer.from(abs), top, blockSize, stats, readFiles, xattrs, cache);
    } finally {
      xattrs?.close();
      await reader.small.close();
    }
    await xattrs?.readDeferred();
    const score = await writeTree(store, top, { ...opts, blockSize }, stats);
    if (cache) await cache.save(opts.cache!, started, store.dropMark?.() ?? '');
    return score;
  });
  return { root, stats };
}

function setAttrs(node: TreeNode, st: BigIntStats): void {
  node.entry.mode = Number(st.mode & 0o7777n);
  node.entry.uid = Number(st.uid);
  node.entry.gid = Number(st.gid);
  node.entry.mtime = st.mtimeNs;
}

/**
 * Scans the tree depth-first, one directory at a time (its metadata, then its
 * subdirectories), reading file content in batches across directories so small
 * directories still keep several files in flight. A directory is written once its files
 * are read and its subdirectories written, so memory follows depth times the widest
 * directory, not the entry count. A directory stays open until the end when it holds a
 * file with other names (link groups are numbered tree-wide), an entry whose xattrs wait
 * for the helper, or an open subdirectory. Metadata calls are synchronous within one
 * directory: lstat through the thread pool costs three to four times the CPU of lstatSync
 * here, and a scan is nothing but such calls.
 */
async function scanTree(
  store: BlockWriter, top: Buffer, topNode: TreeNode, blockSize: number, stats: ImportStats,
  readFiles: (files: FileToRead[]) => Promise<void>, xattrs?: ScanXattrs, cache?: ImportCache,
): Promise<void> {
  const inodes = new Map<string, TreeNode>();
  const linked = new Set<TreeNode>(); // files with other names: their directories stay open
  const stack: Array<{ node: TreeNode; subdirs: Array<[Buffer, TreeNode]>; next: number }> = [];
  /** Files not yet read, and the directories (children first) to write once they are. */
  const batch: FileToRead[] = [];
  const ready = new Set<TreeNode>();
  const drain = async () => {
    await readFiles(batch.splice(0));
    for (const dir of ready) {
      await writeDirNode(store, dir, blockSize);
      dir.children = undefined;
      stats.dirs++;
    }
    ready.clear();
  };
  const enter = (path: Buffer, node: TreeNode) => {
    const subdirs: Array<[Buffer, TreeNode]> = [];
    try {
      scanDir(path, node, inodes, linked, batch, stats, subdirs, xattrs, cache);
    } catch (err) {
      throw fromSystemError(err, `reading ${(err as { path?: string }).path ?? path}`);
    }
    stack.push({ node, subdirs, next: 0 });
  };
  enter(top, topNode);
  for (let n = 1; stack.length > 0; n++) {
    const f = stack.at(-1)!;
    if (f.next < f.subdirs.length) {
      const [path, node] = f.subdirs[f.next++]!;
      enter(path, node);
    } else {
      stack.pop();
      if (stack.length > 0 && canClose(f.node, linked, ready, xattrs)) ready.add(f.node);
    }
    if (batch.length >= READ_BATCH || ready.size >= READ_BATCH) await drain();
    else if (n % 64 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  await drain();
}

function canClose(dir: TreeNode, linked: Set<TreeNode>, ready: Set<TreeNode>, xattrs?: ScanXattrs): boolean {
  for (const child of dir.children!.values()) if ((child.children && !ready.has(child)) || linked.has(child) || xattrs?.waiting(child)) return false;
  return true;
}

function scanDir(
  dirPath: Buffer, dir: TreeNode, inodes: Map<string, TreeNode>, linked: Set<TreeNode>,
  files: FileToRead[], stats: ImportStats, subdirs: Array<[Buffer, TreeNode]>, xattrs?: ScanXattrs, cache?: ImportCache,
): void {
  const base = dirPath.at(-1) === 0x2f ? dirPath : Buffer.concat([dirPath, SLASH]); // "/" itself ends in a slash
  for (const name of fs.readdirSync(dirPath, { encoding: 'buffer' })) {
    const path = Buffer.concat([base, name]);
    const st = fs.lstatSync(path, { bigint: true });
    const kind = kindOf(st);
    if (!kind) throw unsupported(`${path}: unknown file type ${(st.mode & S_IFMT).toString(8)}`);
    let node: TreeNode | undefined;
    const key = kind !== 'dir' && st.nlink > 1n ? `${st.dev}:${st.ino}` : undefined;
    if (key) node = inodes.get(key);
    if (node) stats.hardlinks++;
    else {
      node = newNode(kind);
      setAttrs(node, st);
      // An unchanged file (the cache's fingerprint, ctime included) has unchanged xattrs.
      const fp = kind === 'file' ? fingerprint(st) : undefined;
      const known = fp && cache?.candidate(path, fp);
      if (known) node.entry.xattrs = known.xattrs;
      else xattrs?.read(node, path);
      if (key) { inodes.set(key, node); linked.add(node); }
      if (kind === 'dir') subdirs.push([path, node]);
      else if (kind === 'file') { stats.files++; node.entry.size = Number(st.size); files.push({ path, node, fp: fp!, known }); }
      else if (kind === 'symlink') { stats.symlinks++; node.entry.target = fs.readlinkSync(path, { encoding: 'buffer' }); }
      else if (kind === 'socket') stats.sockets++;
      else {
        stats.specials++;
        if (kind === 'char' || kind === 'block') Object.assign(node.entry, splitDev(st.rdev));
      }
    }
    node.refs++;
    dir.children!.set(name.toString('latin1'), node);
  }
}

/**
 * Reads each inode's xattrs as the scan meets it (the scan's calls are synchronous, so
 * these are too). What the binding cannot read waits for one helper run after the scan.
 */
class ScanXattrs {
  private readonly address = new XattrAddress();
  private readonly deferred: Array<{ node: TreeNode; path: Buffer }> = [];
  private readonly deferredNodes = new Set<TreeNode>();

  read(node: TreeNode, path: Buffer): void {
    const at = this.address.of(path);
    const found = at === undefined ? null : readXattrsSync(at, path);
    if (found) node.entry.xattrs = found;
    else { this.deferred.push({ node, path }); this.deferredNodes.add(node); }
  }

  /** Whether the node's xattrs wait for the helper (its directory cannot be written yet). */
  waiting(node: TreeNode): boolean { return this.deferredNodes.has(node); }

  close(): void { this.address.close(); }

  async readDeferred(): Promise<void> {
    const found = await readXattrsByHelper(this.deferred.map((d) => d.path));
    this.deferred.forEach((d, i) => { d.node.entry.xattrs = found[i]!; });
  }
}
