// One 9P connection's state: the negotiated dialect and msize, the fid table and the
// outstanding tags. It takes whole frames in and hands frames out; it knows nothing of
// sockets (server.ts) nor of files (backends). Requests run concurrently and are answered
// in completion order. Flush rule: a flushed request whose operation fails (normally
// because the flush aborted it) gets no reply; one that had already succeeded, and so
// changed something, gets its reply. Either way Rflush goes out after that.
import { ColonyError, invalid, isColonyError } from '../errors.js';
import type { Log } from '../log.js';
import type { Attachment, AttachRouter, Handle, Transport } from './backend.js';
import { decode, encode, encodeParts, peekHeader, type ReplyBody } from './codec.js';
import { AT_REMOVEDIR, HEADER_BYTES, NOFID, NONUNAME, NOTAG, VERSION_9P2000, VERSION_9P2000L, type Dialect } from './constants.js';
import { E, enameFor, errnoFor, withErrno } from './errno.js';
import { badFid, caller, Cancel, isDir, need, type Fid } from './fid.js';
import type { LockTable } from './locks.js';
import type { AnyBody, Message } from './messages.js';
import { replyEstimate } from './limits.js';
import { handlers9P2000, handlers9P2000L, type Handler } from './ops.js';

export interface SessionOptions {
  router: AttachRouter;
  transport: Transport;
  /** Largest msize we agree to. */
  maxMsize: number;
  maxFids: number;
  /** Fids all sessions of the server hold together, and the most they may (shared, counted here). */
  fidPool?: FidPool;
  /** Largest frame taken until the first successful attach (see limits.ts). */
  preAuthMaxFrame?: number;
  locks: LockTable;
  log: Log;
  /** Writes one frame, given as pieces to be sent back to back. */
  send(parts: Buffer[]): boolean;
  /** The session found the byte stream unusable (e.g. a reused tag): drop the connection. */
  fail(reason: string): void;
  /** A request finished, so there may be room for more. */
  idle(): void;
  /** Counts a finished request by its T-message type, and whether it was answered with an error. */
  counted?(type: string, ok: boolean): void;
}

/** The server-wide fid count: each fid costs a few hundred bytes, so many connections at their own cap add up. */
export interface FidPool { used: number; max: number }

interface Pending {
  tag: number;
  abort: Cancel;
  flushed: boolean;
  done: Promise<void>;
  /** The request's frame plus its expected reply, held until the reply is queued (or dropped). */
  reserve: number;
}

/** The smallest msize we accept: room for a header, a walk and a few bytes of data. */
export const MIN_MSIZE = 512;

let nextSessionId = 1;

export class Session {
  readonly id = nextSessionId++;
  dialect: Dialect | undefined;
  msize: number;
  readonly fids = new Map<number, Fid>();
  /** Routes of the attaches made on this session, for NinepServer.disconnectRoute. */
  readonly routes = new Set<string>();
  private attachments: Attachment[] = [];
  /**
   * aname → the uname of this connection's first successful attach to it. The Linux client
   * attaches once with the mount's uname=, then once per local user with an empty uname
   * and only n_uname; the router reads it as AttachRequest.connectionUname.
   */
  private readonly unameOfAname = new Map<string, string>();
  private pending = new Map<number, Pending>();
  private closed = false;
  private reserved = 0;
  private everAttached = false;

  constructor(readonly opts: SessionOptions) {
    this.msize = opts.maxMsize;
  }

  get outstanding(): number { return this.pending.size; }
  get isClosed(): boolean { return this.closed; }
  /**
   * Whether an attach ever succeeded here. Over TCP that needs a token, so until then the
   * peer is a stranger and gets small frames only. It stays set across a new Tversion.
   */
  get attached(): boolean { return this.everAttached; }
  /** Reply bytes the requests now running may still queue (replyEstimate of each). */
  get reservedReplyBytes(): number { return this.reserved; }
  /** The largest frame the peer may send right now. */
  get maxFrame(): number { return this.everAttached ? this.msize : Math.min(this.msize, this.opts.preAuthMaxFrame ?? this.msize); }
  /** Largest Rread/Rreaddir payload. */
  get maxData(): number { return this.msize - HEADER_BYTES - 4; }
  /** The lock owner prefix of this session. */
  get lockPrefix(): string { return `s${this.id}/`; }

  fid(n: number): Fid {
    const f = this.fids.get(n);
    if (!f) throw badFid(`unknown fid ${n}`);
    return f;
  }

  setFid(n: number, f: Fid): void {
    if (n === NOFID) throw badFid('NOFID cannot name a file');
    const old = this.fids.get(n);
    if (!old && this.fids.size >= this.opts.maxFids) throw new ColonyError('COLONY_LIMIT', `more than ${this.opts.maxFids} fids on one connection`);
    const pool = this.opts.fidPool;
    if (!old && pool && pool.used >= pool.max) throw new ColonyError('COLONY_LIMIT', `the server holds ${pool.max} fids, its limit`);
    // Replacing a fid (a walk or xattrwalk onto itself) must not strand what it had open.
    if (old?.handle) throw badFid(`fid ${n} is open`);
    this.fids.set(n, f);
    if (!old && pool) pool.used++;
  }

