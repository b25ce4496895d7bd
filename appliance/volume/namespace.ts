// The volume's namespace operations with their POSIX rules: create, link, unlink, rename,
// setattr and xattrs. Volume extends this class; the abstract members are its inode table.
import { exists, invalid, notFound, posixError } from '../errors.js';
import { blankEntry, type Entry, type EntryKind } from '../snapshot/index.js';
import { check, checkSticky, isOwner, mayBeInGroup, modeAfterChown, modeAfterWrite, modeForChmod, W, R, type Cred } from './access.js';
import type { Budget } from './budget.js';
import { childMetaBytes, INODE_META_BYTES, nowNs, type Child, type Inode } from './inode.js';
import { Mutex } from './mutex.js';

export interface SetAttrs {
  mode?: number; uid?: number; gid?: number; size?: number; atime?: bigint | 'now'; mtime?: bigint | 'now';
  /** The request came through a handle open for writing: a size change needs no write permission (ftruncate(2)). */
  openForWrite?: boolean;
}
export interface NodeSpec { target?: Buffer; major?: number; minor?: number }

const XATTR_CREATE = 1;
const XATTR_REPLACE = 2;

export function checkName(name: string): void {
  if (name.includes('/') || name.includes('\0')) throw invalid(`a name may not contain '/' or NUL: ${JSON.stringify(name)}`);
  if (name === '' || name === '.' || name === '..') throw posixError('COLONY_EXISTS', 'EEXIST', `'${name}' is reserved`);
  if (Buffer.byteLength(name) > 255) throw posixError('COLONY_INVALID', 'ENAMETOOLONG', 'a name is at most 255 bytes');
}

const noDir = () => posixError('COLONY_NOT_DIRECTORY', 'ENOTDIR', 'not a directory');
const noRoom = (name: string) => posixError('COLONY_NO_SPACE', 'ENOSPC', `no room for ${name}: the environment's inodes and names fill its memory budget`);

export abstract class NamespaceOps {
  protected readonly inodes = new Map<number, Inode>();
  protected nextIno = 2;
  protected changes = 0;
  protected maxDepth = 0;
  abstract readonly budget: Budget;

  abstract inode(ino: number): Inode;
  abstract get blockSize(): number;
  protected abstract newInode(e: Entry, ino?: number): Inode;
  protected abstract loadDir(dir: Inode): Promise<void>;
  protected abstract materialize(dir: Inode, name: string, child: Child): Promise<Inode>;
  protected abstract touch(node: Inode, ctime?: boolean): void;
  protected abstract dirtyDir(ino: number): void;
  protected abstract addParent(node: Inode, dirIno: number): void;
  protected abstract attachAllLinks(node: Inode): Promise<void>;
  protected abstract truncate(n: Inode, size: number): Promise<void>;
  protected abstract reap(n: Inode): void;
  protected abstract mayWriteDir(cred: Cred, dir: Inode, what: string): void;

  /**
   * Serialises namespace changes on this volume. Every check-then-act below spans an await
   * (loading a directory, the base link index, a truncate), so two changes must not
   * interleave: `link x` and `create x` would both find x free. Reads and file writes do not
   * take it (see the contract in ninep/backend.ts).
   */
  protected readonly namespaceLock = new Mutex();

