// A writable filesystem in memory: directories, sparse files, symlinks, hard links, device
// nodes, rename and xattrs, with POSIX answers to the usual mistakes. It lets the server
// and real clients be exercised end to end before volumes exist, and it is the model
// the volume backend's conformance tests can be compared against. No permission checks.
import { ColonyError, exists, notFound, permission } from '../errors.js';
import type { Attr, Backend, Caller, DirEntry, Handle, Node, SetAttr, StatFs, Time } from './backend.js';
import {
  AT_REMOVEDIR, DT_BLK, DT_CHR, DT_DIR, DT_FIFO, DT_LNK, DT_REG, DT_SOCK, L_O_ACCMODE, L_O_APPEND, L_O_CREAT, L_O_EXCL,
  L_O_TRUNC, QTDIR, QTFILE, QTSYMLINK, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK, XATTR_CREATE, XATTR_REPLACE,
} from './constants.js';
import { withErrno } from './errno.js';
import type { Qid } from './messages.js';
import { pageEntries } from './dir-page.js';

const CHUNK = 64 * 1024;
const now = (): Time => { const ms = Date.now(); return { sec: Math.floor(ms / 1000), nsec: (ms % 1000) * 1e6 }; };
const isDirErr = (what: string) => new ColonyError('COLONY_IS_DIRECTORY', `${what} is a directory`);
const notDirErr = (what: string) => new ColonyError('COLONY_NOT_DIRECTORY', `${what} is not a directory`);
const noData = (name: string) => withErrno(notFound(`xattr ${name}`), 'ENODATA');

export class MemInode implements Node {
  mode: number;
  uid: number;
  gid: number;
  nlink = 1;
  rdev = 0;
  size = 0;
  version = 0;
  atime = now();
  mtime = this.atime;
  ctime = this.atime;
  btime = this.atime;
  readonly xattrs = new Map<string, Buffer>();
  /** Sparse contents: chunk index → CHUNK bytes. Missing chunks read as zeros. */
  chunks = new Map<number, Buffer>();
  target = '';
  /** Directory entries in insertion order; the number is the entry's readdir cookie. */
  entries = new Map<string, { inode: MemInode; cookie: number }>();
  parent: MemInode;

  constructor(readonly ino: number, mode: number, uid: number, gid: number, parent?: MemInode) {
    this.mode = mode; this.uid = uid; this.gid = gid; this.parent = parent ?? this;
  }

  get isDir(): boolean { return (this.mode & S_IFMT) === S_IFDIR; }
  get qid(): Qid {
    const t = this.mode & S_IFMT;
    return { type: t === S_IFDIR ? QTDIR : t === S_IFLNK ? QTSYMLINK : QTFILE, version: this.version >>> 0, path: this.ino };
  }
  touch(): void { this.version++; this.mtime = this.ctime = now(); }
}

class MemHandle implements Handle {
  readonly iounit = 0;
  constructor(readonly inode: MemInode, readonly flags: number) {}
}

const dtype = (mode: number): number => {
  switch (mode & S_IFMT) {
    case S_IFDIR: return DT_DIR; case S_IFLNK: return DT_LNK; case S_IFCHR: return DT_CHR; case S_IFBLK: return DT_BLK;
    case S_IFIFO: return DT_FIFO; case S_IFSOCK: return DT_SOCK; default: return DT_REG;
  }
};

export interface MemFsOptions {
  /** Bytes of file data the whole tree may hold (default 256 MiB); beyond it ENOSPC. */
  maxBytes?: number;
  /** Owner of the root directory. */
  uid?: number;
  gid?: number;
}

export class MemFs implements Backend {
  readonly root: MemInode;
  /** Handles opened and not yet released: the fid-leak tests count these. */
  openHandles = 0;
  bytesUsed = 0;
  private nextIno = 2;
  private nextCookie = 3; // 1 and 2 are '.' and '..'
  private readonly maxBytes: number;

  constructor(opts: MemFsOptions = {}) {
    this.maxBytes = opts.maxBytes ?? 256 * 1024 * 1024;
    this.root = new MemInode(1, S_IFDIR | 0o755, opts.uid ?? 0, opts.gid ?? 0);
    this.root.nlink = 2;
  }

