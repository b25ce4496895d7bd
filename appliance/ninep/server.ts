// The 9P server: accepts connections on TCP and unix sockets (or any duplex stream), cuts
// the byte stream into frames and feeds them to a Session. Backpressure: while a
// connection has too many requests outstanding, or its replies are not being read, we
// stop reading its socket, so one greedy client can only fill its own buffers.
// Strangers (no successful attach yet) get small frames, few requests and a deadline;
// TCP connections are capped overall and per address (limits.ts).
import { chmod, lstat, unlink } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { fromSystemError, invalid } from '../errors.js';
import { silentLog, type Log } from '../log.js';
import type { AttachRouter, Transport } from './backend.js';
import { FrameReader } from './codec.js';
import { Admission, DEFAULT_LIMITS, DEFAULT_MAX_FIDS, RateLimitedWarning, type NinepLimits } from './limits.js';
import { LockTable } from './locks.js';
import { Session, type FidPool } from './session.js';

/** 9P's registered port when we may bind it (root), else 5640. */
export const DEFAULT_PORT_ROOT = 564;
export const DEFAULT_PORT_USER = 5640;
export const defaultPort = (): number => (process.getuid?.() === 0 ? DEFAULT_PORT_ROOT : DEFAULT_PORT_USER);
export const DEFAULT_MAX_MSIZE = 1024 * 1024;

export type Address = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

/** `host:port`, `[v6]:port`, or a socket path (anything with a '/'). A bare host gets the default port. */
export function parseAddress(addr: string): Address {
  if (addr.includes('/')) return { kind: 'unix', path: addr };
  const m = /^(?:\[([^\]]+)\]|([^:]*))(?::(\d+))?$/.exec(addr);
  if (!m) throw invalid(`bad 9P address ${JSON.stringify(addr)}: use host:port or a socket path`);
  const port = m[3] === undefined ? defaultPort() : Number(m[3]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw invalid(`bad port in ${addr}`);
  return { kind: 'tcp', host: m[1] ?? (m[2] || '127.0.0.1'), port };
}

export interface NinepServerOptions {
  router: AttachRouter;
  /** Largest msize offered (default 1 MiB); clients asking for less get what they ask. */
  maxMsize?: number;
  /** Requests one connection may have outstanding before we stop reading it (default 64). */
  maxOutstanding?: number;
  /** Fids one connection may hold (default 16384); more answer EMFILE. */
  maxFids?: number;
  /** Connection caps, pre-attach limits, timeouts and the reply queue bound; see limits.ts for defaults. */
  limits?: Partial<NinepLimits>;
  log?: Log;
}

type ConnOptions = Required<Omit<NinepServerOptions, 'router' | 'limits'>> & { router: AttachRouter; locks: LockTable; limits: NinepLimits; fidPool: FidPool };

/** What the server holds for its peers right now, and what it turned away; for tests and status. */
export interface NinepUsage {
  connections: number;
  /** TCP connections counted against maxConnections. */
  tcpConnections: number;
  /** Connections without a successful attach yet. */
  unattached: number;
  /** Connections whose socket we stopped reading (backpressure). */
  paused: number;
  /** Bytes read from peers and not yet handed to a session (partial frames mostly). */
  bufferedBytes: number;
  /** Reply bytes queued in sockets for peers that have not read them yet. */
  queuedReplyBytes: number;
  /** Reply bytes the running requests may still add. */
  reservedReplyBytes: number;
  /** Connections closed at accept by the caps. */
  refused: number;
  /** Connections closed for a timeout or a bad frame. */
  dropped: number;
}

export interface Listener {
  /** host:port with the real port, or the socket path. */
  address: string;
  close(): Promise<void>;
}

class Connection {
  readonly frames: FrameReader;
  readonly session: Session;
  paused = false;
  private readonly maxOutstanding: number;
  private readonly limits: NinepLimits;
  private frameTimer: NodeJS.Timeout | undefined;
  private handshakeTimer: NodeJS.Timeout | undefined;
  readonly closed: Promise<void>;