  create(cred: Cred, dirIno: number, name: string, kind: EntryKind, mode: number, gid: number, spec: NodeSpec = {}): Promise<number> {
    return this.namespaceLock.run(() => this.createLocked(cred, dirIno, name, kind, mode, gid, spec));
  }
  /**
   * open(O_CREAT) in one step: creates a regular file and counts one open handle on it
   * (release it with `release`) in the same commit, under the lock. An unlink or rename
   * queued behind it can take the name away, never the inode: the handle is this file's.
   * No permission check on the open: the creator may write whatever mode it chose (POSIX).
   */
  createOpen(cred: Cred, dirIno: number, name: string, mode: number, gid: number): Promise<number> {
    return this.namespaceLock.run(() => this.createLocked(cred, dirIno, name, 'file', mode, gid, {}, true));
  }
  link(cred: Cred, dirIno: number, name: string, targetIno: number): Promise<void> {
    return this.namespaceLock.run(() => this.linkLocked(cred, dirIno, name, targetIno));
  }
  unlink(cred: Cred, dirIno: number, name: string, isDir: boolean): Promise<void> {
    return this.namespaceLock.run(() => this.unlinkLocked(cred, dirIno, name, isDir));
  }
  rename(cred: Cred, oldDirIno: number, oldName: string, newDirIno: number, newName: string): Promise<void> {
    return this.namespaceLock.run(() => this.renameLocked(cred, oldDirIno, oldName, newDirIno, newName));
  }
  setattr(cred: Cred, ino: number, set: SetAttrs): Promise<void> {
    return this.namespaceLock.run(() => this.setattrLocked(cred, ino, set));
  }
  setxattr(cred: Cred, ino: number, name: string, value: Buffer, flags: number): Promise<void> {
    return this.namespaceLock.run(() => this.setxattrLocked(cred, ino, name, value, flags));
  }
  removexattr(cred: Cred, ino: number, name: string): Promise<void> {
    return this.namespaceLock.run(() => this.removexattrLocked(cred, ino, name));
  }

  /** The child inode named `name`, or undefined. */
  protected async childOf(dir: Inode, name: string): Promise<Inode | undefined> {
    if (!dir.dir) throw noDir();
    await this.loadDir(dir);
    const child = dir.dir.children.get(name);
    return child ? this.materialize(dir, name, child) : undefined;
  }

  /** Directory contents changed: new mtime, and a new encoding at the next save. */
  protected dirChanged(dir: Inode): void {
    dir.mtime = nowNs();
    dir.ctime = dir.mtime;
    dir.version++;
    this.dirtyDir(dir.ino);
  }

  /** Adds a name to a directory's map and listing, charging its estimated heap. */
  protected addChild(dir: Inode, name: string, child: Omit<Child, 'cookie'>): void {
    const d = dir.dir!;
    // One shape for every child (no spread): V8 keeps them small.
    d.children.set(name, { ino: child.ino, entry: child.entry, raw: child.raw, cookie: d.list.add(name) });
    this.budget.chargeMeta(childMetaBytes(name, child), !child.entry);
  }

  private detach(dir: Inode, name: string, node: Inode): void {
    const d = dir.dir!;
    const child = d.children.get(name);
    if (child) {
      d.children.delete(name);
      d.list.remove(child.cookie);
      this.budget.chargeMeta(-childMetaBytes(name, child), !child.entry);
    }
    const n = (node.parents.get(dir.ino) ?? 1) - 1;
    if (n > 0) node.parents.set(dir.ino, n);
    else node.parents.delete(dir.ino);
  }

  private async createLocked(cred: Cred, dirIno: number, name: string, kind: EntryKind, mode: number, gid: number, spec: NodeSpec = {}, open = false): Promise<number> {
    checkName(name);
    const dir = this.inode(dirIno);
    this.mayWriteDir(cred, dir, `create ${name}`);
    if (await this.childOf(dir, name)) throw exists(name);
    if (this.budget.metaFull) throw noRoom(name);
    if (kind === 'dir') this.checkDepth(this.depthOf(dir) + 1, name);
    if ((kind === 'char' || kind === 'block') && cred.uid !== 0) throw posixError('COLONY_PERMISSION', 'EPERM', 'only root may create device nodes');
    if (kind === 'symlink' && (!spec.target || spec.target.length === 0 || spec.target.length > 4095)) {
      throw posixError('COLONY_INVALID', spec.target?.length ? 'ENAMETOOLONG' : 'ENOENT', 'a symlink target is 1 to 4095 bytes');
    }
    let perm = mode & 0o7777;
    let group = gid;
    if (dir.mode & 0o2000) { group = dir.gid; if (kind === 'dir') perm |= 0o2000; }
    if (cred.uid !== 0 && kind !== 'dir' && perm & 0o2000 && !mayBeInGroup(cred, group)) perm &= ~0o2000;
    const now = nowNs();
    const entry: Entry = {
      ...blankEntry(kind, name), mode: kind === 'symlink' ? 0o777 : perm, uid: cred.uid, gid: group, mtime: now,
      target: kind === 'symlink' ? spec.target! : null, major: spec.major ?? 0, minor: spec.minor ?? 0,
    };
    const node = this.newInode(entry);
    node.grown = true;
    this.budget.grownBytes += INODE_META_BYTES; // newInode charged the total; this part is the environment's own
    if (open) node.opens++;
    if (node.dir) { node.dir.loaded = true; node.nlink = 2; dir.nlink++; }
    this.addChild(dir, name, { ino: node.ino, raw: Buffer.from(name) });
    this.addParent(node, dir.ino);
    this.touch(node);
    this.dirChanged(dir);
    return node.ino;
  }

