// The tree a tar import builds, written as it goes. Archives list a directory's contents
// together (GNU tar, bsdtar and our export all walk depth-first), so when an entry's
// directory is no longer on the path of the next one, that directory is usually complete:
// it is encoded and stored then, and its parent keeps only its entry. Memory is then
// bounded by depth times the widest directory, not by the archive's entry count.
//
// Any order stays correct. An entry for a directory closed early "reopens" it: decodes it
// again. A reopened directory stays open until the end, so an archive that keeps returning
// costs one decode per directory, not one per return. A directory holding a hard-linked
// node, or an open subdirectory, is never closed early: link-group numbers are assigned
// tree-wide at the end, and writeTree writes whatever is still open.
//
// A closed directory is kept encoded in memory (a few bytes per entry) until its parent
// closes or PENDING_BYTES is passed, and only then stored: an archive that returns to a
// directory soon (a hard link into it, an entry listed late) then leaves no orphan block
// behind. Past the budget the oldest go to the store, and a later return reads them back.
import { invalid, tooLarge } from '../errors.js';
import type { Score } from '../store/index.js';
import { writeContent, type BlockReader, type BlockWriter } from './content.js';
import { readDirectory } from './directory.js';
import { DIR, NAME_MAX, badName, checkBlockSize, decodeDirectory, encodeDirectory, type Entry, type EntryKind } from './format.js';
import type { ImportStats } from './import-dir.js';
import type { TarEntry } from './tar-read.js';
import { newNode, writeTree, type RootOptions, type TreeNode } from './tree.js';

/**
 * The most path components an imported entry may have. Linux's PATH_MAX (4096 bytes) allows
 * at most about 2048, so nothing real is refused; the bound keeps an archive of one very
 * deep chain from costing memory quadratic in its depth.
 */
export const MAX_TAR_DEPTH = 4096;

const shownPath = (path: Buffer) => {
  const s = JSON.stringify(path.toString());
  return s.length > 200 ? `${s.slice(0, 100)}…${s.slice(-60)} (${path.length} bytes)` : s;
};

/** Splits a tar path into checked components: "./a//b/" → ["a", "b"]; "" or "./" → [] (the top). */
export function normalizeTarPath(path: Buffer): string[] {
  const shown = shownPath(path);
  if (path[0] === 0x2f) throw invalid(`tar entry ${shown} has an absolute path`);
  const out: string[] = [];
  for (const part of path.toString('latin1').split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') throw invalid(`tar entry ${shown} has a ".." component`);
    // The common case without a Buffer per component: a deep path has thousands.
    if (part.length <= NAME_MAX && !part.includes('\0')) { out.push(part); continue; }
    const why = badName(Buffer.from(part, 'latin1'));
    if (why) throw invalid(`tar entry ${shown} has ${why}`);
    out.push(part);
  }
  if (out.length > MAX_TAR_DEPTH) throw tooLarge(`tar entry ${shown} is ${out.length} levels deep; the limit is ${MAX_TAR_DEPTH}`);
  return out;
}

/** How many bytes of closed directories' streams may wait in memory before being stored. */
export const PENDING_BYTES = 8 << 20;

const isDir = (n: TreeNode) => n.entry.kind === 'dir';
const sortedKeys = (m: Map<string, TreeNode>) => [...m.keys()].sort();

export class TarTree {
  readonly top = newNode('dir');
  /** The open directories below the top on the path of the last entry, outermost first. */
  private chain: TreeNode[] = [];
  private readonly reopenedDirs = new Set<TreeNode>();
  /** Closed directories not yet stored, oldest first: their encoded streams. */
  private readonly pending = new Map<TreeNode, Buffer>();
  private pendingBytes = 0;
  /** Nodes in open directories now, and the most there ever were: what memory follows. */
  live = 0;
  peakLive = 0;
  /** Directories written early and read back. */
  reopened = 0;
  /** Directories closed before the end (stored then or kept encoded). */
  closedEarly = 0;

  /** `readBody` stores a new file's content (the bytes that follow its header) into its node. */
  constructor(
    private readonly store: BlockReader & BlockWriter, private readonly blockSize: number, private readonly stats: ImportStats,
    private readonly readBody: (node: TreeNode, size: number) => Promise<void>,
    private readonly pendingBudget = PENDING_BYTES,
  ) {
    checkBlockSize(blockSize);
    stats.dirs++; // the top; every other directory is counted when made, once, however often it is written
  }

  async add(e: TarEntry): Promise<void> {
    const parts = normalizeTarPath(e.path);
    await this.place(e, parts);
    await this.follow(e.type === 'dir' ? parts : parts.slice(0, -1));
  }

  /** Writes what is still open or pending and the root block. */
  async finish(opts: RootOptions): Promise<Score> {
    // Pending directories never hold pending ones (see close), so any order will do.
    for (const dir of [...this.pending.keys()]) await this.flush(dir);
    return writeTree(this.store, this.top, { ...opts, blockSize: this.blockSize });
  }

