// What a filesystem must provide to be served over 9P. The interface is shaped like
// 9P2000.L (which is shaped like POSIX), and the session translates 9P2000 onto it, so a
// backend never knows which dialect the client speaks. Volumes, MemFs and synthetic trees
// (ctl, proc, cpu) all implement it; none is a special case in the session.
import type { Qid } from './messages.js';

/** Who is asking, and a signal that fires when the request is flushed or the client goes. */
export interface Caller {
  uid: number;
  gid: number;
  uname: string;
  signal: AbortSignal;
}

/** A file as the backend knows it. The session keeps nodes in fids and never looks inside. */
export interface Node {
  /** Stable identity: qid.path must not be reused for another file while this one exists. */
  readonly qid: Qid;
}

/** An open file (the result of open or create), released exactly once. */
export interface Handle {
  /** Largest useful read/write; 0 means "up to msize". */
  readonly iounit?: number;
}

export interface Time { sec: number; nsec: number }

export interface Attr {
  /** POSIX mode including the S_IFMT type bits. */
  mode: number;
  uid: number;
  gid: number;
  nlink: number;
  rdev: number;
  size: number;
  blksize: number;
  blocks: number;
  atime: Time;
  mtime: Time;
  ctime: Time;
  btime?: Time;
  gen?: number;
  dataVersion?: number;
  /** Names for 9P2000 stat; default to the numbers as text. */
  uname?: string;
  gname?: string;
  muname?: string;
}

/** Tsetattr: only the present fields change. 'now' is the server's clock. */
export interface SetAttr {
  mode?: number;
  uid?: number;
  gid?: number;
  size?: number;
  atime?: Time | 'now';
  mtime?: Time | 'now';
  /** Update ctime to now (Linux sends it alongside other changes). */
  ctime?: boolean;
  /**
   * The Tsetattr came on a fid open for writing (Linux's ftruncate sends the open fid): a
   * size change then needs no write permission on the file's mode, as ftruncate(2).
   */
  openForWrite?: boolean;
}

export interface DirEntry {
  name: string;
  qid: Qid;
  /** A DT_* value. */
  type: number;
  /** Passing this cookie to readdir resumes after this entry. Must stay valid across changes. */
  cookie: number;
}

export interface StatFs {
  bsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
  fsid: number;
  namelen: number;
}

/**
 * A served filesystem. Throw ColonyError (errno.ts maps codes; withErrno refines them).
 * Names given to the backend are never '', '.', or contain '/' or NUL; walk may get '..'
 * but never at the attach root, which the session pins. Optional methods that are absent
 * answer EROFS (changes) or EOPNOTSUPP (the rest).
 *
 * CONCURRENCY CONTRACT. The session runs requests concurrently (up to 64 per connection,
 * from any number of connections and attaches to the same backend) and does not order
 * them. So any method may be called while any other is in flight, on the same or other
 * nodes, and the backend enforces what follows (as gVisor's p9 file.go states for its
 * File). "Namespace changes" are create, mkdir, symlink, mknod, link, rename, unlink,
 * setattr, setxattr and removexattr.
 * - Namespace changes are mutually exclusive within one backend (a volume: its namespace
 *   lock, appliance/volume/mutex.ts): each one's checks (name free, directory empty,
 *   permission, sticky bit) and its acts happen with no other change between them, even
 *   across awaits. Two changes on unrelated directories are serialised too: rename spans
 *   two directories, and one lock cannot deadlock.
 * - walk, getattr, readlink, readdir, getxattr, listxattr and statfs run alongside
 *   anything. They see each namespace change wholly or not at all (a change commits its
 *   effects with no await between them), never half of one.
 * - read and write run alongside each other and alongside namespace changes, including the
 *   unlink or rename of their file (an open handle outlives its names). Writes to one
 *   file are not ordered by the backend: overlapping concurrent writes land in some order.
 * - open counts a handle synchronously once its checks pass; release runs exactly once per
 *   handle, possibly while other requests on the same node are in flight.
 * - create is open(O_CREAT), one step: the file it makes and the handle it returns are
 *   committed together (the handle is counted inside the change), so an unlink or rename
 *   over the name that runs next takes the name away, never the inode: the handle (and the
 *   node returned) are the file create made, with nlink 0 until released. The session
 *   never opens a created file by a second call. (A 9P2000 Tcreate of a directory is mkdir
 *   then open, two calls, as mkdir+open are in POSIX: an rmdir between them can fail it.)
 * - fsync runs alongside anything; it returns once what was written before it is stable.
 * - Every call must respect its Caller's signal where it may wait long.
 * MemFs meets this by never awaiting inside a change (its create makes the inode and
 * counts the handle in one synchronous run); a volume by its namespace lock (its create is
 * Volume.createOpen, which counts the handle in the same commit). A synthetic tree has no
 * create (EROFS); its ctl writes are ordinary writes: the command behind one serialises
 * what it needs itself (the grid's verbs do).
 */