  private async linkLocked(cred: Cred, dirIno: number, name: string, targetIno: number): Promise<void> {
    checkName(name);
    const dir = this.inode(dirIno);
    const target = this.inode(targetIno);
    if (target.dir) throw posixError('COLONY_PERMISSION', 'EPERM', 'directories cannot be hard-linked');
    this.mayWriteDir(cred, dir, `link ${name}`);
    if (await this.childOf(dir, name)) throw exists(name);
    if (this.budget.metaFull) throw noRoom(name);
    await this.attachAllLinks(target);
    this.addChild(dir, name, { ino: target.ino, raw: Buffer.from(name) });
    this.addParent(target, dir.ino);
    target.nlink++;
    // A file gaining its first extra name joins a new link group: every directory naming it changes.
    if (target.baseLink === 0) this.touch(target);
    else { target.ctime = nowNs(); target.version++; }
    this.dirChanged(dir);
  }

  private async unlinkLocked(cred: Cred, dirIno: number, name: string, isDir: boolean): Promise<void> {
    const dir = this.inode(dirIno);
    this.mayWriteDir(cred, dir, `remove ${name}`);
    const node = await this.childOf(dir, name);
    if (!node) throw notFound(name);
    if (isDir && !node.dir) throw noDir();
    if (!isDir && node.dir) throw posixError('COLONY_IS_DIRECTORY', 'EISDIR', `${name} is a directory`);
    if (node.dir) { await this.loadDir(node); if (node.dir.children.size) throw posixError('COLONY_NOT_EMPTY', 'ENOTEMPTY', `${name} is not empty`); }
    checkSticky(cred, dir, node, name);
    this.detach(dir, name, node);
    if (node.dir) { node.nlink = 0; dir.nlink--; } else node.nlink--;
    node.ctime = nowNs();
    node.version++;
    this.dirChanged(dir);
    this.reap(node);
  }

  private async renameLocked(cred: Cred, oldDirIno: number, oldName: string, newDirIno: number, newName: string): Promise<void> {
    checkName(newName);
    const from = this.inode(oldDirIno);
    const to = this.inode(newDirIno);
    this.mayWriteDir(cred, from, `rename ${oldName}`);
    this.mayWriteDir(cred, to, `rename to ${newName}`);
    const src = await this.childOf(from, oldName);
    if (!src) throw notFound(oldName);
    const dst = await this.childOf(to, newName);
    if (dst === src) return; // two names of one file: POSIX says do nothing
    // Linux checks ancestry before types: a target that is an ancestor of the source is ENOTEMPTY.
    if (dst?.dir && this.isAncestor(dst, from)) throw posixError('COLONY_NOT_EMPTY', 'ENOTEMPTY', `${newName} contains ${oldName}`);
    checkSticky(cred, from, src, oldName);
    if (src.dir) {
      if (from !== to) check(cred, src, W, `move directory ${oldName}`);
      if (this.isAncestor(src, to)) throw invalid(`cannot move ${oldName} into its own subtree`);
      if (from !== to) this.checkDepth(this.depthOf(to) + 1 + this.heightOf(src), newName);
    }
    if (dst) {
      if (src.dir && !dst.dir) throw noDir();
      if (!src.dir && dst.dir) throw posixError('COLONY_IS_DIRECTORY', 'EISDIR', `${newName} is a directory`);
      if (dst.dir) { await this.loadDir(dst); if (dst.dir.children.size) throw posixError('COLONY_NOT_EMPTY', 'ENOTEMPTY', `${newName} is not empty`); }
      checkSticky(cred, to, dst, newName);
      this.detach(to, newName, dst);
      if (dst.dir) { dst.nlink = 0; to.nlink--; } else dst.nlink--;
      // As unlink does: a file that keeps other names changed (its link count), so its ctime moves.
      dst.ctime = nowNs();
      dst.version++;
      this.reap(dst);
    }
    // A base name keeps its snapshot entry (unused once looked up), so a rename moves its
    // charge rather than counting it as metadata the environment grew.
    const entry = from.dir!.children.get(oldName)?.entry;
    this.detach(from, oldName, src);
    this.addChild(to, newName, { ino: src.ino, raw: Buffer.from(newName), entry });
    this.addParent(src, to.ino);
    if (src.dir && from !== to) { from.nlink--; to.nlink++; }
    src.ctime = nowNs();
    src.version++;
    this.dirChanged(from);
    if (to !== from) this.dirChanged(to);
  }