  private async place(e: TarEntry, parts: string[]): Promise<void> {
    const shown = shownPath(e.path);
    if (parts.length === 0) {
      if (e.type !== 'dir') throw invalid(`tar entry ${shown} names the top directory but is a ${e.type}`);
      setAttrs(this.top, e);
      return;
    }
    const parent = (await this.lookup(parts.slice(0, -1), shown, true))!;
    const name = parts.at(-1)!;
    const old = parent.children!.get(name);
    if (old && isDir(old) && e.type === 'dir') { setAttrs(old, e); return; }
    if (old && isDir(old)) throw invalid(`tar entry ${shown} would replace a directory with a ${e.type}`);
    let node: TreeNode;
    if (e.type === 'link') {
      const target = normalizeTarPath(e.linkname);
      const tname = target.at(-1);
      const found = tname === undefined ? undefined : (await this.lookup(target.slice(0, -1), shown, false))?.children!.get(tname);
      if (!found || isDir(found)) throw invalid(`tar entry ${shown} is a hard link to ${shownPath(e.linkname)}, which is not an earlier non-directory entry`);
      if (found === old) return;
      node = found;
      this.stats.hardlinks++;
    } else {
      node = newNode(e.type as EntryKind);
      setAttrs(node, e);
      if (e.type === 'dir') this.stats.dirs++;
      else if (e.type === 'file') { this.stats.files++; await this.readBody(node, e.size); }
      else if (e.type === 'symlink') {
        if (e.linkname.length === 0) throw invalid(`tar entry ${shown} is a symlink without a target`);
        this.stats.symlinks++;
        node.entry.target = Buffer.from(e.linkname);
      } else {
        this.stats.specials++;
        node.entry.major = e.major;
        node.entry.minor = e.minor;
      }
    }
    if (old) old.refs--;
    else this.grew(1);
    node.refs++;
    parent.children!.set(name, node);
  }

  /** The directory at `parts` without following anything, reopened if written; missing directories are made when `make`. */
  private async lookup(parts: string[], shown: string, make: boolean): Promise<TreeNode | undefined> {
    let dir = this.top;
    for (const part of parts) {
      let next = dir.children!.get(part);
      if (!next) {
        if (!make) return undefined;
        next = newNode('dir');
        next.refs = 1;
        dir.children!.set(part, next);
        this.stats.dirs++;
        this.grew(1);
      }
      if (!isDir(next)) throw invalid(`tar entry ${shown} passes through ${next.entry.kind === 'symlink' ? 'a symlink' : 'a non-directory'} ("${part}")`);
      if (!next.children) await this.reopen(next);
      dir = next;
    }
    return dir;
  }

  private async reopen(dir: TreeNode): Promise<void> {
    const stream = this.pending.get(dir);
    if (stream) this.unpend(dir, stream);
    const entries = stream ? decodeDirectory(stream) : await readDirectory(this.store, dir.entry, this.blockSize);
    const children = new Map<string, TreeNode>();
    for (const entry of entries) children.set(entry.name.toString('latin1'), { entry, refs: 1 });
    dir.children = children;
    this.reopenedDirs.add(dir);
    this.reopened++;
    this.grew(children.size);
  }

  /** Makes `parts` (the open directories along it) the current path, writing the directories left behind. */
  private async follow(parts: string[]): Promise<void> {
    const next: TreeNode[] = [];
    let dir = this.top;
    for (const part of parts) {
      const child = dir.children!.get(part);
      if (!child?.children) break;
      next.push(child);
      dir = child;
    }
    let keep = 0;
    while (keep < next.length && keep < this.chain.length && next[keep] === this.chain[keep]) keep++;
    for (let i = this.chain.length - 1; i >= keep; i--) await this.close(this.chain[i]!);
    this.chain = next;
  }

  /** Closes a directory left behind unless it must stay open (see the top of this file). */
  private async close(dir: TreeNode): Promise<void> {
    if (this.reopenedDirs.has(dir)) return;
    for (const child of dir.children!.values()) if (child.children || child.refs > 1) return;
    // Its entries need its subdirectories' scores, so those are stored first.
    const entries: Entry[] = [];
    for (const k of sortedKeys(dir.children!)) {
      const child = dir.children!.get(k)!;
      if (this.pending.has(child)) await this.flush(child);
      entries.push({ ...child.entry, name: Buffer.from(k, 'latin1') });
    }
    const stream = encodeDirectory(entries);
    this.live -= dir.children!.size;
    dir.children = undefined;
    dir.entry.size = stream.length;
    this.pending.set(dir, stream);
    this.pendingBytes += stream.length;
    this.closedEarly++;
    while (this.pendingBytes > this.pendingBudget) await this.flush(this.pending.keys().next().value!);
  }

  /** Stores a pending directory's stream and gives its entry the score. */
  private async flush(dir: TreeNode): Promise<void> {
    const stream = this.pending.get(dir)!;
    this.unpend(dir, stream);
    const { score, size } = await writeContent(this.store, stream, this.blockSize, DIR);
    dir.entry.score = score;
    dir.entry.size = size;
  }

  private unpend(dir: TreeNode, stream: Buffer): void {
    this.pending.delete(dir);
    this.pendingBytes -= stream.length;
  }

  private grew(n: number): void {
    this.live += n;
    if (this.live > this.peakLive) this.peakLive = this.live;
  }
}

function setAttrs(node: TreeNode, e: TarEntry): void {
  Object.assign(node.entry, { mode: e.mode, uid: e.uid, gid: e.gid, mtime: e.mtime, xattrs: e.xattrs });
}