  constructor(private server: NinepServer, readonly stream: Duplex, readonly transport: Transport, opts: ConnOptions) {
    this.limits = opts.limits;
    this.session = new Session({
      router: opts.router, transport, maxMsize: opts.maxMsize, maxFids: opts.maxFids, fidPool: opts.fidPool, locks: opts.locks, log: opts.log,
      preAuthMaxFrame: opts.limits.preAuthMaxFrame,
      counted: (type, ok) => server.countRequest(type, ok),
      send: (parts) => {
        if (stream.destroyed) return false;
        if (parts.length === 1) return stream.write(parts[0]);
        // Corked, the pieces leave in one writev: one frame, no copy of the payload.
        stream.cork();
        let ok = true;
        for (const p of parts) ok = stream.write(p) && ok;
        stream.uncork();
        return ok;
      },
      fail: (reason) => this.drop(reason),
      idle: () => { this.pump(); server.wakeHeld(this); },
    });
    this.frames = new FrameReader(this.session.maxFrame);
    if (this.limits.handshakeTimeoutMs > 0) {
      this.handshakeTimer = setTimeout(() => { if (!this.session.attached) this.drop('no attach within the handshake timeout'); }, this.limits.handshakeTimeoutMs);
      this.handshakeTimer.unref();
    }
    stream.on('data', (chunk: Buffer) => { this.frames.push(chunk); this.pump(); });
    stream.on('drain', () => { this.pump(); server.wakeHeld(this); });
    stream.on('error', (err) => opts.log.debug({ err, peer: transport.peer }, '9p connection error'));
    this.closed = new Promise((resolve) => {
      stream.once('close', () => {
        clearTimeout(this.handshakeTimer);
        this.stopFrameClock();
        void this.session.close().finally(resolve);
      });
      stream.once('end', () => stream.destroy());
    });
    this.maxOutstanding = opts.maxOutstanding;
  }

  /** Starts as many buffered requests as the limits allow. Bounded by the frames buffered. */
  pump(): void {
    if (this.session.isClosed || this.stream.destroyed) return;
    let progressed = false;
    for (;;) {
      const busy = this.busy();
      if (busy) {
        if (busy === 'server') this.server.holdBack(this);
        if (!this.paused) { this.paused = true; this.stream.pause(); }
        // Not reading is our choice, so a frame left half-read is not the peer's delay.
        this.stopFrameClock();
        return;
      }
      let frame: Buffer | undefined;
      try {
        // A frame above the limit is refused from its size field, before its body is buffered.
        this.frames.maxSize = this.session.maxFrame;
        frame = this.frames.next();
      } catch (err) {
        this.drop(`framing error: ${err instanceof Error ? err.message : String(err)}`);
        return;
      }
      if (!frame) break;
      progressed = true;
      this.session.receive(frame);
      if (this.stream.destroyed) return;
    }
    if (this.paused) { this.paused = false; this.stream.resume(); }
    if (progressed || this.frames.bufferedBytes === 0) this.stopFrameClock();
    if (this.frames.bufferedBytes > 0) this.startFrameClock();
  }

  /** What this connection holds: queued replies, running requests (frames and expected replies), buffered input. */
  heldBytes(): number {
    return (this.stream.writableLength ?? 0) + this.session.reservedReplyBytes + this.frames.bufferedBytes;
  }

  /**
   * Whether to stop reading, and why: too many requests or replies the peer is not taking
   * ('self'), or the server as a whole holds too much and this connection more than its
   * fair share ('server').
   */
  private busy(): false | 'self' | 'server' {
    const s = this.session;
    const max = s.attached ? this.maxOutstanding : Math.min(this.maxOutstanding, this.limits.preAuthMaxOutstanding);
    if (s.outstanding >= max) return 'self';
    const sock = this.stream as Partial<Socket>;
    if (sock.writableNeedDrain) return 'self';
    // Counting what running requests may still answer keeps a burst of big Treads from
    // all starting before the first reply shows in writableLength.
    const own = (sock.writableLength ?? 0) + s.reservedReplyBytes;
    if (own >= this.limits.maxQueuedReplyBytes) return 'self';
    // Buffered input is not ours to count here: a connection with little running must always
    // start its next request, or connections holding only input could wait on each other.
    if (own > this.limits.fairShareBytes && this.server.heldBytes() >= this.limits.maxHeldBytes) return 'server';
    return false;
  }

