// A fid: what one client-chosen number stands for on one connection. It remembers the
// attach it came from (who is asking, which backend), the path it was walked along
// (for '..', Tremove and Trename, which name a file by its parent), and what it has open.
import { invalid, permission, unsupported } from '../errors.js';
import type { Attachment, Backend, Caller, Handle, Node } from './backend.js';
import { QTDIR } from './constants.js';
import { withErrno } from './errno.js';

/** One step of a walked path, shared between fids (an immutable linked list). */
export interface PathLink {
  node: Node;
  /** The name walked to get here; '/' at the attach root. */
  name: string;
  up?: PathLink;
}

export type XattrState =
  | { mode: 'read'; data: Buffer }
  | { mode: 'write'; name: string; size: number; flags: number; chunks: Buffer[]; written: number };

export interface DirReadState {
  /** Bytes of stat records returned so far; the next Tread must ask for exactly this offset. */
  offset: number;
  cookie: number;
  /** A record that did not fit in the last reply. */
  leftover?: Buffer;
}

export interface Fid {
  att: Attachment;
  path: PathLink;
  handle?: Handle;
  /** 9P2000.L open flags the handle was opened with. */
  openFlags?: number;
  /** 9P2000 ORCLOSE: remove the file when the fid is clunked. */
  removeOnClunk?: boolean;
  xattr?: XattrState;
  dir?: DirReadState;
}

export const isDir = (node: Node) => (node.qid.type & QTDIR) !== 0;

/**
 * A request's cancellation, made only when asked for: most requests finish without anyone
 * looking at their signal, and an AbortController per request was a measurable part of
 * the read path.
 */
export class Cancel {
  private ctl: AbortController | undefined;
  /** Aborted when the request is flushed or its connection goes. */
  get signal(): AbortSignal { return (this.ctl ??= new AbortController()).signal; }
  get aborted(): boolean { return this.ctl?.signal.aborted ?? false; }
  abort(): void { (this.ctl ??= new AbortController()).abort(); }
  /** One already aborted (teardown). */
  static aborted(): Cancel { const c = new Cancel(); c.abort(); return c; }
}

/** The caller of a backend call; its signal is made when the backend first reads it. */
export const caller = (fid: Fid, cancel: Cancel): Caller => ({ ...fid.att.user, get signal() { return cancel.signal; } });

/** The backend's optional method, or the error a client expects when it is missing. */
export function need<K extends keyof Backend>(backend: Backend, op: K, changes = true): NonNullable<Backend[K]> {
  const fn = backend[op];
  if (typeof fn !== 'function') {
    throw changes ? withErrno(permission(`this file tree is read-only (${String(op)})`), 'EROFS') : unsupported(`this file tree has no ${String(op)}`);
  }
  return (fn as (...args: unknown[]) => unknown).bind(backend) as NonNullable<Backend[K]>;
}

/** Names a client may create or walk to: never empty, never with '/' or NUL. */
export function checkName(name: string, allowDots = false): void {
  if (name === '' || name.includes('/') || name.includes('\0')) throw invalid(`bad file name ${JSON.stringify(name)}`);
  if (!allowDots && (name === '.' || name === '..')) throw invalid(`${name} cannot be created or removed`);
  if (Buffer.byteLength(name) > 255) throw withErrno(invalid('file name longer than 255 bytes'), 'ENAMETOOLONG');
}

export const badFid = (what: string) => withErrno(invalid(what), 'EBADF');

/** Fails unless the fid is open in a mode that allows reading (or writing). */
export function openHandle(fid: Fid, forWrite: boolean): Handle {
  if (!fid.handle) throw badFid('fid is not open');
  const acc = (fid.openFlags ?? 0) & 3;
  if (forWrite ? acc === 0 : acc === 1) throw badFid(`fid is not open for ${forWrite ? 'writing' : 'reading'}`);
  return fid.handle;
}

export const notOpen = (fid: Fid) => {
  if (fid.handle || fid.xattr) throw badFid('fid is already open');
};
