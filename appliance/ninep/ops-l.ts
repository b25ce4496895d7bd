// The 9P2000.L requests, as the Linux v9fs client sends them. Each is a thin translation
// onto the Backend interface, which is shaped after them.
import { ColonyError, invalid } from '../errors.js';
import type { SetAttr, Time } from './backend.js';
import {
  GETATTR_BASIC, GETATTR_BTIME, GETATTR_DATA_VERSION, GETATTR_GEN, LOCK_BLOCKED, LOCK_SUCCESS, LOCK_TYPE_RDLCK,
  LOCK_TYPE_UNLCK, LOCK_TYPE_WRLCK, L_O_ACCMODE, L_O_RDWR, L_O_WRONLY, SETATTR_ATIME, SETATTR_ATIME_SET, SETATTR_CTIME, SETATTR_GID, SETATTR_MODE,
  SETATTR_MTIME, SETATTR_MTIME_SET, SETATTR_SIZE, SETATTR_UID, V9FS_MAGIC,
} from './constants.js';
import { withErrno } from './errno.js';
import { badFid, caller, checkName, need, notOpen, type Cancel, type Fid } from './fid.js';
import type { AnyBody, Msg } from './messages.js';
import { descend, MAX_XATTR, requireDir } from './ops-common.js';
import type { Session } from './session.js';

const backendIds = new WeakMap<object, number>();
let nextBackendId = 1;
/** Lock-table key of a file: which backend, which qid.path. */
const fileKey = (f: Fid): string => {
  let id = backendIds.get(f.att.backend);
  if (id === undefined) { id = nextBackendId++; backendIds.set(f.att.backend, id); }
  return `${id}:${f.path.node.qid.path}`;
};

export async function statfs(s: Session, m: Msg<'Tstatfs'>, signal: Cancel): Promise<AnyBody> {
  const f = s.fid(m.fid);
  const b = f.att.backend;
  const st = b.statfs ? await b.statfs(caller(f, signal), f.path.node) : { bsize: 4096, blocks: 0, bfree: 0, bavail: 0, files: 0, ffree: 0, fsid: 0, namelen: 255 };
  return { type: 'Rstatfs', fstype: V9FS_MAGIC, ...st };
}

export async function lopen(s: Session, m: Msg<'Tlopen'>, signal: Cancel): Promise<AnyBody> {
  const f = s.fid(m.fid);
  notOpen(f);
  const h = await f.att.backend.open(caller(f, signal), f.path.node, m.flags);
  await s.adopt(m.fid, f, h, m.flags);
  return { type: 'Rlopen', qid: f.path.node.qid, iounit: h.iounit ?? 0 };
}

export async function lcreate(s: Session, m: Msg<'Tlcreate'>, signal: Cancel): Promise<AnyBody> {
  const f = s.fid(m.fid);
  notOpen(f);
  requireDir(f);
  checkName(m.name);
  const { node, handle } = await need(f.att.backend, 'create')(caller(f, signal), f.path.node, m.name, m.flags, m.mode, m.gid);
  await s.adopt(m.fid, f, handle, m.flags);
  // The fid now stands for the new, open file (not its directory).
  f.path = descend(f, node, m.name);
  return { type: 'Rlcreate', qid: node.qid, iounit: handle.iounit ?? 0 };
}

export async function symlink(s: Session, m: Msg<'Tsymlink'>, signal: Cancel): Promise<AnyBody> {
  const f = s.fid(m.fid);
  requireDir(f);
  checkName(m.name);
  const node = await need(f.att.backend, 'symlink')(caller(f, signal), f.path.node, m.name, m.symtgt, m.gid);
  return { type: 'Rsymlink', qid: node.qid };
}

export async function mknod(s: Session, m: Msg<'Tmknod'>, signal: Cancel): Promise<AnyBody> {
  const f = s.fid(m.dfid);
  requireDir(f);
  checkName(m.name);
  const node = await need(f.att.backend, 'mknod')(caller(f, signal), f.path.node, m.name, m.mode, { major: m.major, minor: m.minor }, m.gid);
  return { type: 'Rmknod', qid: node.qid };
}

export async function mkdir(s: Session, m: Msg<'Tmkdir'>, signal: Cancel): Promise<AnyBody> {
  const f = s.fid(m.dfid);
  requireDir(f);
  checkName(m.name);
  const node = await need(f.att.backend, 'mkdir')(caller(f, signal), f.path.node, m.name, m.mode, m.gid);
  return { type: 'Rmkdir', qid: node.qid };
}