  /** Levels below the root: 0 for the root. */
  protected depthOf(dir: Inode): number {
    let depth = 0;
    for (let d: Inode | undefined = dir; d && depth <= this.inodes.size; depth++) {
      const up = d.parents.keys().next().value as number | undefined;
      if (up === undefined || up === d.ino) return depth;
      d = this.inode(up);
    }
    return depth;
  }

  /**
   * Levels of directories below `dir` that are in memory (explicit stack: trees may be deep).
   * A base subtree never loaded is not counted; snapshot import bounds its depth.
   */
  private heightOf(dir: Inode): number {
    let height = 0;
    const stack: Array<[Inode, number]> = [[dir, 0]];
    for (let steps = 0; stack.length && steps <= this.inodes.size; steps++) {
      const [d, h] = stack.pop()!;
      height = Math.max(height, h);
      for (const c of d.dir!.children.values()) {
        const n = c.ino === undefined ? undefined : this.inode(c.ino);
        if (n?.dir) stack.push([n, h + 1]);
      }
    }
    return height;
  }

  private checkDepth(depth: number, name: string): void {
    if (depth > this.maxDepth) throw posixError('COLONY_INVALID', 'ENAMETOOLONG', `${name} would be ${depth} directories deep; the limit is ${this.maxDepth}`);
  }

  /** Whether directory `a` is `b` or one of b's ancestors. */
  protected isAncestor(a: Inode, b: Inode): boolean {
    // Bounded by the table: a chain longer than it would be a cycle.
    for (let d: Inode | undefined = b, hops = 0; d && hops <= this.inodes.size; hops++) {
      if (d.ino === a.ino) return true;
      const up = d.parents.keys().next().value as number | undefined;
      d = up === undefined || up === d.ino ? undefined : this.inode(up);
    }
    return false;
  }

  private async setattrLocked(cred: Cred, ino: number, set: SetAttrs): Promise<void> {
    const n = this.inode(ino);
    const owner = isOwner(cred, n);
    if (set.mode !== undefined && !owner) throw posixError('COLONY_PERMISSION', 'EPERM', 'only the owner may change the mode');
    if (set.uid !== undefined && set.uid !== n.uid && cred.uid !== 0) throw posixError('COLONY_PERMISSION', 'EPERM', 'only root may change the owner');
    if (set.gid !== undefined && set.gid !== n.gid && cred.uid !== 0 && !(owner && mayBeInGroup(cred, set.gid))) {
      throw posixError('COLONY_PERMISSION', 'EPERM', 'only root, or the owner to its own group, may change the group');
    }
    for (const t of [set.atime, set.mtime]) {
      if (t === undefined) continue;
      if (t === 'now') { if (!owner) check(cred, n, W, 'set times'); } else if (!owner) throw posixError('COLONY_PERMISSION', 'EPERM', 'only the owner may set explicit times');
    }
    if (set.size !== undefined) {
      if (n.dir) throw posixError('COLONY_IS_DIRECTORY', 'EISDIR', 'cannot truncate a directory');
      if (!n.file) throw invalid('only regular files have a size to set');
      if (!set.openForWrite) check(cred, n, W, 'truncate');
    }
    const entryChange = set.mode !== undefined || set.uid !== undefined || set.gid !== undefined || set.mtime !== undefined;
    if (entryChange) await this.attachAllLinks(n);
    if (set.size !== undefined) await this.truncate(n, set.size);
    if (set.mode !== undefined) {
      const mode = modeForChmod(cred, set.mode & 0o7777, set.gid ?? n.gid);
      n.mode = n.kind === 'symlink' ? n.mode : mode;
    }
    // chown drops setuid and setgid as Linux does, even when the ids stay the same; truncate as a write does.
    if (set.uid !== undefined || set.gid !== undefined) n.mode = modeAfterChown(cred, n);
    if (set.size !== undefined) n.mode = modeAfterWrite(cred, n);
    if (set.uid !== undefined) n.uid = set.uid;
    if (set.gid !== undefined) n.gid = set.gid;
    if (set.atime !== undefined) n.atime = set.atime === 'now' ? nowNs() : set.atime;
    if (set.mtime !== undefined) n.mtime = set.mtime === 'now' ? nowNs() : set.mtime;
    if (entryChange) this.touch(n);
    else { n.ctime = nowNs(); n.version++; }
  }