  /** A partial frame must be whole within frameTimeoutMs of its first byte being read (slowloris). */
  private startFrameClock(): void {
    if (this.frameTimer || this.limits.frameTimeoutMs <= 0) return;
    this.frameTimer = setTimeout(() => { this.frameTimer = undefined; this.drop('a frame did not arrive within the frame timeout'); }, this.limits.frameTimeoutMs);
    this.frameTimer.unref();
  }

  private stopFrameClock(): void {
    clearTimeout(this.frameTimer);
    this.frameTimer = undefined;
  }

  /** Closes the connection for the peer's misbehaviour (warned at a bounded rate). */
  drop(reason: string): void {
    if (this.stream.destroyed) return;
    this.server.noteDropped({ peer: this.transport.peer, reason });
    this.stream.destroy();
  }
}

export class NinepServer {
  readonly log: Log;
  readonly locks = new LockTable();
  private conns = new Set<Connection>();
  private listeners = new Set<Server>();
  private opts: ConnOptions;
  private readonly admission: Admission;
  private refused = 0;
  private readonly requests = new Map<string, number>();
  private readonly errors = new Map<string, number>();
  private dropped = 0;
  private readonly refusedWarning: RateLimitedWarning;
  private readonly droppedWarning: RateLimitedWarning;

  constructor(options: NinepServerOptions) {
    this.log = options.log ?? silentLog;
    const limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.opts = {
      router: options.router, maxMsize: options.maxMsize ?? DEFAULT_MAX_MSIZE, maxOutstanding: options.maxOutstanding ?? 64,
      maxFids: options.maxFids ?? DEFAULT_MAX_FIDS, log: this.log, locks: this.locks, limits, fidPool: { used: 0, max: limits.maxTotalFids },
    };
    this.admission = new Admission(limits);
    this.refusedWarning = new RateLimitedWarning(this.log, '9p connection refused');
    this.droppedWarning = new RateLimitedWarning(this.log, '9p connection dropped');
  }

  /** Connections paused because the server held too much; woken when any connection lets go. */
  private readonly heldBack = new Set<Connection>();

  /** The bytes all connections hold (see NinepLimits.maxHeldBytes). O(connections): asked only past a fair share. */
  heldBytes(): number {
    let n = 0;
    for (const c of this.conns) n += c.heldBytes();
    return n;
  }

  holdBack(conn: Connection): void { this.heldBack.add(conn); }

  /** A connection let go of something: retry those held back for the server's sake (not `from`, already pumped). */
  wakeHeld(from: Connection): void {
    if (this.heldBack.size === 0 || this.heldBytes() >= this.opts.limits.maxHeldBytes) return;
    const waiting = [...this.heldBack].filter((c) => c !== from);
    // Each one holds itself back again (pump → holdBack) if the total rises past the limit.
    for (const c of waiting) {
      this.heldBack.delete(c);
      if (!c.stream.destroyed) c.pump();
    }
  }

  /** Counts and (rate-limited) logs a connection closed for misbehaving. */
  noteDropped(fields: { peer: string; reason: string }): void {
    this.dropped++;
    this.droppedWarning.note(fields);
  }

  /** Serves one already-connected stream (a socket, or one end of a socketpair in tests). */
  serve(stream: Duplex, transport: Transport): { session: Session; closed: Promise<void> } {
    const conn = new Connection(this, stream, transport, this.opts);
    this.conns.add(conn);
    void conn.closed.then(() => { this.conns.delete(conn); this.heldBack.delete(conn); this.wakeHeld(conn); });
    return { session: conn.session, closed: conn.closed };
  }