  /**
   * Gives an opened handle to a fid, unless the fid was clunked (or opened by a racing
   * request) while the backend was opening: then the handle is released, not leaked.
   */
  async adopt(n: number, f: Fid, handle: Handle, flags: number): Promise<void> {
    if (this.closed || this.fids.get(n) !== f || f.handle) {
      await f.att.backend.release(handle);
      throw badFid(`fid ${n} changed while it was being opened`);
    }
    f.handle = handle;
    f.openFlags = flags;
  }

  /** Takes one whole frame from the peer. */
  receive(frame: Buffer): void {
    if (this.closed) return;
    const head = peekHeader(frame)!;
    let msg: Message;
    try {
      msg = decode(frame, this.dialect ?? VERSION_9P2000L);
    } catch (err) {
      // The header is sound (the framer checked the size), so answer on the tag unless
      // that tag is busy: then the stream is beyond repair.
      if (this.pending.has(head.tag)) { this.opts.fail(`malformed frame on a busy tag ${head.tag}`); return; }
      this.reply(head.tag, this.errorBody(err));
      return;
    }
    if (this.pending.has(msg.tag)) { this.opts.fail(`tag ${msg.tag} reused while outstanding`); return; }
    this.start(msg, frame.length);
  }

  private start(msg: Message, frameBytes: number): void {
    let settle!: () => void;
    // The request's own frame stays referenced while it runs (a Twrite's payload), so it counts too.
    const reserve = replyEstimate(msg, this.msize) + frameBytes;
    const p: Pending = { tag: msg.tag, abort: new Cancel(), flushed: false, done: new Promise((r) => { settle = r; }), reserve };
    this.pending.set(msg.tag, p);
    this.reserved += p.reserve;
    void this.run(msg, p).finally(() => {
      this.pending.delete(msg.tag);
      this.reserved -= p.reserve;
      settle();
      this.opts.idle();
    });
  }

  private async run(msg: Message, p: Pending): Promise<void> {
    let body: ReplyBody;
    let ok = true;
    try {
      body = await this.handle(msg, p);
    } catch (err) {
      ok = false;
      body = this.errorBody(err);
      if (!isColonyError(err) && !p.abort.aborted) this.opts.log.error({ err, type: msg.type }, '9p request failed unexpectedly');
    }
    this.opts.counted?.(msg.type, ok);
    if (this.closed || (p.flushed && !ok)) return;
    this.reply(msg.tag, body);
  }

  private reply(tag: number, body: ReplyBody): void {
    if (this.closed) return;
    const dialect = this.dialect ?? VERSION_9P2000L;
    let parts: Buffer[];
    try {
      parts = encodeParts({ ...body, tag } as ReplyBody & { tag: number }, dialect);
    } catch (err) {
      // A backend produced something that does not fit the wire (e.g. a name over 64 KiB).
      this.opts.log.error({ err, type: body.type }, '9p reply could not be encoded');
      parts = [encode({ ...this.errorBody(err), tag } as AnyBody & { tag: number }, dialect)];
    }
    if (parts.reduce((n, b) => n + b.length, 0) > this.msize) {
      parts = [encode({ ...this.errorBody(withErrno(invalid('reply larger than msize'), 'EMSGSIZE')), tag } as AnyBody & { tag: number }, dialect)];
    }
    this.opts.send(parts);
  }

  errorBody(err: unknown): AnyBody {
    return this.dialect === VERSION_9P2000L ? { type: 'Rlerror', ecode: errnoFor(err) } : { type: 'Rerror', ename: enameFor(err) };
  }

  private handle(msg: Message, p: Pending): Promise<ReplyBody> {
    if (msg.type === 'Tversion') return this.version(msg.msize, msg.version, p);
    if (!this.dialect) throw invalid(`${msg.type} before Tversion`);
    if (msg.type === 'Tflush') return this.flush(msg.oldtag, p);
    if (msg.type === 'Tattach') return this.attach(msg.fid, msg.afid, msg.uname, msg.aname, msg.nUname);
    // No authentication is needed: there is no auth file. Plan 9 clients then attach with
    // afid NOFID; Linux never sends Tauth unless told to.
    if (msg.type === 'Tauth') {
      return Promise.resolve(this.dialect === VERSION_9P2000L ? { type: 'Rlerror', ecode: E.ENOENT } : { type: 'Rerror', ename: 'authentication not required' });
    }
    const table = this.dialect === VERSION_9P2000L ? handlers9P2000L : handlers9P2000;
    const h = table[msg.type] as Handler<typeof msg.type> | undefined;
    if (!h) throw withErrno(invalid(`${msg.type} is not a ${this.dialect} request`), 'EOPNOTSUPP');
    return h(this, msg as never, p.abort);
  }

