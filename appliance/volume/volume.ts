// A volume: a writable filesystem over a snapshot root, as fossil was. Opening one reads
// only the root block (spawn is O(1)); directories and file leaves are read from the
// store the first time something needs them. Changes live in an overlay until `save`.
import { closed, invalid, notFound, posixError } from '../errors.js';
import { readRoot, readDirectory, walk, type Entry, type Root } from '../snapshot/index.js';
import type { BlockSource, Score } from '../store/index.js';
import { allowed, check, modeAfterWrite, X, W, R, type Cred } from './access.js';
import { Budget, type VolumeCounters } from './budget.js';
import { FileData } from './file-data.js';
import { DirList } from './dir-list.js';
import { DIR_DEPTH_MAX, INODE_META_BYTES, nowNs, typeBits, type Child, type Inode } from './inode.js';
import { NamespaceOps } from './namespace.js';
import { heldBy, type SaveHold, type VolumeHold } from './held.js';
import { saveVolume, type SaveOptions } from './save.js';

export const ROOT_INO = 1;
export const NAME_MAX = 255;

export interface VolumeOptions {
  /** Bytes of leaves kept in memory, dirty and clean together (100 MiB for `spawn`). */
  cacheBytes?: number;
  /** Metadata the environment may add before new names are ENOSPC (default: cacheBytes). */
  metaBytes?: number;
  /** Levels below the root a directory may be (DIR_DEPTH_MAX); tests raise it. */
  maxDepth?: number;
}

export interface VolumeAttr {
  ino: number; kind: Inode['kind']; mode: number; uid: number; gid: number; nlink: number; size: number;
  blocks: number; blksize: number; atime: bigint; mtime: bigint; ctime: bigint; major: number; minor: number; version: number;
}

export interface VolumeDirEntry { name: string; ino: number; kind: Inode['kind']; cookie: number }

export interface VolumeStats extends VolumeCounters { dirtyBytes: number; dirtyLeaves: number; cacheBytes: number; cleanBytes: number; inodes: number }

const DT: Record<Inode['kind'], number> = { fifo: 1, char: 2, dir: 4, block: 6, file: 8, symlink: 10, socket: 12 };
export const dtypeOf = (kind: Inode['kind']) => DT[kind];

export class Volume extends NamespaceOps {
  readonly counters: VolumeCounters = { bytesRead: 0, bytesWritten: 0, bytesFetched: 0, spilledLeaves: 0 };
  readonly budget: Budget;
  /** Base link group → the inode that represents it once any member was looked up. */
  private readonly baseLinkIno = new Map<number, number>();
  private closed = false;
  private linkIndex: Promise<Map<number, { count: number; paths: Buffer[] }>> | undefined;

  private constructor(readonly store: BlockSource, public rootScore: Score, public root: Root, opts: VolumeOptions) {
    super();
    this.budget = new Budget(opts.cacheBytes ?? 100 << 20, store, root.blockSize, this.counters);
    this.maxDepth = opts.maxDepth ?? DIR_DEPTH_MAX;
    if (opts.metaBytes !== undefined) this.budget.metaLimit = opts.metaBytes;
    const top = this.newInode(root.top, ROOT_INO);
    top.nlink = 2;
  }

  /** Reads the root block only: the cost does not depend on the snapshot's size. */
  static async open(store: BlockSource, root: Score, opts: VolumeOptions = {}): Promise<Volume> {
    return new Volume(store, root, await readRoot(store, root), opts);
  }

  get blockSize() { return this.root.blockSize; }

  // ---- inodes ----

  protected newInode(e: Entry, ino = this.nextIno++): Inode {
    const node: Inode = {
      ino, kind: e.kind, mode: e.mode, uid: e.uid, gid: e.gid, mtime: e.mtime, ctime: e.mtime, atime: e.mtime, nlink: 1,
      major: e.major, minor: e.minor, target: e.target, xattrs: new Map(e.xattrs.map((x) => [x.name.toString('utf8'), x.value])),
      base: e, baseLink: e.link, parents: new Map(), version: 0, changedAt: 0, opens: 0, grown: false,
    };
    if (e.kind === 'file') node.file = new FileData(ino, this.budget, e.score, e.size, e.inline);
    if (e.kind === 'dir') node.dir = { loaded: false, children: new Map(), list: new DirList() };
    this.inodes.set(ino, node);
    this.budget.chargeMeta(INODE_META_BYTES);
    return node;
  }

  /** Frees every cached and dirty leaf; the volume answers COLONY_CLOSED afterwards. Unsaved changes are gone. */
  close(): void {
    for (const n of this.inodes.values()) n.file?.drop();
    this.inodes.clear();
    this.budget.clean.clear();
    this.budget.metaBytes = 0;
    this.budget.grownBytes = 0;
    this.closed = true;
  }

