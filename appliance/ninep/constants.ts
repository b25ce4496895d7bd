// Numbers fixed by the 9P2000 and 9P2000.L specifications. Everything on the wire is
// little-endian; these are the values both dialects and the Linux client agree on.

export const VERSION_9P2000 = '9P2000';
export const VERSION_9P2000L = '9P2000.L';
export type Dialect = typeof VERSION_9P2000 | typeof VERSION_9P2000L;

/** size[4] type[1] tag[2]: the smallest frame. */
export const HEADER_BYTES = 7;
/** What an Rread/Twrite adds to its payload (header + fid + offset + count); iounit = msize − this. */
export const IOHDRSZ = 24;
export const NOTAG = 0xffff;
export const NOFID = 0xffffffff;
/** n_uname meaning "use uname instead". */
export const NONUNAME = 0xffffffff;
/** Twalk may carry at most this many names (walk(5)). */
export const MAXWELEM = 16;

// Qid types (the high byte of a 9P2000 mode).
export const QTDIR = 0x80;
export const QTAPPEND = 0x40;
export const QTEXCL = 0x20;
export const QTAUTH = 0x08;
export const QTTMP = 0x04;
export const QTSYMLINK = 0x02;
export const QTFILE = 0x00;

// 9P2000 mode bits in stat and Tcreate perm.
export const DMDIR = 0x80000000;
export const DMAPPEND = 0x40000000;
export const DMEXCL = 0x20000000;
export const DMAUTH = 0x08000000;
export const DMTMP = 0x04000000;

// 9P2000 Topen modes.
export const OREAD = 0;
export const OWRITE = 1;
export const ORDWR = 2;
export const OEXEC = 3;
export const OTRUNC = 0x10;
export const ORCLOSE = 0x40;

// 9P2000.L open flags (Linux x86 values, which the kernel client sends as-is).
export const L_O_ACCMODE = 3;
export const L_O_RDONLY = 0;
export const L_O_WRONLY = 1;
export const L_O_RDWR = 2;
export const L_O_CREAT = 0o100;
export const L_O_EXCL = 0o200;
export const L_O_TRUNC = 0o1000;
export const L_O_APPEND = 0o2000;
export const L_O_DIRECTORY = 0o200000;

// File type bits of a POSIX mode.
export const S_IFMT = 0o170000;
export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;
export const S_IFLNK = 0o120000;
export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;
export const S_IFIFO = 0o010000;
export const S_IFSOCK = 0o140000;

// readdir d_type values.
export const DT_UNKNOWN = 0;
export const DT_FIFO = 1;
export const DT_CHR = 2;
export const DT_DIR = 4;
export const DT_BLK = 6;
export const DT_REG = 8;
export const DT_LNK = 10;
export const DT_SOCK = 12;

// Tgetattr request mask / Rgetattr valid mask.
export const GETATTR_MODE = 0x1;
export const GETATTR_NLINK = 0x2;
export const GETATTR_UID = 0x4;
export const GETATTR_GID = 0x8;
export const GETATTR_RDEV = 0x10;
export const GETATTR_ATIME = 0x20;
export const GETATTR_MTIME = 0x40;
export const GETATTR_CTIME = 0x80;
export const GETATTR_INO = 0x100;
export const GETATTR_SIZE = 0x200;
export const GETATTR_BLOCKS = 0x400;
export const GETATTR_BASIC = 0x7ff;
export const GETATTR_BTIME = 0x800;
export const GETATTR_GEN = 0x1000;
export const GETATTR_DATA_VERSION = 0x2000;
export const GETATTR_ALL = 0x3fff;

// Tsetattr valid mask. ATIME without ATIME_SET means "set to the server's now".
export const SETATTR_MODE = 0x1;
export const SETATTR_UID = 0x2;
export const SETATTR_GID = 0x4;
export const SETATTR_SIZE = 0x8;
export const SETATTR_ATIME = 0x10;
export const SETATTR_MTIME = 0x20;
export const SETATTR_CTIME = 0x40;
export const SETATTR_ATIME_SET = 0x80;
export const SETATTR_MTIME_SET = 0x100;

// Tlock / Tgetlock.
export const LOCK_TYPE_RDLCK = 0;
export const LOCK_TYPE_WRLCK = 1;
export const LOCK_TYPE_UNLCK = 2;
export const LOCK_FLAGS_BLOCK = 1;
export const LOCK_FLAGS_RECLAIM = 2;
export const LOCK_SUCCESS = 0;
export const LOCK_BLOCKED = 1;
export const LOCK_ERROR = 2;
export const LOCK_GRACE = 3;

// Tunlinkat flags.
export const AT_REMOVEDIR = 0x200;

// Txattrcreate flags.
export const XATTR_CREATE = 1;
export const XATTR_REPLACE = 2;

/** f_type the Linux client expects from Rstatfs. */
export const V9FS_MAGIC = 0x01021997;