  private dir(node: Node): MemInode {
    const d = node as MemInode;
    if (!d.isDir) throw notDirErr('parent');
    return d;
  }

  private lookup(dir: MemInode, name: string): MemInode | undefined { return dir.entries.get(name)?.inode; }

  private add(dir: MemInode, name: string, child: MemInode): void {
    if (dir.entries.has(name)) throw exists(name);
    dir.entries.set(name, { inode: child, cookie: this.nextCookie++ });
    if (child.isDir) { child.parent = dir; dir.nlink++; }
    dir.touch();
  }

  private make(c: Caller, dir: Node, name: string, mode: number, gid: number): MemInode {
    const d = this.dir(dir);
    if (d.entries.has(name)) throw exists(name);
    const n = new MemInode(this.nextIno++, mode, c.uid, gid === 0xffffffff ? c.gid : gid, d);
    if (n.isDir) n.nlink = 2;
    this.add(d, name, n);
    return n;
  }

  /** Convenience for tests and fixtures: makes parents as needed and writes a file. */
  writeFile(path: string, data: string | Buffer, mode = 0o644): MemInode {
    const names = path.split('/').filter(Boolean);
    let d = this.root;
    const sys = { uid: 0, gid: 0, uname: 'root', signal: new AbortController().signal };
    for (const name of names.slice(0, -1)) d = this.lookup(d, name) ?? this.make(sys, d, name, S_IFDIR | 0o755, 0);
    const last = names[names.length - 1]!;
    const f = this.lookup(d, last) ?? this.make(sys, d, last, S_IFREG | mode, 0);
    this.truncate(f, 0);
    this.put(f, 0, Buffer.from(data));
    return f;
  }

  async walk(_c: Caller, dir: Node, name: string): Promise<Node> {
    const d = this.dir(dir);
    if (name === '..') return d.parent;
    const n = this.lookup(d, name);
    if (!n) throw notFound(name);
    return n;
  }

  async getattr(_c: Caller, node: Node): Promise<Attr> {
    const n = node as MemInode;
    return {
      mode: n.mode, uid: n.uid, gid: n.gid, nlink: n.nlink, rdev: n.rdev, size: n.isDir ? 4096 : n.size, blksize: 4096,
      blocks: n.chunks.size * (CHUNK / 512), atime: n.atime, mtime: n.mtime, ctime: n.ctime, btime: n.btime, gen: 0, dataVersion: n.version,
    };
  }

  async setattr(_c: Caller, node: Node, set: SetAttr): Promise<void> {
    const n = node as MemInode;
    if (set.size !== undefined) {
      if (n.isDir) throw isDirErr('target');
      this.truncate(n, set.size);
      n.touch();
    }
    if (set.mode !== undefined) n.mode = (n.mode & S_IFMT) | (set.mode & 0o7777);
    if (set.uid !== undefined) n.uid = set.uid;
    if (set.gid !== undefined) n.gid = set.gid;
    if (set.atime !== undefined) n.atime = set.atime === 'now' ? now() : set.atime;
    if (set.mtime !== undefined) n.mtime = set.mtime === 'now' ? now() : set.mtime;
    n.ctime = now();
  }

  async open(_c: Caller, node: Node, flags: number): Promise<Handle> {
    const n = node as MemInode;
    if (n.isDir && (flags & L_O_ACCMODE) !== 0) throw isDirErr('target');
    if ((n.mode & S_IFMT) === S_IFLNK) throw withErrno(new ColonyError('COLONY_INVALID', 'cannot open a symlink'), 'ELOOP');
    if ((n.mode & S_IFMT) === S_IFSOCK) throw withErrno(new ColonyError('COLONY_INVALID', 'a socket cannot be opened'), 'ENXIO');
    if (flags & L_O_TRUNC && !n.isDir && (flags & L_O_ACCMODE) !== 0) { this.truncate(n, 0); n.touch(); }
    this.openHandles++;
    return new MemHandle(n, flags);
  }

  async release(_h: Handle): Promise<void> { this.openHandles--; }

