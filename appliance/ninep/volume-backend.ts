// Serves a Volume over 9P: the Backend interface translated onto the volume's inode API.
// The volume enforces POSIX rules and permissions; this file only converts shapes.
import { invalid } from '../errors.js';
import { dtypeOf, kindOfMode, ROOT_INO, type Accounts, type Cred, type Volume, type VolumeAttr } from '../volume/index.js';
import type { Attr, Backend, Caller, DirEntry, Handle, Node, SetAttr, StatFs, Time } from './backend.js';
import { AT_REMOVEDIR, L_O_ACCMODE, L_O_APPEND, L_O_TRUNC, QTDIR, QTFILE, QTSYMLINK } from './constants.js';
import type { Qid } from './messages.js';
import { pageEntries } from './dir-page.js';

interface VolNode extends Node { ino: number }
interface VolHandle extends Handle { ino: number; append: boolean; writable: boolean; released: boolean }

const qtypeOf = (kind: VolumeAttr['kind']) => (kind === 'dir' ? QTDIR : kind === 'symlink' ? QTSYMLINK : QTFILE);
const toTime = (ns: bigint): Time => ({ sec: Number(ns / 1_000_000_000n), nsec: Number(ns % 1_000_000_000n) });
const fromTime = (t: Time | 'now' | undefined): bigint | 'now' | undefined => (t === undefined || t === 'now' ? t : BigInt(t.sec) * 1_000_000_000n + BigInt(t.nsec));
/** The handle of an open by `flags`, counted already by the volume. */
function handleFor(ino: number, flags: number): VolHandle {
  const acc = flags & L_O_ACCMODE;
  return { ino, append: (flags & L_O_APPEND) !== 0, writable: acc === 1 || acc === 2, released: false };
}
/** Linux's dev_t encoding (new_encode_dev). */
const makedev = (major: number, minor: number) => (minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xff) << 12);

export interface VolumeBackendOptions {
  /** Called after an fsync: a disk environment checkpoints its overlay here. */
  onFsync?: () => Promise<void>;
  /** What statfs reports; defaults to a large free space. */
  statfs?: () => Promise<StatFs>;
  /** The environment's accounts, for callers' groups (see appliance/volume/accounts.ts). */
  accounts?: Accounts;
}

export class VolumeBackend implements Backend {
  constructor(readonly volume: Volume, private readonly opts: VolumeBackendOptions = {}) {}

  /** The node an attach starts from. */
  root(): Promise<VolNode> { return this.node(ROOT_INO); }

  private async node(ino: number): Promise<VolNode> {
    const a = await this.volume.getattr(ino);
    return { ino, qid: this.qid(a) };
  }

  private qid(a: VolumeAttr): Qid { return { type: qtypeOf(a.kind), version: a.version, path: a.ino }; }
  /**
   * Who the caller is in the volume: with `accounts`, its primary and supplementary groups
   * from the environment's /etc/passwd and /etc/group as they are now; without, the
   * attach's uid and gid alone.
   */
  private async cred(c: Caller): Promise<Cred> {
    return this.opts.accounts ? this.opts.accounts.cred(c.uid) : { uid: c.uid, gid: c.gid };
  }
  private ino(n: Node): number { return (n as VolNode).ino; }

  async walk(c: Caller, dir: Node, name: string): Promise<Node> {
    return this.node(await this.volume.lookup(await this.cred(c), this.ino(dir), name));
  }

  async getattr(_c: Caller, node: Node): Promise<Attr> {
    const a = await this.volume.getattr(this.ino(node));
    return {
      mode: a.mode, uid: a.uid, gid: a.gid, nlink: a.nlink, rdev: makedev(a.major, a.minor), size: a.size, blksize: a.blksize,
      blocks: a.blocks, atime: toTime(a.atime), mtime: toTime(a.mtime), ctime: toTime(a.ctime), gen: 0, dataVersion: a.version,
    };
  }

  async open(c: Caller, node: Node, flags: number): Promise<Handle> {
    const ino = this.ino(node);
    await this.volume.open(await this.cred(c), ino, flags & (L_O_ACCMODE | L_O_TRUNC));
    return handleFor(ino, flags);
  }

  async read(_c: Caller, h: Handle, offset: number, count: number): Promise<Buffer | Buffer[]> {
    // The leaves as they are, not joined: a read across two leaves is sent without a copy.
    const pieces = await this.volume.readv((h as VolHandle).ino, offset, count);
    return pieces.length === 1 ? pieces[0]! : pieces;
  }

  async write(c: Caller, h: Handle, offset: number, data: Buffer): Promise<number> {
    const vh = h as VolHandle;
    if (!vh.writable) throw invalid('the file is not open for writing');
    // O_APPEND: the server decides where the end is, not a client's cached size.
    const at = vh.append ? (await this.volume.getattr(vh.ino)).size : offset;
    return this.volume.write(await this.cred(c), vh.ino, at, data);
  }

