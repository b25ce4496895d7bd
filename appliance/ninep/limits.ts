// What one 9P peer may cost us before and after it has proven itself. An attach (which
// over TCP needs an environment's token) is the proof: until then a connection gets only
// small frames, few requests and a deadline. Pure helpers here; server.ts applies them.
import type { Log } from '../log.js';
import { HEADER_BYTES } from './constants.js';
import type { Message } from './messages.js';

export interface NinepLimits {
  /** TCP connections served at once; more are closed at accept (unix sockets are not counted). */
  maxConnections: number;
  /** TCP connections from one remote address at once. */
  maxPerAddress: number;
  /** Largest frame taken before the connection's first successful attach (a Tversion or Tattach is tiny). */
  preAuthMaxFrame: number;
  /** Requests outstanding at once before the first successful attach. */
  preAuthMaxOutstanding: number;
  /** From accept to the first successful attach; 0 = no deadline. Attached connections may idle forever (mounts do). */
  handshakeTimeoutMs: number;
  /** A frame whose first bytes arrived must be whole within this; 0 = no deadline (slowloris). */
  frameTimeoutMs: number;
  /**
   * Reply bytes one connection may have queued for a peer that does not read, counting
   * what its running requests may still answer: beyond it no new request is read.
   */
  maxQueuedReplyBytes: number;
  /**
   * What all connections together may hold (queued replies, running requests' frames and
   * expected replies, buffered input). Past it, a connection holding more than
   * `fairShareBytes` is not read until the total falls; one holding less always is, so
   * every client keeps moving and a few greedy ones cannot fill the board's memory.
   */
  maxHeldBytes: number;
  fairShareBytes: number;
  /** Fids all connections may hold together (a few hundred bytes each); past it walks answer EMFILE. */
  maxTotalFids: number;
}

export const DEFAULT_LIMITS: NinepLimits = {
  maxConnections: 256,
  maxPerAddress: 32,
  preAuthMaxFrame: 8192,
  preAuthMaxOutstanding: 4,
  handshakeTimeoutMs: 30_000,
  frameTimeoutMs: 60_000,
  maxQueuedReplyBytes: 4 * 1024 * 1024,
  maxHeldBytes: 64 * 1024 * 1024,
  fairShareBytes: 256 * 1024,
  maxTotalFids: 131072,
};

/** Fids one connection may hold unless told otherwise (about 200 bytes each). */
export const DEFAULT_MAX_FIDS = 16384;

/** What we assume any reply other than a read's costs: a header, qids, a stat, an error string. */
const SMALL_REPLY = 512;

/**
 * The most bytes the reply to `msg` is expected to take on the wire: reads and readdirs
 * answer up to their count (never more than msize); everything else is small. Used to
 * reserve room before a request starts, so requests already running cannot push the
 * queue far past maxQueuedReplyBytes.
 */
export function replyEstimate(msg: Message, msize: number): number {
  if (msg.type === 'Tread' || msg.type === 'Treaddir') return Math.min(msize, msg.count + HEADER_BYTES + 4);
  return Math.min(msize, SMALL_REPLY);
}

/**
 * A warning that may fire in bursts (refused connections): the first goes out, then at
 * most one per `intervalMs`, carrying how many were held back meanwhile.
 */
export class RateLimitedWarning {
  private last = -Infinity;
  private held = 0;
  constructor(private readonly log: Log, private readonly msg: string, private readonly intervalMs = 10_000, private readonly now = Date.now) {}

  note(fields: object): void {
    const t = this.now();
    if (t - this.last < this.intervalMs) { this.held++; return; }
    this.last = t;
    this.log.warn({ ...fields, ...(this.held ? { suppressedSinceLastWarning: this.held } : {}) }, this.msg);
    this.held = 0;
  }
}

/** Counts open TCP connections overall and per remote address. */
export class Admission {
  private total = 0;
  private readonly perAddress = new Map<string, number>();
  constructor(private readonly limits: Pick<NinepLimits, 'maxConnections' | 'maxPerAddress'>) {}

  get open(): number { return this.total; }

  /** Takes a slot for `ip`, or says why not. The caller must `release(ip)` once for each slot taken. */
  admit(ip: string): 'ok' | 'too many connections' | 'too many connections from this address' {
    if (this.total >= this.limits.maxConnections) return 'too many connections';
    const n = this.perAddress.get(ip) ?? 0;
    if (n >= this.limits.maxPerAddress) return 'too many connections from this address';
    this.total++;
    this.perAddress.set(ip, n + 1);
    return 'ok';
  }

  release(ip: string): void {
    this.total--;
    const n = (this.perAddress.get(ip) ?? 1) - 1;
    if (n > 0) this.perAddress.set(ip, n); else this.perAddress.delete(ip);
  }
}
