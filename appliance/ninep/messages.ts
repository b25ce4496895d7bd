// Every 9P message as data: its type number and its fields in wire order. The codec walks
// this table, and the TypeScript message types are derived from it, so a message is
// declared exactly once. Field order is the object's key order (string keys keep it).

/** A qid: the server's unique identity of a file. path is a u64 kept as a safe integer. */
export interface Qid {
  type: number;
  version: number;
  path: number;
}

/** A 9P2000 stat record (stat(5)), without its leading size. */
export interface Stat {
  type: number;
  dev: number;
  qid: Qid;
  mode: number;
  atime: number;
  mtime: number;
  length: number;
  name: string;
  uid: string;
  gid: string;
  muid: string;
}

export type FieldKind =
  | 'u8' | 'u16' | 'u32' | 'u64'
  | 's' // len[2] utf-8
  | 'qid' // type[1] version[4] path[8]
  | 'qids' // n[2] qid*n
  | 'names' // n[2] s*n
  | 'data' // count[4] bytes
  | 'stat' // n[2] stat[n]
  | 'nuname'; // u32 in 9P2000.L (and .u) only; absent in 9P2000

export const SCHEMA = {
  // 9P2000.L
  Tlerror: [6, {}],
  Rlerror: [7, { ecode: 'u32' }],
  Tstatfs: [8, { fid: 'u32' }],
  Rstatfs: [9, { fstype: 'u32', bsize: 'u32', blocks: 'u64', bfree: 'u64', bavail: 'u64', files: 'u64', ffree: 'u64', fsid: 'u64', namelen: 'u32' }],
  Tlopen: [12, { fid: 'u32', flags: 'u32' }],
  Rlopen: [13, { qid: 'qid', iounit: 'u32' }],
  Tlcreate: [14, { fid: 'u32', name: 's', flags: 'u32', mode: 'u32', gid: 'u32' }],
  Rlcreate: [15, { qid: 'qid', iounit: 'u32' }],
  Tsymlink: [16, { fid: 'u32', name: 's', symtgt: 's', gid: 'u32' }],
  Rsymlink: [17, { qid: 'qid' }],
  Tmknod: [18, { dfid: 'u32', name: 's', mode: 'u32', major: 'u32', minor: 'u32', gid: 'u32' }],
  Rmknod: [19, { qid: 'qid' }],
  Trename: [20, { fid: 'u32', dfid: 'u32', name: 's' }],
  Rrename: [21, {}],
  Treadlink: [22, { fid: 'u32' }],
  Rreadlink: [23, { target: 's' }],
  Tgetattr: [24, { fid: 'u32', mask: 'u64' }],
  Rgetattr: [25, {
    valid: 'u64', qid: 'qid', mode: 'u32', uid: 'u32', gid: 'u32', nlink: 'u64', rdev: 'u64', size: 'u64',
    blksize: 'u64', blocks: 'u64', atimeSec: 'u64', atimeNsec: 'u64', mtimeSec: 'u64', mtimeNsec: 'u64',
    ctimeSec: 'u64', ctimeNsec: 'u64', btimeSec: 'u64', btimeNsec: 'u64', gen: 'u64', dataVersion: 'u64',
  }],
  Tsetattr: [26, {
    fid: 'u32', valid: 'u32', mode: 'u32', uid: 'u32', gid: 'u32', size: 'u64',
    atimeSec: 'u64', atimeNsec: 'u64', mtimeSec: 'u64', mtimeNsec: 'u64',
  }],
  Rsetattr: [27, {}],
  Txattrwalk: [30, { fid: 'u32', newfid: 'u32', name: 's' }],
  Rxattrwalk: [31, { size: 'u64' }],
  Txattrcreate: [32, { fid: 'u32', name: 's', size: 'u64', flags: 'u32' }],
  Rxattrcreate: [33, {}],
  Treaddir: [40, { fid: 'u32', offset: 'u64', count: 'u32' }],
  Rreaddir: [41, { data: 'data' }],
  Tfsync: [50, { fid: 'u32', datasync: 'u32' }],
  Rfsync: [51, {}],
  Tlock: [52, { fid: 'u32', locktype: 'u8', flags: 'u32', start: 'u64', length: 'u64', procId: 'u32', clientId: 's' }],
  Rlock: [53, { status: 'u8' }],
  Tgetlock: [54, { fid: 'u32', locktype: 'u8', start: 'u64', length: 'u64', procId: 'u32', clientId: 's' }],
  Rgetlock: [55, { locktype: 'u8', start: 'u64', length: 'u64', procId: 'u32', clientId: 's' }],
  Tlink: [70, { dfid: 'u32', fid: 'u32', name: 's' }],
  Rlink: [71, {}],
  Tmkdir: [72, { dfid: 'u32', name: 's', mode: 'u32', gid: 'u32' }],
  Rmkdir: [73, { qid: 'qid' }],
  Trenameat: [74, { olddirfid: 'u32', oldname: 's', newdirfid: 'u32', newname: 's' }],
  Rrenameat: [75, {}],
  Tunlinkat: [76, { dirfid: 'u32', name: 's', flags: 'u32' }],
  Runlinkat: [77, {}],
  // 9P2000 (and the parts 9P2000.L keeps)
  Tversion: [100, { msize: 'u32', version: 's' }],
  Rversion: [101, { msize: 'u32', version: 's' }],
  Tauth: [102, { afid: 'u32', uname: 's', aname: 's', nUname: 'nuname' }],
  Rauth: [103, { aqid: 'qid' }],
  Tattach: [104, { fid: 'u32', afid: 'u32', uname: 's', aname: 's', nUname: 'nuname' }],
  Rattach: [105, { qid: 'qid' }],
  Rerror: [107, { ename: 's' }],
  Tflush: [108, { oldtag: 'u16' }],
  Rflush: [109, {}],
  Twalk: [110, { fid: 'u32', newfid: 'u32', names: 'names' }],
  Rwalk: [111, { qids: 'qids' }],
  Topen: [112, { fid: 'u32', mode: 'u8' }],
  Ropen: [113, { qid: 'qid', iounit: 'u32' }],
  Tcreate: [114, { fid: 'u32', name: 's', perm: 'u32', mode: 'u8' }],
  Rcreate: [115, { qid: 'qid', iounit: 'u32' }],
  Tread: [116, { fid: 'u32', offset: 'u64', count: 'u32' }],
  Rread: [117, { data: 'data' }],
  Twrite: [118, { fid: 'u32', offset: 'u64', data: 'data' }],
  Rwrite: [119, { count: 'u32' }],
  Tclunk: [120, { fid: 'u32' }],
  Rclunk: [121, {}],
  Tremove: [122, { fid: 'u32' }],
  Rremove: [123, {}],
  Tstat: [124, { fid: 'u32' }],
  Rstat: [125, { stat: 'stat' }],
  Twstat: [126, { fid: 'u32', stat: 'stat' }],
  Rwstat: [127, {}],
} as const satisfies Record<string, readonly [number, Record<string, FieldKind>]>;

