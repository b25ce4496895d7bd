// The 9P2000 requests that differ from 9P2000.L: Topen, Tcreate, Tstat, Twstat, and Tread
// on a directory, which returns whole stat records. All of it is translated onto the same
// .L-shaped Backend, so a backend never learns which dialect its client speaks.
import { ColonyError, invalid, permission } from '../errors.js';
import type { Attr, Handle, Node, SetAttr } from './backend.js';
import { encodeStat, type ReplyBody } from './codec.js';
import {
  DMAPPEND, DMDIR, DMEXCL, DMTMP, L_O_CREAT, L_O_DIRECTORY, L_O_EXCL, L_O_RDONLY, L_O_RDWR, L_O_TRUNC, L_O_WRONLY,
  OEXEC, ORCLOSE, ORDWR, OTRUNC, OWRITE, S_IFDIR, S_IFMT,
} from './constants.js';
import { withErrno } from './errno.js';
import { caller, checkName, isDir, need, notOpen, type Cancel } from './fid.js';
import type { AnyBody, Msg, Stat } from './messages.js';
import { descend, read as readFile, requireDir } from './ops-common.js';
import type { Session } from './session.js';

/** Topen/Tcreate mode → Linux open flags. OEXEC reads; OTRUNC truncates. */
export function openFlagsOf(mode: number): number {
  const acc = mode & 3;
  let flags = acc === OWRITE ? L_O_WRONLY : acc === ORDWR ? L_O_RDWR : L_O_RDONLY;
  if (mode & OTRUNC) flags |= L_O_TRUNC;
  return flags;
}

/** A POSIX attribute record as a 9P2000 stat. */
export function statOf(name: string, node: Node, a: Attr): Stat {
  const dir = (a.mode & S_IFMT) === S_IFDIR;
  let mode = a.mode & 0o777;
  if (dir) mode |= DMDIR;
  if (node.qid.type & 0x40) mode |= DMAPPEND;
  if (node.qid.type & 0x20) mode |= DMEXCL;
  if (node.qid.type & 0x04) mode |= DMTMP;
  return {
    type: 0, dev: 0, qid: node.qid, mode: mode >>> 0, atime: a.atime.sec >>> 0, mtime: a.mtime.sec >>> 0,
    length: dir ? 0 : a.size, name, uid: a.uname ?? String(a.uid), gid: a.gname ?? String(a.gid), muid: a.muname ?? a.uname ?? String(a.uid),
  };
}

export async function open(s: Session, m: Msg<'Topen'>, signal: Cancel): Promise<AnyBody> {
  const f = s.fid(m.fid);
  notOpen(f);
  const dir = isDir(f.path.node);
  if (dir && ((m.mode & 3) === OWRITE || (m.mode & 3) === ORDWR || m.mode & OTRUNC)) {
    throw new ColonyError('COLONY_IS_DIRECTORY', 'a directory cannot be opened for writing');
  }
  const flags = openFlagsOf(m.mode) | (dir ? L_O_DIRECTORY : 0);
  const h = await f.att.backend.open(caller(f, signal), f.path.node, flags);
  await s.adopt(m.fid, f, h, flags);
  f.removeOnClunk = (m.mode & ORCLOSE) !== 0;
  return { type: 'Ropen', qid: f.path.node.qid, iounit: h.iounit ?? 0 };
}

export async function create(s: Session, m: Msg<'Tcreate'>, signal: Cancel): Promise<AnyBody> {
  const f = s.fid(m.fid);
  notOpen(f);
  requireDir(f);
  checkName(m.name);
  const c = caller(f, signal);
  const b = f.att.backend;
  const gid = f.att.user.gid;
  let node: Node;
  let handle: Handle;
  let flags = openFlagsOf(m.mode);
  if (m.perm & DMDIR) {
    if ((m.mode & 3) !== 0 && (m.mode & 3) !== OEXEC) throw new ColonyError('COLONY_IS_DIRECTORY', 'a new directory can only be opened for reading');
    node = await need(b, 'mkdir')(c, f.path.node, m.name, m.perm & 0o777, gid);
    flags = L_O_RDONLY | L_O_DIRECTORY;
    handle = await b.open(c, node, flags);
  } else {
    if (m.perm & 0x02ffffff & ~0o777) throw withErrno(invalid('9P2000 can create only files and directories'), 'EOPNOTSUPP');
    const made = await need(b, 'create')(c, f.path.node, m.name, flags | L_O_CREAT | L_O_EXCL, m.perm & 0o777, gid);
    node = made.node;
    handle = made.handle;
  }
  await s.adopt(m.fid, f, handle, flags);
  f.path = descend(f, node, m.name);
  f.removeOnClunk = (m.mode & ORCLOSE) !== 0;
  return { type: 'Rcreate', qid: node.qid, iounit: handle.iounit ?? 0 };
}