  /** Listens on `host:port` or a unix socket path. A unix socket is made mode 0600. */
  async listen(addr: string): Promise<Listener> {
    const a = parseAddress(addr);
    let ready = a.kind === 'tcp';
    const srv = createServer({ pauseOnConnect: false, noDelay: true }, (sock) => {
      // noDelay: a 9P reply is one write the client waits for; Nagle would hold it for the peer's delayed ACK.
      // Until the socket file is 0600 nobody may be served: drop anyone who got in early.
      if (!ready) { sock.destroy(); return; }
      if (a.kind === 'unix') { this.serve(sock, { kind: 'unix', peer: a.path }); return; }
      // Only TCP is capped: the unix socket is root's (0600), and must work while TCP is flooded.
      const ip = sock.remoteAddress ?? '?';
      const verdict = this.admission.admit(ip);
      if (verdict !== 'ok') {
        this.refused++;
        this.refusedWarning.note({ remote: ip, reason: verdict, open: this.admission.open });
        sock.destroy();
        return;
      }
      const { closed } = this.serve(sock, { kind: 'tcp', peer: `${ip}:${sock.remotePort}` });
      void closed.then(() => this.admission.release(ip));
    });
    if (a.kind === 'unix') await removeStaleSocket(a.path);
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      const done = () => { srv.off('error', reject); resolve(); };
      if (a.kind === 'tcp') { srv.listen(a.port, a.host, done); return; }
      // A restrictive umask makes the socket 0600 from birth where we may set it (not in workers).
      let old: number | undefined;
      try { old = process.umask(0o177); } catch { old = undefined; }
      try { srv.listen(a.path, done); } finally { if (old !== undefined) process.umask(old); }
    }).catch((err) => { throw fromSystemError(err, `listening on ${addr}`); });
    if (a.kind === 'unix') await chmod(a.path, 0o600);
    ready = true;
    // Accept can fail (EMFILE under a flood); without a listener that would be an uncaught error.
    srv.on('error', (err) => this.log.error({ err, address: addr }, '9p listener error'));
    this.listeners.add(srv);
    const bound = srv.address();
    const address = a.kind === 'unix' ? a.path : typeof bound === 'object' && bound ? `${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}` : addr;
    this.log.info({ address }, '9p listening');
    return {
      address,
      // Stops accepting at once; sessions already running go on until they end or close().
      // (net.Server's own close callback would wait for every connection to end.)
      close: async () => {
        this.listeners.delete(srv);
        if (srv.listening) srv.close();
      },
    };
  }

  /** Cuts off every connection with an attach through `route` (e.g. a revoked token). Returns how many. */
  disconnectRoute(route: string): number {
    let n = 0;
    for (const c of this.conns) if (c.session.routes.has(route)) { c.stream.destroy(); n++; }
    return n;
  }

  /** Requests answered since start by T-message type, and those answered with an error (for /metrics). */
  requestCounts(): { requests: Record<string, number>; errors: Record<string, number> } {
    return { requests: Object.fromEntries(this.requests), errors: Object.fromEntries(this.errors) };
  }

  countRequest(type: string, ok: boolean): void {
    this.requests.set(type, (this.requests.get(type) ?? 0) + 1);
    if (!ok) this.errors.set(type, (this.errors.get(type) ?? 0) + 1);
  }

  stats(): { connections: number; fids: number; outstanding: number; locks: number } {
    let fids = 0, outstanding = 0;
    for (const c of this.conns) { fids += c.session.fids.size; outstanding += c.session.outstanding; }
    return { connections: this.conns.size, fids, outstanding, locks: this.locks.size };
  }

  usage(): NinepUsage {
    const u: NinepUsage = {
      connections: this.conns.size, tcpConnections: this.admission.open, unattached: 0, paused: 0,
      bufferedBytes: 0, queuedReplyBytes: 0, reservedReplyBytes: 0, refused: this.refused, dropped: this.dropped,
    };
    for (const c of this.conns) {
      if (!c.session.attached) u.unattached++;
      if (c.paused) u.paused++;
      u.bufferedBytes += c.frames.bufferedBytes;
      u.queuedReplyBytes += c.stream.writableLength;
      u.reservedReplyBytes += c.session.reservedReplyBytes;
    }
    return u;
  }

  /** Stops listening, drops every connection and waits until each has released its fids. */
  async close(): Promise<void> {
    const stopped = [...this.listeners].map((s) => new Promise<void>((r) => s.close(() => r())));
    this.listeners.clear();
    const all = [...this.conns];
    for (const c of all) c.stream.destroy();
    await Promise.all(all.map((c) => c.closed));
    await Promise.all(stopped);
  }
}

/** A socket file nobody answers on is left over from a crash; one that answers is in use. */
async function removeStaleSocket(path: string): Promise<void> {
  const st = await lstat(path).catch(() => undefined);
  if (!st) return;
  if (!st.isSocket()) throw invalid(`${path} exists and is not a socket`);
  const alive = await new Promise<boolean>((resolve) => {
    const s = createConnection(path);
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
  if (alive) throw invalid(`${path} is in use by another server`);
  await unlink(path);
}