  inode(ino: number): Inode {
    if (this.closed) throw closed('the environment');
    const node = this.inodes.get(ino);
    if (!node) throw posixError('COLONY_NOT_FOUND', 'ESTALE', `inode ${ino} no longer exists`);
    return node;
  }

  /** Reads a directory's base entries the first time they are needed. */
  protected async loadDir(dir: Inode): Promise<void> {
    if (!dir.dir) throw posixError('COLONY_NOT_DIRECTORY', 'ENOTDIR', 'not a directory');
    if (dir.dir.loaded) return;
    const entries = dir.base ? await readDirectory(this.store, dir.base, this.blockSize) : [];
    // Directory streams come from the store too: count them, so fetched/read is honest.
    this.counters.bytesFetched += dir.base?.size ?? 0;
    if (dir.dir.loaded) return; // another request loaded it meanwhile
    for (const e of entries) {
      const name = e.name.toString('utf8');
      if (!dir.dir.children.has(name)) this.addChild(dir, name, { entry: e, raw: e.name });
      if (e.kind === 'dir') dir.nlink++;
    }
    dir.dir.loaded = true;
  }

  /** The inode behind a directory child, creating it from the snapshot entry on first use. */
  protected async materialize(dir: Inode, name: string, child: Child): Promise<Inode> {
    if (child.ino !== undefined) return this.inode(child.ino);
    const e = child.entry!;
    if (e.link > 0) {
      const known = this.baseLinkIno.get(e.link);
      if (known !== undefined) {
        child.ino = known;
        const node = this.inode(known);
        this.addParent(node, dir.ino);
        return node;
      }
    }
    const node = this.newInode(e);
    child.ino = node.ino;
    this.addParent(node, dir.ino);
    if (e.kind === 'dir') node.nlink = 2;
    if (e.link > 0) {
      this.baseLinkIno.set(e.link, node.ino);
      const group = (await this.linkGroups()).get(e.link);
      node.nlink = group?.count ?? 1;
    }
    return node;
  }

  protected addParent(node: Inode, dirIno: number): void {
    node.parents.set(dirIno, (node.parents.get(dirIno) ?? 0) + 1);
  }

  /**
   * Hard links in the base: which names belong to each group. Built by one walk of the
   * snapshot, only when the first hard-linked file is looked up (never at spawn).
   */
  protected linkGroups(): Promise<Map<number, { count: number; paths: Buffer[] }>> {
    this.linkIndex ??= (async () => {
      const groups = new Map<number, { count: number; paths: Buffer[] }>();
      for await (const { path, entry } of walk(this.store, this.root)) {
        if (entry.link === 0) continue;
        const g = groups.get(entry.link) ?? { count: 0, paths: [] };
        g.count++;
        g.paths.push(path);
        groups.set(entry.link, g);
      }
      return groups;
    })();
    return this.linkIndex;
  }

  /** Before changing a base hard-linked inode, finds every directory that names it, so a save rewrites them all. */
  protected async attachAllLinks(node: Inode): Promise<void> {
    if (node.baseLink === 0) return;
    const group = (await this.linkGroups()).get(node.baseLink);
    for (const path of group?.paths ?? []) await this.resolvePath(path.toString('utf8')).catch(() => undefined);
  }

  /** Walks a slash-separated path from the root as root (used internally and by tests). */
  async resolvePath(path: string): Promise<Inode> {
    let node = this.inode(ROOT_INO);
    for (const part of path.split('/').filter((p) => p && p !== '.')) node = this.inode(await this.lookup({ uid: 0, gid: 0 }, node.ino, part));
    return node;
  }

  /** Records a change to an inode: its snapshot entry no longer describes it, nor its directories'. */
  protected touch(node: Inode, ctime = true): void {
    node.version++;
    node.changedAt = ++this.changes;
    if (ctime) node.ctime = nowNs();
    node.base = null;
    for (const dirIno of node.parents.keys()) this.dirtyDir(dirIno);
  }

  /** Marks a directory and every ancestor as needing a new encoding (and as changed now, for rebasing). */
  protected dirtyDir(ino: number): void {
    // Bounded by the table: a chain longer than it would be a cycle.
    for (let d = this.inodes.get(ino), hops = 0; d && hops <= this.inodes.size; hops++) {
      d.changedAt = ++this.changes;
      d.base = null;
      const up = d.ino === ROOT_INO ? undefined : (d.parents.keys().next().value as number | undefined);
      d = up === undefined ? undefined : this.inodes.get(up);
    }
  }