  async read(_c: Caller, h: Handle, offset: number, count: number): Promise<Buffer> {
    const n = (h as MemHandle).inode;
    if (n.isDir) throw isDirErr('target');
    const end = Math.min(n.size, offset + count);
    if (offset >= end) return Buffer.alloc(0);
    const out = Buffer.alloc(end - offset);
    for (let pos = offset; pos < end;) {
      const idx = Math.floor(pos / CHUNK), within = pos % CHUNK;
      const take = Math.min(CHUNK - within, end - pos);
      n.chunks.get(idx)?.copy(out, pos - offset, within, within + take);
      pos += take;
    }
    n.atime = now();
    return out;
  }

  async write(_c: Caller, h: Handle, offset: number, data: Buffer): Promise<number> {
    const mh = h as MemHandle;
    const n = mh.inode;
    if (n.isDir) throw isDirErr('target');
    const at = mh.flags & L_O_APPEND ? n.size : offset;
    this.put(n, at, data);
    n.touch();
    return data.length;
  }

  private put(n: MemInode, offset: number, data: Buffer): void {
    for (let pos = 0; pos < data.length;) {
      const abs = offset + pos, idx = Math.floor(abs / CHUNK), within = abs % CHUNK;
      const take = Math.min(CHUNK - within, data.length - pos);
      let chunk = n.chunks.get(idx);
      if (!chunk) {
        if (this.bytesUsed + CHUNK > this.maxBytes) throw new ColonyError('COLONY_NO_SPACE', 'the in-memory filesystem is full');
        chunk = Buffer.alloc(CHUNK); n.chunks.set(idx, chunk); this.bytesUsed += CHUNK;
      }
      data.copy(chunk, within, pos, pos + take);
      pos += take;
    }
    n.size = Math.max(n.size, offset + data.length);
  }

  private truncate(n: MemInode, size: number): void {
    for (const [idx, chunk] of n.chunks) {
      if (idx * CHUNK >= size) { n.chunks.delete(idx); this.bytesUsed -= CHUNK; } else if ((idx + 1) * CHUNK > size) chunk.fill(0, size - idx * CHUNK);
    }
    n.size = size;
  }

  async readdir(_c: Caller, h: Handle, cookie: number, count: number): Promise<DirEntry[]> {
    const d = (h as MemHandle).inode;
    if (!d.isDir) throw notDirErr('target');
    const all: DirEntry[] = [
      { name: '.', qid: d.qid, type: DT_DIR, cookie: 1 },
      { name: '..', qid: d.parent.qid, type: DT_DIR, cookie: 2 },
    ];
    for (const [name, e] of d.entries) all.push({ name, qid: e.inode.qid, type: dtype(e.inode.mode), cookie: e.cookie });
    return pageEntries(all, cookie, count);
  }

  async create(c: Caller, dir: Node, name: string, flags: number, mode: number, gid: number): Promise<{ node: Node; handle: Handle }> {
    const d = this.dir(dir);
    const existing = this.lookup(d, name);
    if (existing) {
      if (flags & L_O_EXCL || !(flags & L_O_CREAT)) throw exists(name);
      return { node: existing, handle: await this.open(c, existing, flags) };
    }
    const n = this.make(c, d, name, S_IFREG | (mode & 0o7777), gid);
    // open runs synchronously up to counting the handle: nothing interleaves between the two.
    return { node: n, handle: await this.open(c, n, flags & ~L_O_TRUNC) };
  }

  async mkdir(c: Caller, dir: Node, name: string, mode: number, gid: number): Promise<Node> {
    return this.make(c, dir, name, S_IFDIR | (mode & 0o7777), gid);
  }

  async symlink(c: Caller, dir: Node, name: string, target: string, gid: number): Promise<Node> {
    const n = this.make(c, dir, name, S_IFLNK | 0o777, gid);
    n.target = target;
    n.size = Buffer.byteLength(target);
    return n;
  }

  async mknod(c: Caller, dir: Node, name: string, mode: number, rdev: { major: number; minor: number }, gid: number): Promise<Node> {
    const n = this.make(c, dir, name, (mode & S_IFMT ? mode : S_IFREG | mode) & 0o177777, gid);
    n.rdev = rdev.major * 256 + rdev.minor;
    return n;
  }