export async function rename(s: Session, m: Msg<'Trename'>, signal: Cancel): Promise<AnyBody> {
  const f = s.fid(m.fid);
  const d = s.fid(m.dfid);
  requireDir(d);
  checkName(m.name);
  if (!f.path.up) throw withErrno(invalid('the attach root cannot be renamed'), 'EBUSY');
  if (d.att.backend !== f.att.backend) throw withErrno(invalid('rename across attaches'), 'EXDEV');
  await need(f.att.backend, 'rename')(caller(f, signal), f.path.up.node, f.path.name, d.path.node, m.name);
  f.path = { node: f.path.node, name: m.name, up: d.path };
  return { type: 'Rrename' };
}

export async function renameat(s: Session, m: Msg<'Trenameat'>, signal: Cancel): Promise<AnyBody> {
  const od = s.fid(m.olddirfid);
  const nd = s.fid(m.newdirfid);
  requireDir(od); requireDir(nd);
  checkName(m.oldname); checkName(m.newname);
  if (od.att.backend !== nd.att.backend) throw withErrno(invalid('rename across attaches'), 'EXDEV');
  await need(od.att.backend, 'rename')(caller(od, signal), od.path.node, m.oldname, nd.path.node, m.newname);
  return { type: 'Rrenameat' };
}

export async function unlinkat(s: Session, m: Msg<'Tunlinkat'>, signal: Cancel): Promise<AnyBody> {
  const d = s.fid(m.dirfid);
  requireDir(d);
  checkName(m.name);
  await need(d.att.backend, 'unlink')(caller(d, signal), d.path.node, m.name, m.flags);
  return { type: 'Runlinkat' };
}

export async function link(s: Session, m: Msg<'Tlink'>, signal: Cancel): Promise<AnyBody> {
  const d = s.fid(m.dfid);
  const f = s.fid(m.fid);
  requireDir(d);
  checkName(m.name);
  if (d.att.backend !== f.att.backend) throw withErrno(invalid('link across attaches'), 'EXDEV');
  await need(d.att.backend, 'link')(caller(d, signal), d.path.node, m.name, f.path.node);
  return { type: 'Rlink' };
}

export async function readlink(s: Session, m: Msg<'Treadlink'>, signal: Cancel): Promise<AnyBody> {
  const f = s.fid(m.fid);
  const target = await need(f.att.backend, 'readlink', false)(caller(f, signal), f.path.node);
  return { type: 'Rreadlink', target };
}

export async function getattr(s: Session, m: Msg<'Tgetattr'>, signal: Cancel): Promise<AnyBody> {
  const f = s.fid(m.fid);
  const a = await f.att.backend.getattr(caller(f, signal), f.path.node);
  const zero: Time = { sec: 0, nsec: 0 };
  const valid = GETATTR_BASIC | (a.btime ? GETATTR_BTIME : 0) | (a.gen !== undefined ? GETATTR_GEN : 0) | (a.dataVersion !== undefined ? GETATTR_DATA_VERSION : 0);
  return {
    type: 'Rgetattr', valid, qid: f.path.node.qid, mode: a.mode, uid: a.uid, gid: a.gid, nlink: a.nlink, rdev: a.rdev,
    size: a.size, blksize: a.blksize, blocks: a.blocks,
    atimeSec: a.atime.sec, atimeNsec: a.atime.nsec, mtimeSec: a.mtime.sec, mtimeNsec: a.mtime.nsec,
    ctimeSec: a.ctime.sec, ctimeNsec: a.ctime.nsec, btimeSec: (a.btime ?? zero).sec, btimeNsec: (a.btime ?? zero).nsec,
    gen: a.gen ?? 0, dataVersion: a.dataVersion ?? 0,
  };
}

export async function setattr(s: Session, m: Msg<'Tsetattr'>, signal: Cancel): Promise<AnyBody> {
  const f = s.fid(m.fid);
  const set: SetAttr = {};
  if (m.valid & SETATTR_MODE) set.mode = m.mode;
  if (m.valid & SETATTR_UID) set.uid = m.uid;
  if (m.valid & SETATTR_GID) set.gid = m.gid;
  if (m.valid & SETATTR_SIZE) set.size = m.size;
  if (m.valid & SETATTR_ATIME) set.atime = m.valid & SETATTR_ATIME_SET ? { sec: m.atimeSec, nsec: m.atimeNsec } : 'now';
  if (m.valid & SETATTR_MTIME) set.mtime = m.valid & SETATTR_MTIME_SET ? { sec: m.mtimeSec, nsec: m.mtimeNsec } : 'now';
  if (m.valid & SETATTR_CTIME) set.ctime = true;
  const acc = (f.openFlags ?? 0) & L_O_ACCMODE;
  if (f.handle && (acc === L_O_WRONLY || acc === L_O_RDWR)) set.openForWrite = true;
  if (set.size !== undefined && set.size < 0) throw invalid('negative size');
  await need(f.att.backend, 'setattr')(caller(f, signal), f.path.node, set);
  return { type: 'Rsetattr' };
}