  async readdir(_c: Caller, h: Handle, cookie: number, count: number): Promise<DirEntry[]> {
    // Only this page is read and given inode numbers (see Volume.readdir): O(page), not O(directory).
    const entries = await this.volume.readdir((h as VolHandle).ino, cookie, Number.MAX_SAFE_INTEGER, count);
    return pageEntries(entries.map((e) => ({ name: e.name, qid: { type: qtypeOf(e.kind), version: 0, path: e.ino }, type: dtypeOf(e.kind), cookie: e.cookie })), cookie, count);
  }

  async release(h: Handle): Promise<void> {
    const vh = h as VolHandle;
    if (vh.released) return;
    vh.released = true;
    this.volume.release(vh.ino);
  }

  async setattr(c: Caller, node: Node, set: SetAttr): Promise<void> {
    const atime = fromTime(set.atime);
    const mtime = fromTime(set.mtime);
    await this.volume.setattr(await this.cred(c), this.ino(node), {
      ...(set.mode !== undefined ? { mode: set.mode } : {}), ...(set.uid !== undefined ? { uid: set.uid } : {}),
      ...(set.gid !== undefined ? { gid: set.gid } : {}), ...(set.size !== undefined ? { size: set.size } : {}),
      ...(atime !== undefined ? { atime } : {}), ...(mtime !== undefined ? { mtime } : {}),
      ...(set.openForWrite ? { openForWrite: true } : {}),
    });
  }

  async create(c: Caller, dir: Node, name: string, flags: number, mode: number, gid: number): Promise<{ node: Node; handle: Handle }> {
    // One step, as open(O_CREAT): the file is made and its handle counted under the namespace
    // lock, so an unlink or rename arriving next cannot free or swap the inode we return.
    const ino = await this.volume.createOpen(await this.cred(c), this.ino(dir), name, mode, gid);
    const handle = handleFor(ino, flags);
    try {
      return { node: await this.node(ino), handle };
    } catch (err) {
      await this.release(handle); // the session never saw the handle: give the open back
      throw err;
    }
  }

  async mkdir(c: Caller, dir: Node, name: string, mode: number, gid: number): Promise<Node> {
    return this.node(await this.volume.create(await this.cred(c), this.ino(dir), name, 'dir', mode, gid));
  }

  async symlink(c: Caller, dir: Node, name: string, target: string, gid: number): Promise<Node> {
    return this.node(await this.volume.create(await this.cred(c), this.ino(dir), name, 'symlink', 0o777, gid, { target: Buffer.from(target) }));
  }

  async mknod(c: Caller, dir: Node, name: string, mode: number, rdev: { major: number; minor: number }, gid: number): Promise<Node> {
    const kind = kindOfMode(mode);
    if (!kind || kind === 'dir' || kind === 'symlink') throw invalid(`mknod of mode ${mode.toString(8)}`);
    const ino = await this.volume.create(await this.cred(c), this.ino(dir), name, kind, mode, gid, { major: rdev.major, minor: rdev.minor });
    return this.node(ino);
  }

  async readlink(_c: Caller, node: Node): Promise<string> {
    return (await this.volume.readlink(this.ino(node))).toString();
  }

  async link(c: Caller, dir: Node, name: string, target: Node): Promise<void> {
    await this.volume.link(await this.cred(c), this.ino(dir), name, this.ino(target));
  }

  async rename(c: Caller, oldDir: Node, oldName: string, newDir: Node, newName: string): Promise<void> {
    await this.volume.rename(await this.cred(c), this.ino(oldDir), oldName, this.ino(newDir), newName);
  }

  async unlink(c: Caller, dir: Node, name: string, flags: number): Promise<void> {
    await this.volume.unlink(await this.cred(c), this.ino(dir), name, (flags & AT_REMOVEDIR) !== 0);
  }

  async statfs(): Promise<StatFs> {
    if (this.opts.statfs) return this.opts.statfs();
    const bsize = this.volume.blockSize;
    return { bsize, blocks: 2 ** 32, bfree: 2 ** 31, bavail: 2 ** 31, files: 2 ** 32, ffree: 2 ** 31, fsid: 0x636f6c6f, namelen: 255 };
  }

  async getxattr(c: Caller, node: Node, name: string): Promise<Buffer> { return this.volume.getxattr(await this.cred(c), this.ino(node), name); }
  async listxattr(c: Caller, node: Node): Promise<string[]> { return this.volume.listxattr(await this.cred(c), this.ino(node)); }
  async setxattr(c: Caller, node: Node, name: string, value: Buffer, flags: number): Promise<void> { return this.volume.setxattr(await this.cred(c), this.ino(node), name, value, flags); }
  async removexattr(c: Caller, node: Node, name: string): Promise<void> { return this.volume.removexattr(await this.cred(c), this.ino(node), name); }

  async fsync(): Promise<void> {
    await this.opts.onFsync?.();
  }
}