  async readlink(_c: Caller, node: Node): Promise<string> {
    const n = node as MemInode;
    if ((n.mode & S_IFMT) !== S_IFLNK) throw withErrno(new ColonyError('COLONY_INVALID', 'not a symlink'), 'EINVAL');
    return n.target;
  }

  async link(_c: Caller, dir: Node, name: string, target: Node): Promise<void> {
    const t = target as MemInode;
    if (t.isDir) throw withErrno(permission('hard links to directories are not allowed'), 'EPERM');
    this.add(this.dir(dir), name, t);
    t.nlink++;
    t.ctime = now();
  }

  async rename(_c: Caller, oldDir: Node, oldName: string, newDir: Node, newName: string): Promise<void> {
    const od = this.dir(oldDir), nd = this.dir(newDir);
    const src = this.lookup(od, oldName);
    if (!src) throw notFound(oldName);
    const dst = this.lookup(nd, newName);
    if (dst === src) return;
    if (src.isDir) {
      // A directory cannot move below itself.
      for (let p: MemInode = nd; ; p = p.parent) {
        if (p === src) throw withErrno(new ColonyError('COLONY_INVALID', 'cannot move a directory into itself'), 'EINVAL');
        if (p.parent === p) break;
      }
    }
    if (dst) {
      if (dst.isDir && !src.isDir) throw isDirErr(newName);
      if (!dst.isDir && src.isDir) throw notDirErr(newName);
      if (dst.isDir && dst.entries.size) throw new ColonyError('COLONY_NOT_EMPTY', `${newName} is not empty`);
      this.detach(nd, newName);
    }
    od.entries.delete(oldName);
    if (src.isDir) od.nlink--;
    od.touch();
    this.add(nd, newName, src);
    src.ctime = now();
  }

  private detach(d: MemInode, name: string): void {
    const n = this.lookup(d, name)!;
    d.entries.delete(name);
    if (n.isDir) { d.nlink--; n.nlink = 0; } else n.nlink--;
    n.ctime = now(); // its link count changed, whether by unlink or by a rename onto it
    if (n.nlink === 0 && !n.isDir) { this.bytesUsed -= n.chunks.size * CHUNK; } // open handles still read their copy
    d.touch();
  }

  async unlink(_c: Caller, dir: Node, name: string, flags: number): Promise<void> {
    const d = this.dir(dir);
    const n = this.lookup(d, name);
    if (!n) throw notFound(name);
    if (flags & AT_REMOVEDIR) {
      if (!n.isDir) throw notDirErr(name);
      if (n.entries.size) throw new ColonyError('COLONY_NOT_EMPTY', `${name} is not empty`);
    } else if (n.isDir) throw isDirErr(name);
    this.detach(d, name);
  }

  async statfs(): Promise<StatFs> {
    const blocks = Math.floor(this.maxBytes / 4096), used = Math.ceil(this.bytesUsed / 4096);
    return { bsize: 4096, blocks, bfree: blocks - used, bavail: blocks - used, files: 1 << 20, ffree: (1 << 20) - this.nextIno, fsid: 0, namelen: 255 };
  }

  async getxattr(_c: Caller, node: Node, name: string): Promise<Buffer> {
    const v = (node as MemInode).xattrs.get(name);
    if (!v) throw noData(name);
    return v;
  }

  async listxattr(_c: Caller, node: Node): Promise<string[]> { return [...(node as MemInode).xattrs.keys()]; }

  async setxattr(_c: Caller, node: Node, name: string, value: Buffer, flags: number): Promise<void> {
    const n = node as MemInode;
    if (flags & XATTR_CREATE && n.xattrs.has(name)) throw exists(`xattr ${name}`);
    if (flags & XATTR_REPLACE && !n.xattrs.has(name)) throw noData(name);
    n.xattrs.set(name, Buffer.from(value));
    n.ctime = now();
  }

  async removexattr(_c: Caller, node: Node, name: string): Promise<void> {
    if (!(node as MemInode).xattrs.delete(name)) throw noData(name);
  }

  async fsync(): Promise<void> {}
}