export async function xattrwalk(s: Session, m: Msg<'Txattrwalk'>, signal: Cancel): Promise<AnyBody> {
  const f = s.fid(m.fid);
  if (m.newfid !== m.fid && s.fids.has(m.newfid)) throw badFid(`fid ${m.newfid} is in use`);
  const c = caller(f, signal);
  let data: Buffer;
  if (m.name === '') {
    const names = f.att.backend.listxattr ? await f.att.backend.listxattr(c, f.path.node) : [];
    data = Buffer.from(names.map((n) => `${n}\0`).join(''));
  } else {
    if (!f.att.backend.getxattr) throw withErrno(new ColonyError('COLONY_NOT_FOUND', `no xattr ${m.name}`), 'ENODATA');
    data = await f.att.backend.getxattr(c, f.path.node, m.name);
  }
  s.setFid(m.newfid, { att: f.att, path: f.path, xattr: { mode: 'read', data } });
  return { type: 'Rxattrwalk', size: data.length };
}

export async function xattrcreate(s: Session, m: Msg<'Txattrcreate'>): Promise<AnyBody> {
  const f = s.fid(m.fid);
  notOpen(f);
  if (m.size < 0 || m.size > MAX_XATTR) throw withErrno(invalid(`xattr value of ${m.size} bytes`), 'E2BIG');
  checkName(m.name, true);
  f.xattr = { mode: 'write', name: m.name, size: m.size, flags: m.flags, chunks: [], written: 0 };
  return { type: 'Rxattrcreate' };
}

export async function readdir(s: Session, m: Msg<'Treaddir'>, signal: Cancel): Promise<AnyBody> {
  const f = s.fid(m.fid);
  if (!f.handle) throw badFid('directory is not open');
  const count = Math.min(m.count, s.maxData);
  const entries = await f.att.backend.readdir(caller(f, signal), f.handle, m.offset, count);
  // Each entry is qid[13] offset[8] type[1] name[s]; stop before one would not fit.
  const parts: Buffer[] = [];
  let used = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name);
    const n = 13 + 8 + 1 + 2 + name.length;
    if (used + n > count) break;
    const b = Buffer.alloc(n);
    b.writeUInt8(e.qid.type, 0); b.writeUInt32LE(e.qid.version >>> 0, 1); b.writeBigUInt64LE(BigInt(e.qid.path), 5);
    b.writeBigUInt64LE(BigInt(e.cookie), 13); b.writeUInt8(e.type, 21); b.writeUInt16LE(name.length, 22); name.copy(b, 24);
    parts.push(b);
    used += n;
  }
  return { type: 'Rreaddir', data: Buffer.concat(parts) };
}

export async function fsync(s: Session, m: Msg<'Tfsync'>, signal: Cancel): Promise<AnyBody> {
  const f = s.fid(m.fid);
  if (!f.handle) throw badFid('fid is not open');
  if (f.att.backend.fsync) await f.att.backend.fsync(caller(f, signal), f.handle, m.datasync !== 0);
  return { type: 'Rfsync' };
}

export async function lock(s: Session, m: Msg<'Tlock'>): Promise<AnyBody> {
  const f = s.fid(m.fid);
  if (m.locktype !== LOCK_TYPE_RDLCK && m.locktype !== LOCK_TYPE_WRLCK && m.locktype !== LOCK_TYPE_UNLCK) throw invalid(`lock type ${m.locktype}`);
  const ok = s.opts.locks.set(fileKey(f), {
    owner: `${s.lockPrefix}${m.clientId}/${m.procId}`, type: m.locktype, start: m.start, length: m.length, procId: m.procId, clientId: m.clientId,
  });
  return { type: 'Rlock', status: ok ? LOCK_SUCCESS : LOCK_BLOCKED };
}

export async function getlock(s: Session, m: Msg<'Tgetlock'>): Promise<AnyBody> {
  const f = s.fid(m.fid);
  const c = s.opts.locks.conflict(fileKey(f), `${s.lockPrefix}${m.clientId}/${m.procId}`, m.locktype, m.start, m.length);
  if (!c) return { type: 'Rgetlock', locktype: LOCK_TYPE_UNLCK, start: m.start, length: m.length, procId: m.procId, clientId: m.clientId };
  return { type: 'Rgetlock', locktype: c.type, start: c.start, length: c.end === Infinity ? 0 : c.end - c.start + 1, procId: c.procId, clientId: c.clientId };
}