type Schema = typeof SCHEMA;
export type MessageName = keyof Schema;

type ValueOf<K> =
  K extends 'u8' | 'u16' | 'u32' | 'u64' | 'nuname' ? number
  : K extends 's' ? string
  : K extends 'qid' ? Qid
  : K extends 'qids' ? Qid[]
  : K extends 'names' ? string[]
  : K extends 'data' ? Buffer
  : K extends 'stat' ? Stat
  : never;

type Fields<N extends MessageName> = { -readonly [F in keyof Schema[N][1]]: ValueOf<Schema[N][1][F]> };

/** One message of the given name: its fields plus type and tag. */
export type Msg<N extends MessageName> = { type: N; tag: number } & Fields<N>;
/** Any 9P message. */
export type Message = { [N in MessageName]: Msg<N> }[MessageName];
/** A message body without the tag, as a client builds it. */
export type Body<N extends MessageName> = { type: N } & Fields<N>;
export type AnyBody = { [N in MessageName]: Body<N> }[MessageName];

const byNumber = new Map<number, MessageName>();
for (const [name, [num]] of Object.entries(SCHEMA)) byNumber.set(num, name as MessageName);

export const messageName = (num: number): MessageName | undefined => byNumber.get(num);
export const messageNumber = (name: MessageName): number => SCHEMA[name][0];
export const fieldsOf = (name: MessageName): Record<string, FieldKind> => SCHEMA[name][1];
/** The R-message that answers a T-message (the next type number). */
export const replyName = (name: MessageName): MessageName | undefined => byNumber.get(SCHEMA[name][0] + 1);