  // ---- reading ----

  async lookup(cred: Cred, dirIno: number, name: string): Promise<number> {
    const dir = this.inode(dirIno);
    if (!dir.dir) throw posixError('COLONY_NOT_DIRECTORY', 'ENOTDIR', 'not a directory');
    check(cred, dir, X, `search ${name}'s directory`);
    if (name === '..') return dir.parents.keys().next().value ?? ROOT_INO;
    if (name === '.') return dir.ino;
    await this.loadDir(dir);
    const child = dir.dir.children.get(name);
    if (!child) throw notFound(name);
    return (await this.materialize(dir, name, child)).ino;
  }

  async getattr(ino: number): Promise<VolumeAttr> {
    const n = this.inode(ino);
    if (n.dir && !n.dir.loaded) await this.loadDir(n);
    const size = n.file ? n.file.size : n.kind === 'symlink' ? n.target?.length ?? 0 : n.dir ? this.blockSize : 0;
    return {
      ino, kind: n.kind, mode: typeBits(n.kind) | n.mode, uid: n.uid, gid: n.gid, nlink: n.nlink, size,
      blocks: Math.ceil(size / 512), blksize: this.blockSize, atime: n.atime, mtime: n.mtime, ctime: n.ctime,
      major: n.major, minor: n.minor, version: n.version,
    };
  }

  async readlink(ino: number): Promise<Buffer> {
    const n = this.inode(ino);
    if (n.kind !== 'symlink' || !n.target) throw invalid('not a symbolic link');
    return n.target;
  }

  /** Checks an open's access mode (O_RDONLY=0, O_WRONLY=1, O_RDWR=2, O_TRUNC=0o1000) and counts the handle. */
  async open(cred: Cred, ino: number, flags: number): Promise<void> {
    const n = this.inode(ino);
    const acc = flags & 3;
    if (n.dir && acc !== 0) throw posixError('COLONY_IS_DIRECTORY', 'EISDIR', 'a directory cannot be opened for writing');
    // As open(2) on a socket: there is nothing to read or write through the filesystem.
    if (n.kind === 'socket') throw posixError('COLONY_INVALID', 'ENXIO', 'a socket cannot be opened');
    check(cred, n, (acc === 0 || acc === 2 ? R : 0) | (acc === 1 || acc === 2 ? W : 0), 'open');
    if (flags & 0o1000 && n.file && acc !== 0) await this.truncate(n, 0);
    n.opens++;
  }

  release(ino: number): void {
    const n = this.inodes.get(ino);
    if (!n) return;
    n.opens = Math.max(0, n.opens - 1);
    this.reap(n);
  }

  async read(ino: number, offset: number, length: number): Promise<Buffer> {
    return this.file(ino).read(offset, length);
  }

  /** As read, in pieces that must not be written to (FileData.readv): for a server sending them on. */
  async readv(ino: number, offset: number, length: number): Promise<Buffer[]> {
    return this.file(ino).readv(offset, length);
  }

  private file(ino: number): FileData {
    const n = this.inode(ino);
    if (!n.file) throw posixError(n.dir ? 'COLONY_IS_DIRECTORY' : 'COLONY_INVALID', n.dir ? 'EISDIR' : 'EINVAL', 'not a regular file');
    return n.file;
  }

  /**
   * Up to `max` entries after `cookie`, in cookie order, stopping before their names plus 24
   * bytes each (a 9P dirent) would pass `bytes`, after at least one. One page costs
   * O(log n + page), not a sort of the directory, and only its entries get inode numbers.
   */
  async readdir(ino: number, cookie: number, max: number, bytes = Infinity): Promise<VolumeDirEntry[]> {
    const dir = this.inode(ino);
    if (!dir.dir) throw posixError('COLONY_NOT_DIRECTORY', 'ENOTDIR', 'not a directory');
    await this.loadDir(dir);
    const d = dir.dir;
    const out: VolumeDirEntry[] = [];
    let used = 0;
    let taken = 0;
    const fits = (name: string) => {
      if (taken >= max) return false;
      used += 24 + Buffer.byteLength(name);
      if (taken > 0 && used > bytes) return false;
      taken++;
      return true;
    };
    if (cookie < 1 && fits('.')) out.push({ name: '.', ino: dir.ino, kind: 'dir', cookie: 1 });
    if (cookie < 2 && fits('..')) out.push({ name: '..', ino: dir.parents.keys().next().value ?? ROOT_INO, kind: 'dir', cookie: 2 });
    const page: Array<{ name: string; cookie: number }> = [];
    for (const e of d.list.after(Math.max(cookie, 2))) {
      if (!fits(e.name)) break;
      page.push(e);
    }
    for (const { name, cookie: c } of page) {
      const child = d.children.get(name);
      if (!child || child.cookie !== c) continue; // removed while an earlier entry was looked up
      // An entry not looked up yet has no inode number; give it one now so readdir and walk agree.
      const node = await this.materialize(dir, name, child);
      out.push({ name, ino: node.ino, kind: node.kind, cookie: c });
    }
    return out;
  }