export interface Backend {
  walk(c: Caller, dir: Node, name: string): Promise<Node>;
  getattr(c: Caller, node: Node): Promise<Attr>;
  /** flags are 9P2000.L (Linux) open flags; the session maps 9P2000 modes onto them. */
  open(c: Caller, node: Node, flags: number): Promise<Handle>;
  /**
   * The bytes at `offset`, at most `count` (fewer only at the end of the file). A list is
   * sent as it is, piece after piece, so a backend can hand out views of its own buffers
   * without joining them; whatever it gives must not change until the reply has been written.
   */
  read(c: Caller, h: Handle, offset: number, count: number): Promise<Buffer | Buffer[]>;
  /** Entries after `cookie` (0 = from the start) that fit roughly in `count` bytes; [] at the end. */
  readdir(c: Caller, h: Handle, cookie: number, count: number): Promise<DirEntry[]>;
  release(h: Handle): Promise<void>;

  /** `data` is a view into the request's frame: copy what you keep past the call, or it pins the whole frame. */
  write?(c: Caller, h: Handle, offset: number, data: Buffer): Promise<number>;
  setattr?(c: Caller, node: Node, set: SetAttr): Promise<void>;
  create?(c: Caller, dir: Node, name: string, flags: number, mode: number, gid: number): Promise<{ node: Node; handle: Handle }>;
  mkdir?(c: Caller, dir: Node, name: string, mode: number, gid: number): Promise<Node>;
  symlink?(c: Caller, dir: Node, name: string, target: string, gid: number): Promise<Node>;
  mknod?(c: Caller, dir: Node, name: string, mode: number, rdev: { major: number; minor: number }, gid: number): Promise<Node>;
  readlink?(c: Caller, node: Node): Promise<string>;
  link?(c: Caller, dir: Node, name: string, target: Node): Promise<void>;
  rename?(c: Caller, oldDir: Node, oldName: string, newDir: Node, newName: string): Promise<void>;
  /** flags may hold AT_REMOVEDIR. */
  unlink?(c: Caller, dir: Node, name: string, flags: number): Promise<void>;
  statfs?(c: Caller, node: Node): Promise<StatFs>;
  getxattr?(c: Caller, node: Node, name: string): Promise<Buffer>;
  listxattr?(c: Caller, node: Node): Promise<string[]>;
  /** flags: XATTR_CREATE / XATTR_REPLACE. */
  setxattr?(c: Caller, node: Node, name: string, value: Buffer, flags: number): Promise<void>;
  removexattr?(c: Caller, node: Node, name: string): Promise<void>;
  fsync?(c: Caller, h: Handle, datasync: boolean): Promise<void>;
}

/** How the client reached us; the router uses it to decide what an attach may see. */
export interface Transport {
  kind: 'tcp' | 'unix' | 'stream';
  /** host:port for TCP, the socket path for unix, a label for in-process streams. */
  peer: string;
}

export interface AttachRequest {
  aname: string;
  uname: string;
  /** n_uname from 9P2000.L, or undefined when absent or NONUNAME. */
  nUname: number | undefined;
  transport: Transport;
  dialect: '9P2000' | '9P2000.L';
  /**
   * The uname of this connection's first successful attach to the same aname, if any. The
   * Linux client's per-user attaches (access=user, access=client) send an empty uname and
   * only n_uname; a router that reads uname as "who mounted" takes this one instead.
   */
  connectionUname?: string;
}

/** What a successful attach resolves to. */
export interface Attachment {
  backend: Backend;
  root: Node;
  /** The identity every request through this attach runs as. */
  user: { uid: number; gid: number; uname: string };
  /** A key such as 'env/web' so NinepServer.disconnectRoute can cut its clients off later. */
  route?: string;
  /**
   * Called once when the session that made this attach ends (disconnect or a new
   * Tversion), after every fid from it has been released.
   */
  detach?(): void | Promise<void>;
}

/**
 * Decides what an aname means. Throw notFound for an unknown aname (ENOENT) and
 * permission for a bad token (EACCES).
 */
export type AttachRouter = (req: AttachRequest) => Promise<Attachment>;