  private async version(msize: number, version: string, p: Pending): Promise<AnyBody> {
    // Tversion starts the session afresh: every other request is abandoned, every fid goes.
    for (const other of this.pending.values()) if (other !== p) { other.flushed = true; other.abort.abort(); }
    await Promise.all([...this.pending.values()].filter((o) => o !== p).map((o) => o.done));
    await this.releaseAll();
    const base = version.split('.')[0] ?? '';
    const digits = /^9P(\d{4})$/.exec(base)?.[1];
    const dialect: Dialect | undefined = version === VERSION_9P2000L ? VERSION_9P2000L : digits && Number(digits) >= 2000 ? VERSION_9P2000 : undefined;
    if (msize < MIN_MSIZE) throw invalid(`msize ${msize} is smaller than ${MIN_MSIZE}`);
    this.msize = Math.min(msize, this.opts.maxMsize);
    this.dialect = dialect;
    return { type: 'Rversion', msize: this.msize, version: dialect ?? 'unknown' };
  }

  private async flush(oldtag: number, p: Pending): Promise<AnyBody> {
    const target = this.pending.get(oldtag);
    if (target && target !== p && oldtag !== NOTAG) {
      target.flushed = true;
      target.abort.abort();
      await target.done;
    }
    return { type: 'Rflush' };
  }

  private async attach(fid: number, afid: number, uname: string, aname: string, nUname: number): Promise<AnyBody> {
    if (afid !== NOFID) throw withErrno(invalid('no authentication is needed: attach with afid NOFID'), 'EINVAL');
    if (this.fids.has(fid)) throw badFid(`fid ${fid} is in use`);
    const who = { aname, uname, peer: this.opts.transport.peer, kind: this.opts.transport.kind };
    const att = await this.opts.router({
      aname, uname, nUname: nUname === NONUNAME ? undefined : nUname, transport: this.opts.transport, dialect: this.dialect!,
      ...(this.unameOfAname.has(aname) ? { connectionUname: this.unameOfAname.get(aname)! } : {}),
    }).catch((err: unknown) => {
      this.opts.log.info({ ...who, err: err instanceof Error ? err.message : String(err) }, '9p attach refused');
      throw err;
    });
    this.opts.log.debug({ ...who, route: att.route }, '9p attach');
    if (this.closed) return { type: 'Rattach', qid: att.root.qid };
    if (att.route) this.routes.add(att.route);
    if (uname !== '' && !this.unameOfAname.has(aname)) this.unameOfAname.set(aname, uname);
    this.attachments.push(att);
    this.setFid(fid, { att, path: { node: att.root, name: '/' } });
    this.everAttached = true;
    return { type: 'Rattach', qid: att.root.qid };
  }

  /** Drops a fid: releases what it holds, commits a pending xattr, honours ORCLOSE. */
  async clunk(n: number, signal: Cancel): Promise<void> {
    const f = this.fid(n);
    this.fids.delete(n);
    if (this.opts.fidPool) this.opts.fidPool.used--;
    await this.releaseFid(f, signal);
  }

  private async releaseFid(f: Fid, signal: Cancel): Promise<void> {
    const c = caller(f, signal);
    const backend = f.att.backend;
    try {
      if (f.xattr?.mode === 'write') {
        const x = f.xattr;
        const value = Buffer.concat(x.chunks);
        if (x.written !== x.size) throw invalid(`xattr ${x.name}: ${x.written} of ${x.size} bytes written`);
        // Linux sends removexattr as an empty XATTR_REPLACE create.
        if (x.size === 0 && x.flags === 2) await need(backend, 'removexattr')(c, f.path.node, x.name);
        else await need(backend, 'setxattr')(c, f.path.node, x.name, value, x.flags);
      }
    } finally {
      if (f.handle) { const h = f.handle; f.handle = undefined; await backend.release(h); }
      if (f.removeOnClunk && f.path.up) {
        await need(backend, 'unlink')(c, f.path.up.node, f.path.name, isDir(f.path.node) ? AT_REMOVEDIR : 0);
      }
    }
  }

  private async releaseAll(): Promise<void> {
    const all = [...this.fids.values()];
    this.fids.clear();
    if (this.opts.fidPool) this.opts.fidPool.used -= all.length;
    const signal = Cancel.aborted();
    for (const f of all) {
      f.removeOnClunk = false; // ORCLOSE is for a clunk the client asked for, not a lost connection
      f.xattr = undefined;
      await this.releaseFid(f, signal).catch((err) => this.opts.log.warn({ err }, '9p release failed during teardown'));
    }
    this.opts.locks.releaseOwners(this.lockPrefix);
    const atts = this.attachments;
    this.attachments = [];
    this.routes.clear();
    this.unameOfAname.clear();
    for (const a of atts) {
      try { await a.detach?.(); } catch (err) { this.opts.log.warn({ err }, '9p detach failed'); }
    }
  }

  /** The connection is gone: abort everything, wait for it, release every fid. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.pending.values()) { p.flushed = true; p.abort.abort(); }
    await Promise.all([...this.pending.values()].map((p) => p.done));
    await this.releaseAll();
  }
}