export async function stat(s: Session, m: Msg<'Tstat'>, signal: Cancel): Promise<AnyBody> {
  const f = s.fid(m.fid);
  const a = await f.att.backend.getattr(caller(f, signal), f.path.node);
  return { type: 'Rstat', stat: statOf(f.path.name, f.path.node, a) };
}

const untouched32 = 0xffffffff;

export async function wstat(s: Session, m: Msg<'Twstat'>, signal: Cancel): Promise<AnyBody> {
  const f = s.fid(m.fid);
  const st = m.stat;
  const c = caller(f, signal);
  const b = f.att.backend;
  const current = await b.getattr(c, f.path.node);
  const set: SetAttr = {};
  if (st.mode !== untouched32) {
    if (((st.mode & DMDIR) !== 0) !== isDir(f.path.node)) throw invalid('wstat cannot change a file into a directory');
    set.mode = (current.mode & S_IFMT) | (st.mode & 0o777);
  }
  if (st.length !== -1) {
    if (isDir(f.path.node) && st.length !== 0) throw invalid('a directory has no length');
    if (!isDir(f.path.node)) set.size = st.length;
  }
  if (st.mtime !== untouched32) set.mtime = { sec: st.mtime, nsec: 0 };
  if (st.atime !== untouched32) set.atime = { sec: st.atime, nsec: 0 };
  if (st.uid !== '' && st.uid !== (current.uname ?? String(current.uid))) throw withErrno(permission('the owner of a file cannot be changed'), 'EPERM');
  if (st.gid !== '' && st.gid !== (current.gname ?? String(current.gid))) {
    if (!/^\d+$/.test(st.gid)) throw invalid(`unknown group ${st.gid}`);
    set.gid = Number(st.gid);
  }
  if (st.name !== '' && st.name !== f.path.name) {
    checkName(st.name);
    if (!f.path.up) throw withErrno(permission('the attach root cannot be renamed'), 'EBUSY');
  }
  if (Object.keys(set).length) await need(b, 'setattr')(c, f.path.node, set);
  if (st.name !== '' && st.name !== f.path.name && f.path.up) {
    // 9P2000 renames only within the directory (wstat(5)).
    await need(b, 'rename')(c, f.path.up.node, f.path.name, f.path.up.node, st.name);
    f.path = { node: f.path.node, name: st.name, up: f.path.up };
  }
  return { type: 'Rwstat' };
}

/**
 * Tread on an open directory: as many whole stat records as fit. The offset must be 0
 * (start again) or exactly where the previous read ended; seeking is not allowed (read(5)).
 */
export async function read(s: Session, m: Msg<'Tread'>, signal: Cancel): Promise<ReplyBody> {
  const f = s.fid(m.fid);
  if (!f.handle || f.xattr || !isDir(f.path.node)) return readFile(s, m, signal);
  if (m.offset === 0) f.dir = { offset: 0, cookie: 0 };
  const st = f.dir;
  if (!st || m.offset !== st.offset) throw invalid('bad offset in directory read');
  const count = Math.min(m.count, s.maxData);
  const c = caller(f, signal);
  const out: Buffer[] = [];
  let used = 0;
  const take = (rec: Buffer): boolean => {
    if (used + rec.length > count) return false;
    out.push(rec); used += rec.length; return true;
  };
  if (st.leftover) {
    if (!take(st.leftover)) throw invalid('directory read count is smaller than one entry');
    st.leftover = undefined;
  }
  // Each pass consumes at least one entry or ends, so the loop is bounded by the directory.
  for (let pass = 0; pass < 1_000_000 && !st.leftover; pass++) {
    const entries = await f.att.backend.readdir(c, f.handle, st.cookie, count);
    if (entries.length === 0) break;
    for (const e of entries) {
      st.cookie = e.cookie;
      if (e.name === '.' || e.name === '..') continue;
      let rec: Buffer;
      try {
        const node = await f.att.backend.walk(c, f.path.node, e.name);
        rec = encodeStat(statOf(e.name, node, await f.att.backend.getattr(c, node)));
      } catch { continue; } // removed since readdir listed it
      if (!take(rec)) {
        if (out.length === 0) throw invalid('directory read count is smaller than one entry');
        st.leftover = rec;
        break;
      }
    }
  }
  st.offset += used;
  return { type: 'Rread', data: Buffer.concat(out) };
}