  /** Positions of directory listings stepped over since the volume opened (tests check listing is O(n)). */
  listingSteps(ino: number): number { return this.inode(ino).dir?.list.scanned ?? 0; }

  // ---- for save.ts ----

  /** Bumped by every change: compare two readings to know whether anything changed between them. */
  get changeCount(): number { return this.changes; }
  has(ino: number): boolean { return this.inodes.has(ino); }
  get inodeCount(): number { return this.inodes.size; }
  allInodes(): IterableIterator<Inode> { return this.inodes.values(); }
  baseLinkGroups() { return this.linkGroups(); }
  maxBaseLink(groups: Map<number, unknown>): number { return Math.max(0, ...groups.keys()); }

  /** After a save: the saved root is the new base; its link groups are known. */
  rebaseRoot(score: Score, root: Root, newLinks: Map<number, number>): void {
    this.rootScore = score;
    this.root = root;
    this.linkIndex = undefined;
    for (const [ino, group] of newLinks) this.baseLinkIno.set(group, ino);
  }

  /** Writes every change as a new snapshot root (see save.ts). The volume carries on over it. */
  save(opts: SaveOptions = {}): Promise<{ root: Score; rootBlock: Root }> {
    return saveVolume(this, opts);
  }

  /** Saves in flight: each holds the blocks it wrote until it returns (save.ts, held.ts). */
  readonly saving = new Set<SaveHold>();

  /**
   * What this volume holds in the store beyond what names reach, for garbage collection
   * (held.ts says why this is enough). Synchronous, so it is one instant of the volume.
   */
  held(): VolumeHold {
    return heldBy(this.rootScore, ROOT_INO, this.blockSize, this.inodes.values(), this.saving);
  }

  /** The single blocks of `held()`: spilled leaves and an unfinished save's blocks. */
  heldScores(): Score[] { return this.held().scores; }

  stats(): VolumeStats {
    let dirtyLeaves = 0;
    for (const n of this.inodes.values()) dirtyLeaves += n.file?.dirtyLeaves ?? 0;
    return {
      ...this.counters, dirtyBytes: this.budget.dirtyBytes, dirtyLeaves, cacheBytes: this.budget.cacheBytes,
      cleanBytes: this.budget.clean.bytes, inodes: this.inodes.size,
    };
  }

  // ---- writing file data ----

  async write(cred: Cred, ino: number, offset: number, data: Buffer): Promise<number> {
    const n = this.inode(ino);
    if (!n.file) throw posixError('COLONY_IS_DIRECTORY', 'EISDIR', 'not a regular file');
    if (offset + data.length > Number.MAX_SAFE_INTEGER) throw posixError('COLONY_TOO_LARGE', 'EFBIG', 'write past the largest file size');
    await this.attachAllLinks(n);
    await n.file.write(offset, data);
    // Writing drops setuid and setgid as Linux does (see access.ts).
    n.mode = modeAfterWrite(cred, n);
    n.mtime = nowNs();
    this.touch(n);
    return data.length;
  }

  protected async truncate(n: Inode, size: number): Promise<void> {
    if (!n.file) throw posixError('COLONY_IS_DIRECTORY', 'EISDIR', 'not a regular file');
    if (size < 0) throw invalid('negative size');
    await this.attachAllLinks(n);
    await n.file.truncate(size);
    n.mtime = nowNs();
    this.touch(n);
  }

  /** Frees an inode once nothing names it and nothing has it open. */
  protected reap(n: Inode): void {
    if (n.ino === ROOT_INO || n.nlink > (n.dir ? 1 : 0) || n.opens > 0 || n.parents.size > 0) return;
    n.file?.drop();
    if (this.inodes.delete(n.ino)) this.budget.chargeMeta(-INODE_META_BYTES, n.grown);
  }

  protected mayWriteDir(cred: Cred, dir: Inode, what: string): void {
    if (!dir.dir) throw posixError('COLONY_NOT_DIRECTORY', 'ENOTDIR', 'not a directory');
    check(cred, dir, W | X, what);
  }

  protected mayRead(cred: Cred, n: Inode): boolean { return allowed(cred, n, R); }
}

