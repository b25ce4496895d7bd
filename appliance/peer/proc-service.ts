// `/colony/proc/1` over the peer node: the answering side (a member's `list`/`kill` served
// from the local ProcProvider, the supervisor's executor) and the asking side (one
// ProcSource per member connected now, for the global /proc tree). Messages and bounds:
// proc-protocol.ts.
//
// Trust: node.handle admits members only (the gater, then a re-check per stream), and the
// user named must be a live user of the catalog (`userExists`); the provider then filters
// what that user may see or kill, exactly as for a local session.
//
// Bounds: one request a stream, read within `timeoutMs`; the provider answers within
// `serveTimeoutMs` (else COLONY_TIMEOUT is sent back; a kill that finishes later still
// happens); at most `maxStreamsPerPeer` requests from one peer at once (more are answered
// COLONY_LIMIT, and libp2p resets streams beyond twice that per connection); replies are
// bounded by planProcessesReply. An ask is bounded as a whole by `timeoutMs` (opening the
// stream, writing, the reply): a peer that does not answer in time is COLONY_TIMEOUT and
// its stream is reset, so the tree shows it unreachable instead of hanging. A reply that is
// malformed or out of bounds is COLONY_PROTOCOL; nothing a peer sends can throw elsewhere.
//
// Concurrency: handlers run concurrently (one per inbound stream); sources may be called
// concurrently, each call its own stream, at most `maxStreamsPerPeer` at once per peer
// (more fail COLONY_LIMIT at once). setProcProvider may be called at any time; a request
// uses the provider set when it arrived. stop() resets open streams and is idempotent.
import { ColonyError, isColonyError } from '../errors.js';
import type { Log } from '../log.js';
import { FrameReader, writeParts, encodeFrame } from './frames.js';
import type { PeerNode } from './node.js';
import {
  PROC_PROTOCOL, MAX_REQUEST_HEADER, MAX_REPLY_HEADER, errorReply, parseProcReply, parseProcRequest, planProcessesReply, replyError,
  type ProcInfo, type ProcReply, type ProcRequest,
} from './proc-protocol.js';
import type { PeerStream } from './stream.js';

/** What this node serves its members from: the executor (ExecService fits, structurally). */
export interface ProcProvider {
  processes(user: string): Promise<ProcInfo[]>;
  kill(user: string, env: string, pid: number, sig: NodeJS.Signals): Promise<void>;
}

/** One member connected now, as the global /proc tree reads it. */
export interface ProcSource {
  /** The member's node id, as `peers` shows it. */
  readonly node: string;
  list(user: string): Promise<ProcInfo[]>;
  /** Default SIGKILL, as ExecService.kill. */
  kill(user: string, env: string, pid: number, sig?: NodeJS.Signals): Promise<void>;
}

export interface ProcProtocolOptions {
  node: PeerNode;
  /** Member peers connected now. */
  peers(): string[];
  /** True when `user` is a live user of the catalog. */
  userExists(user: string): boolean;
  /** Set later with setProcProvider (the executor starts after the peer network). */
  provider?: ProcProvider;
  log: Log;
  /** An ask as a whole, and the wait for a request; default ASK_TIMEOUT_MS. */
  timeoutMs?: number;
  /** The provider's time to answer a request here; default SERVE_TIMEOUT_MS. */
  serveTimeoutMs?: number;
  maxStreamsPerPeer?: number;
}

export const ASK_TIMEOUT_MS = 2_000;
/** Under the asker's bound, so a slow provider is reported as such rather than as a silent peer. */
export const SERVE_TIMEOUT_MS = 1_500;
export const MAX_STREAMS_PER_PEER = 8;

export interface ProcStats { served: number; refused: number; asked: number; failed: number; dropped: number }

export interface ProcProtocol {
  /** One source per member connected now. */
  procSources(): ProcSource[];
  setProcProvider(p: ProcProvider | undefined): void;
  stats(): ProcStats;
  stop(): Promise<void>;
}

const protocolError = (detail: string) => new ColonyError('COLONY_PROTOCOL', `${PROC_PROTOCOL}: ${detail}`);

