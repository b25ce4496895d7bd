// Requests both dialects share: walk, read, write, clunk and remove. Each turns a message
// into backend calls on the fid table and returns the reply body; errors are thrown and
// the session turns them into Rlerror or Rerror.
import { ColonyError, invalid, permission } from '../errors.js';
import type { Node } from './backend.js';
import { AT_REMOVEDIR, MAXWELEM, VERSION_9P2000L } from './constants.js';
import { withErrno } from './errno.js';
import { badFid, caller, checkName, isDir, need, notOpen, openHandle, type Cancel, type Fid, type PathLink } from './fid.js';
import type { ReplyBody } from './codec.js';
import type { AnyBody, Msg, MessageName, Qid } from './messages.js';
import type { Session } from './session.js';

export type Handler<N extends MessageName> = (s: Session, m: Msg<N>, signal: Cancel) => Promise<ReplyBody>;
export type HandlerTable = { [N in MessageName]?: Handler<N> };

export async function walk(s: Session, m: Msg<'Twalk'>, signal: Cancel): Promise<AnyBody> {
  const f = s.fid(m.fid);
  // walk(5) forbids walking an open fid; Linux tools (diodls -l) do it in 9P2000.L, and the
  // new fid is never open, so only 9P2000 keeps the rule.
  if (s.dialect !== VERSION_9P2000L) notOpen(f);
  if (f.xattr) throw badFid('cannot walk from an xattr fid');
  if (m.names.length > MAXWELEM) throw invalid(`walk of ${m.names.length} names; at most ${MAXWELEM} are allowed`);
  if (m.newfid !== m.fid && s.fids.has(m.newfid)) throw badFid(`fid ${m.newfid} is in use`);
  for (const name of m.names) checkName(name, true);
  const c = caller(f, signal);
  let path: PathLink = f.path;
  const qids: Qid[] = [];
  for (const [i, name] of m.names.entries()) {
    try {
      if (name === '..') {
        // The walked path, not the backend, answers '..': it cannot climb out of the attach
        // root (so env/NAME cannot reach ctl) and needs no parent pointers in backends.
        if (!isDir(path.node)) throw new ColonyError('COLONY_NOT_DIRECTORY', 'not a directory');
        path = path.up ?? path;
      } else if (name !== '.') {
        const node: Node = await f.att.backend.walk(c, path.node, name);
        path = { node, name, up: path };
      }
    } catch (err) {
      if (i === 0) throw err;
      break;
    }
    qids.push(path.node.qid);
  }
  if (qids.length === m.names.length) s.setFid(m.newfid, { att: f.att, path });
  return { type: 'Rwalk', qids };
}

export async function read(s: Session, m: Msg<'Tread'>, signal: Cancel): Promise<ReplyBody> {
  const f = s.fid(m.fid);
  const count = Math.min(m.count, s.maxData);
  if (f.xattr) {
    if (f.xattr.mode !== 'read') throw badFid('xattr fid is open for writing');
    return { type: 'Rread', data: f.xattr.data.subarray(Math.min(m.offset, f.xattr.data.length), Math.min(m.offset + count, f.xattr.data.length)) };
  }
  const h = openHandle(f, false);
  if (m.offset < 0) throw invalid('negative offset');
  const data = await f.att.backend.read(caller(f, signal), h, m.offset, count);
  if (!Array.isArray(data)) return { type: 'Rread', data: data.length > count ? data.subarray(0, count) : data };
  return { type: 'Rread', pieces: firstBytes(data, count) };
}

/** The pieces holding the first `count` bytes of `pieces` (a backend may give more than asked). */
export function firstBytes(pieces: readonly Buffer[], count: number): Buffer[] {
  const out: Buffer[] = [];
  let left = count;
  for (const p of pieces) {
    if (left <= 0) break;
    out.push(p.length > left ? p.subarray(0, left) : p);
    left -= p.length;
  }
  return out;
}

/** The largest xattr value we buffer for Txattrcreate. */
export const MAX_XATTR = 64 * 1024;

export async function write(s: Session, m: Msg<'Twrite'>, signal: Cancel): Promise<AnyBody> {
  const f = s.fid(m.fid);
  if (f.xattr) {
    const x = f.xattr;
    if (x.mode !== 'write') throw badFid('xattr fid is open for reading');
    if (m.offset !== x.written) throw invalid('xattr values are written in order');
    if (x.written + m.data.length > x.size) throw withErrno(invalid('xattr value longer than declared'), 'ERANGE');
    x.chunks.push(Buffer.from(m.data));
    x.written += m.data.length;
    return { type: 'Rwrite', count: m.data.length };
  }
  const h = openHandle(f, true);
  if (m.offset < 0) throw invalid('negative offset');
  // No copy: the payload is a view of the request's own frame, which nothing reuses (see Backend.write).
  const n = await need(f.att.backend, 'write')(caller(f, signal), h, m.offset, m.data);
  return { type: 'Rwrite', count: n };
}

export async function clunk(s: Session, m: Msg<'Tclunk'>, signal: Cancel): Promise<AnyBody> {
  await s.clunk(m.fid, signal);
  return { type: 'Rclunk' };
}

export async function remove(s: Session, m: Msg<'Tremove'>, signal: Cancel): Promise<AnyBody> {
  const f = s.fid(m.fid);
  const c = caller(f, signal);
  // The fid is clunked whether or not the remove works (remove(5)).
  f.removeOnClunk = false;
  try {
    if (!f.path.up) throw permission('the attach root cannot be removed');
    await need(f.att.backend, 'unlink')(c, f.path.up.node, f.path.name, isDir(f.path.node) ? AT_REMOVEDIR : 0);
  } finally {
    await s.clunk(m.fid, signal);
  }
  return { type: 'Rremove' };
}

/** Points a fid at a newly created file below its directory. */
export const descend = (f: Fid, node: Node, name: string): PathLink => ({ node, name, up: f.path });

export const requireDir = (f: Fid): void => {
  if (!isDir(f.path.node)) throw new ColonyError('COLONY_NOT_DIRECTORY', 'not a directory');
};
