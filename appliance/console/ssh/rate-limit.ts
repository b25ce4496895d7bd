// Failed-login limiting, as pure data: each key (a source address, a user name) counts
// its recent failures. After a few free ones every failure is answered later and later
// (exponential delay), and past a threshold the key is locked out for a window. Time is
// passed in, so tests speak in counts and milliseconds without waiting.
//
// A password check takes a while (scrypt), so an attempt is counted from the moment it
// starts (`begin`, a reservation) until it is settled: a key's failures plus its attempts
// in flight never pass the threshold, and parallel guesses beyond it are refused before
// any check. The table is bounded; when it is full, keys without a lockout or an attempt
// in flight make room (oldest first). A lockout is never dropped to make room: with the
// table full of lockouts, an attempt naming a key the table does not hold is refused
// unchecked ('full') until lockouts expire, so filling the table frees nobody's guesses.

export interface LimiterOptions {
  /** Failures answered without delay. */
  freeFailures: number;
  /** Delay after the first failure past the free ones; doubles with each further failure. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Failures (within `forgetMs` of each other) that lock the key; attempts in flight count toward it. */
  lockAfter: number;
  /** How long a lockout lasts. */
  lockMs: number;
  /** A key with no failure for this long starts again from zero. */
  forgetMs: number;
  /** Most keys remembered, lockouts included; keys with neither a lockout nor an attempt in flight are dropped first, oldest first. */
  maxEntries: number;
}

export const LIMITER_DEFAULTS: LimiterOptions = {
  freeFailures: 3,
  baseDelayMs: 250,
  maxDelayMs: 4_000,
  lockAfter: 10,
  lockMs: 5 * 60_000,
  forgetMs: 15 * 60_000,
  maxEntries: 10_000,
};

interface Entry { failures: number; last: number; lockedUntil: number; pending: number }

export interface LimitState {
  /** True while the key is locked out: attempts are refused without being checked. */
  locked: boolean;
  /** When the lockout ends (ms since the epoch); 0 when not locked. */
  until: number;
  failures: number;
  /** Attempts begun and not yet settled. */
  pending: number;
}

export interface FailureVerdict {
  /** Wait this long before answering the failure. */
  delayMs: number;
  /** This failure locked the key. */
  lockedNow: boolean;
  failures: number;
}

/** One attempt in flight: settle it exactly once. */
export interface Ticket { readonly keys: readonly string[]; settled: boolean }

export type Admission =
  | { ok: true; ticket: Ticket }
  /**
   * Refused without a check: `locked` (a lockout in force), `busy` (failures plus attempts
   * in flight reach the threshold) or `full` (a key the full table does not hold).
   */
  | { ok: false; reason: 'locked' | 'busy' | 'full'; key: string };

/** The delay owed after the n-th failure (1-based), by the options. */
export function delayFor(n: number, o: Pick<LimiterOptions, 'freeFailures' | 'baseDelayMs' | 'maxDelayMs'>): number {
  const over = n - o.freeFailures;
  if (over <= 0 || o.baseDelayMs <= 0) return 0;
  return Math.min(o.maxDelayMs, o.baseDelayMs * 2 ** Math.min(over - 1, 30));
}

export class FailureLimiter {
  readonly options: LimiterOptions;
  /** Keys not locked, oldest activity first (a touch moves a key to the end). */
  private readonly open = new Map<string, Entry>();
  /** Locked keys, in the order they were locked; lockMs is fixed, so also in expiry order. */
  private readonly locked = new Map<string, Entry>();

  constructor(options: Partial<LimiterOptions> = {}) {
    this.options = { ...LIMITER_DEFAULTS, ...options };
  }

  /** The key's entry as of `now`: expired lockouts lifted, stale counts forgotten. */
  private current(key: string, now: number): Entry | undefined {
    const held = this.locked.get(key);
    if (held) {
      if (held.lockedUntil > now) return held;
      // The lockout is over: the next failure starts a fresh count past the free ones.
      this.locked.delete(key);
      held.lockedUntil = 0;
      held.failures = 0;
      held.last = now;
      this.open.set(key, held);
      return held;
    }
    const e = this.open.get(key);
    if (e && e.pending === 0 && now - e.last >= this.options.forgetMs) {
      this.open.delete(key);
      return undefined;
    }
    return e;
  }

  /** Moves an open key to the end of the order (it is the freshest now). */
  private touch(key: string, e: Entry, now: number): void {
    e.last = now;
    if (e.lockedUntil !== 0) return;
    this.open.delete(key);
    this.open.set(key, e);
  }