/** `work` or COLONY_TIMEOUT after `ms`; the timer never outlives it. */
async function within<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new ColonyError('COLONY_TIMEOUT', `${what} took over ${ms} ms`)), ms); });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Registers the handler and returns the asking side. */
export async function startProcProtocol(o: ProcProtocolOptions): Promise<ProcProtocol> {
  const log = o.log.child({ protocol: 'proc' });
  const timeoutMs = o.timeoutMs ?? ASK_TIMEOUT_MS;
  const serveTimeoutMs = o.serveTimeoutMs ?? SERVE_TIMEOUT_MS;
  const maxPerPeer = o.maxStreamsPerPeer ?? MAX_STREAMS_PER_PEER;
  const counts: ProcStats = { served: 0, refused: 0, asked: 0, failed: 0, dropped: 0 };
  let provider = o.provider;
  let stopped = false;
  const open = new Set<PeerStream>();
  const serving = new Map<string, number>(); // peer → requests being served
  const asking = new Map<string, number>(); // peer → asks in flight
  const inc = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  const dec = (m: Map<string, number>, k: string) => { const n = (m.get(k) ?? 1) - 1; if (n <= 0) m.delete(k); else m.set(k, n); };

  async function answer(req: ProcRequest): Promise<ProcReply> {
    if (!o.userExists(req.user)) return errorReply(new ColonyError('COLONY_NOT_FOUND', `user '${req.user}' not found`));
    const p = provider;
    if (!p) return errorReply(new ColonyError('COLONY_UNSUPPORTED', 'this node runs no processes'));
    if (req.t === 'list') {
      const { reply, dropped } = planProcessesReply(await within(p.processes(req.user), serveTimeoutMs, 'listing the processes'));
      counts.dropped += dropped;
      if (dropped > 0) log.warn({ dropped }, 'processes that do not fit the wire were left out of a reply');
      return reply;
    }
    await within(p.kill(req.user, req.env, req.pid, req.sig), serveTimeoutMs, `signalling process ${req.pid}`);
    return { t: 'killed' };
  }

  await o.node.handle(PROC_PROTOCOL, async (stream) => {
    if (stopped) { stream.abort(new ColonyError('COLONY_CLOSED', 'proc protocol stopped')); return; }
    const peer = stream.remotePeer;
    open.add(stream);
    inc(serving, peer);
    try {
      let reply: ProcReply;
      if (serving.get(peer)! > maxPerPeer) {
        counts.refused++;
        reply = errorReply(new ColonyError('COLONY_LIMIT', `over ${maxPerPeer} requests at once`));
      } else {
        const reader = new FrameReader(stream, { maxHeader: MAX_REQUEST_HEADER, maxBody: 0 }, parseProcRequest);
        const f = await reader.next(timeoutMs);
        if (f === 'timeout' || f === undefined) throw protocolError(`${peer} sent no request`);
        counts.served++;
        reply = await answer(f.msg).catch((err: unknown) => errorReply(err));
      }
      await writeParts(stream, encodeFrame(reply, undefined, MAX_REPLY_HEADER));
      await stream.end();
    } finally {
      dec(serving, peer);
      open.delete(stream);
    }
  }, { maxInboundStreams: 2 * maxPerPeer });

  /** One request to `peer` and its reply (an `error` reply is thrown as its code), all within timeoutMs. */
  async function ask(peer: string, req: ProcRequest): Promise<ProcReply> {
    if (stopped) throw new ColonyError('COLONY_CLOSED', 'proc protocol stopped');
    // Checked here as the peer will check it: a bad argument is the caller's COLONY_INVALID, not a reset stream.
    try { parseProcRequest(req); } catch (err) { throw new ColonyError('COLONY_INVALID', (err as ColonyError).detail); }
    if ((asking.get(peer) ?? 0) >= maxPerPeer) throw new ColonyError('COLONY_LIMIT', `${peer}: over ${maxPerPeer} requests at once`);
    const timedOut = () => new ColonyError('COLONY_TIMEOUT', `${peer} did not answer within ${timeoutMs} ms (unreachable)`);
    const started = Date.now();
    const left = () => Math.max(1, timeoutMs - (Date.now() - started));
    inc(asking, peer);
    counts.asked++;
    let stream: PeerStream | undefined;
    let expired = false;
    // Resets the stream at the deadline, whatever step (write, read) is waiting.
    const timer = setTimeout(() => { expired = true; stream?.abort(timedOut()); }, timeoutMs);
    let reply: ProcReply;
    try {
      stream = await o.node.newStream(peer, PROC_PROTOCOL, { signal: AbortSignal.timeout(timeoutMs) });
      open.add(stream);
      if (expired) throw timedOut();
      await writeParts(stream, encodeFrame(req, undefined, MAX_REQUEST_HEADER));
      const reader = new FrameReader(stream, { maxHeader: MAX_REPLY_HEADER, maxBody: 0 }, parseProcReply);
      const f = await reader.next(left());
      if (f === 'timeout') throw timedOut();
      if (f === undefined) throw protocolError(`${peer} ended the stream without a reply`);
      reply = f.msg;
      const expected = req.t === 'list' ? 'processes' : 'killed';
      if (reply.t !== expected && reply.t !== 'error') throw protocolError(`${peer} answered '${reply.t}' to '${req.t}'`);
      await stream.end().catch(() => {});
    } catch (err) {
      // Any timeout on our side (the open's signal, the timer, the read) is the peer's silence.
      const e = expired || isColonyError(err, 'COLONY_TIMEOUT') ? timedOut()
        : isColonyError(err) ? err : new ColonyError('COLONY_IO', `${peer}: ${(err as Error)?.message ?? String(err)}`, { cause: err });
      counts.failed++;
      stream?.abort(e);
      throw e;
    } finally {
      clearTimeout(timer);
      dec(asking, peer);
      if (stream) open.delete(stream);
    }
    // An answer, not a failure: the peer's code (NOT_FOUND, PERMISSION, …) with the node named.
    if (reply.t === 'error') throw replyError(peer, reply);
    return reply;
  }

  const source = (peer: string): ProcSource => ({
    node: peer,
    async list(user) {
      const reply = await ask(peer, { t: 'list', user });
      if (reply.t !== 'processes') throw protocolError(`${peer} answered '${reply.t}' to 'list'`);
      if (reply.truncated) log.info({ peer, shown: reply.procs.length }, 'a peer left processes out of its list (over the reply bound)');
      return reply.procs;
    },
    async kill(user, env, pid, sig = 'SIGKILL') {
      await ask(peer, { t: 'kill', user, env, pid, sig });
    },
  });

  return {
    procSources: () => (stopped ? [] : o.peers().map(source)),
    setProcProvider(p) { provider = p; },
    stats: () => ({ ...counts }),
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const s of open) s.abort(new ColonyError('COLONY_CLOSED', 'proc protocol stopped'));
      open.clear();
    },
  };
}