  // ---- xattrs ----

  private xattrAccess(cred: Cred, n: Inode, name: string, write: boolean): void {
    if (name.startsWith('user.')) {
      if (write && !n.file && !n.dir) throw posixError('COLONY_PERMISSION', 'EPERM', 'user xattrs live on files and directories only');
      if (write && !isOwner(cred, n)) check(cred, n, W, `set xattr ${name}`);
      if (!write) check(cred, n, R, `read xattr ${name}`);
    } else if (name.startsWith('trusted.') || name.startsWith('security.')) {
      if (cred.uid !== 0) throw posixError('COLONY_PERMISSION', 'EPERM', `${name.split('.')[0]} xattrs are for root`);
    } else if (name.startsWith('system.')) {
      throw posixError('COLONY_UNSUPPORTED', 'EOPNOTSUPP', `${name} is not supported`);
    } else {
      throw posixError('COLONY_UNSUPPORTED', 'EOPNOTSUPP', `xattr namespace of ${name} is not supported`);
    }
  }

  async getxattr(cred: Cred, ino: number, name: string): Promise<Buffer> {
    const n = this.inode(ino);
    this.xattrAccess(cred, n, name, false);
    const v = n.xattrs.get(name);
    if (!v) throw posixError('COLONY_NOT_FOUND', 'ENODATA', `no xattr ${name}`);
    return v;
  }

  async listxattr(cred: Cred, ino: number): Promise<string[]> {
    const n = this.inode(ino);
    return [...n.xattrs.keys()].filter((k) => cred.uid === 0 || k.startsWith('user.')).sort();
  }

  private async setxattrLocked(cred: Cred, ino: number, name: string, value: Buffer, flags: number): Promise<void> {
    const n = this.inode(ino);
    if (Buffer.byteLength(name) > 255 || name.length === 0) throw posixError('COLONY_INVALID', 'ERANGE', 'an xattr name is 1 to 255 bytes');
    if (value.length > 65536) throw posixError('COLONY_TOO_LARGE', 'E2BIG', 'an xattr value is at most 64 KiB');
    this.xattrAccess(cred, n, name, true);
    const has = n.xattrs.has(name);
    if (flags & XATTR_CREATE && has) throw exists(`xattr ${name}`);
    if (flags & XATTR_REPLACE && !has) throw posixError('COLONY_NOT_FOUND', 'ENODATA', `no xattr ${name}`);
    await this.attachAllLinks(n);
    n.xattrs.set(name, Buffer.from(value));
    this.touch(n);
  }

  private async removexattrLocked(cred: Cred, ino: number, name: string): Promise<void> {
    const n = this.inode(ino);
    this.xattrAccess(cred, n, name, true);
    if (!n.xattrs.has(name)) throw posixError('COLONY_NOT_FOUND', 'ENODATA', `no xattr ${name}`);
    await this.attachAllLinks(n);
    n.xattrs.delete(name);
    this.touch(n);
  }
}