  /**
   * The key's entry, made if need be. Making one in a full table first drops expired
   * lockouts, then the oldest open key with no attempt in flight; undefined when every
   * entry is a lockout in force or busy.
   */
  private slot(key: string, now: number): Entry | undefined {
    const e = this.current(key, now);
    if (e) return e;
    if (this.size >= this.options.maxEntries) this.makeRoom(now);
    if (this.size >= this.options.maxEntries) return undefined;
    const made: Entry = { failures: 0, last: now, lockedUntil: 0, pending: 0 };
    this.open.set(key, made);
    return made;
  }

  private makeRoom(now: number): void {
    for (const [key, e] of this.locked) {
      if (e.lockedUntil > now) break; // expiry order: the rest are later
      this.locked.delete(key);
    }
    if (this.size < this.options.maxEntries) return;
    // Bounded by the table; in practice a few steps, as only attempts in flight are skipped.
    for (const [key, e] of this.open) {
      if (e.pending > 0) continue;
      this.open.delete(key);
      return;
    }
  }

  state(key: string, now: number): LimitState {
    const e = this.current(key, now);
    if (!e) return { locked: false, until: 0, failures: 0, pending: 0 };
    return { locked: e.lockedUntil > now, until: e.lockedUntil, failures: e.failures, pending: e.pending };
  }

  /**
   * Starts an attempt for all of `keys` (an address and a user), counting it on each
   * until `settle`. Refused, with nothing reserved, when a key is locked, when its
   * failures and attempts in flight already reach the threshold, or when the table is
   * full of lockouts and attempts and the key is not in it.
   */
  begin(keys: readonly string[], now: number): Admission {
    for (const key of keys) {
      const e = this.current(key, now);
      if (!e) continue;
      if (e.lockedUntil > now) return { ok: false, reason: 'locked', key };
      if (e.failures + e.pending >= this.options.lockAfter) return { ok: false, reason: 'busy', key };
    }
    const taken: string[] = [];
    for (const key of keys) {
      const e = this.slot(key, now);
      if (!e) {
        for (const k of taken) this.release(k, now);
        return { ok: false, reason: 'full', key };
      }
      e.pending++;
      this.touch(key, e, now);
      taken.push(key);
    }
    return { ok: true, ticket: { keys: taken, settled: false } };
  }

  /** Ends an attempt: a failure is counted on every key (delay and lockout as `fail`), a success forgets them. */
  settle(ticket: Ticket, ok: boolean, now: number): FailureVerdict {
    const verdict: FailureVerdict = { delayMs: 0, lockedNow: false, failures: 0 };
    if (ticket.settled) return verdict;
    ticket.settled = true;
    for (const key of ticket.keys) {
      this.release(key, now);
      if (ok) { this.succeed(key, now); continue; }
      const v = this.fail(key, now);
      verdict.delayMs = Math.max(verdict.delayMs, v.delayMs);
      verdict.lockedNow ||= v.lockedNow;
      verdict.failures = Math.max(verdict.failures, v.failures);
    }
    return verdict;
  }

  private release(key: string, now: number): void {
    const e = this.current(key, now);
    if (!e || e.pending === 0) return;
    e.pending--;
    if (e.pending === 0 && e.failures === 0 && e.lockedUntil === 0) this.open.delete(key);
  }

  /**
   * Records a failure not reserved by `begin` (a bad signed key); says how long to wait
   * before answering and whether the key is now locked. A key the full table cannot take
   * is not recorded.
   */
  fail(key: string, now: number): FailureVerdict {
    const e = this.slot(key, now);
    if (!e) return { delayMs: 0, lockedNow: false, failures: 0 };
    e.failures++;
    this.touch(key, e, now);
    let lockedNow = false;
    if (e.lockedUntil <= now && e.failures >= this.options.lockAfter) {
      e.lockedUntil = now + this.options.lockMs;
      this.open.delete(key);
      this.locked.set(key, e);
      lockedNow = true;
    }
    return { delayMs: delayFor(e.failures, this.options), lockedNow, failures: e.failures };
  }

  /** A success forgets the key's failures (not a lockout in force). */
  succeed(key: string, now: number): void {
    const e = this.current(key, now);
    if (!e || e.lockedUntil > now) return;
    e.failures = 0;
    if (e.pending === 0) this.open.delete(key);
  }

  /** Keys remembered, lockouts included. */
  get size(): number {
    return this.open.size + this.locked.size;
  }
}
