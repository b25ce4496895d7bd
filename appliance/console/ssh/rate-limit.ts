// Failed-login limiting, as pure data: each key (a source address, a user name) counts
// its recent failures. After a few free ones every failure is answered later and later
// (exponential delay), and past a threshold the key is locked out for a window. Time is
// passed in, so tests speak in counts and milliseconds without waiting.

export interface LimiterOptions {
  /** Failures answered without delay. */
  freeFailures: number;
  /** Delay after the first failure past the free ones; doubles with each further failure. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Failures (within `forgetMs` of each other) that lock the key. */
  lockAfter: number;
  /** How long a lockout lasts. */
  lockMs: number;
  /** A key with no failure for this long starts again from zero. */
  forgetMs: number;
  /** Most keys remembered; the stalest are dropped first. */
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

interface Entry { failures: number; last: number; lockedUntil: number }

export interface LimitState {
  /** True while the key is locked out: attempts are refused without being checked. */
  locked: boolean;
  /** When the lockout ends (ms since the epoch); 0 when not locked. */
  until: number;
  failures: number;
}

export interface FailureVerdict {
  /** Wait this long before answering the failure. */
  delayMs: number;
  /** This failure locked the key. */
  lockedNow: boolean;
  failures: number;
}

/** The delay owed after the n-th failure (1-based), by the options. */
export function delayFor(n: number, o: Pick<LimiterOptions, 'freeFailures' | 'baseDelayMs' | 'maxDelayMs'>): number {
  const over = n - o.freeFailures;
  if (over <= 0 || o.baseDelayMs <= 0) return 0;
  return Math.min(o.maxDelayMs, o.baseDelayMs * 2 ** Math.min(over - 1, 30));
}

export class FailureLimiter {
  readonly options: LimiterOptions;
  private readonly entries = new Map<string, Entry>();

  constructor(options: Partial<LimiterOptions> = {}) {
    this.options = { ...LIMITER_DEFAULTS, ...options };
  }

  private current(key: string, now: number): Entry | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.lockedUntil <= now && now - e.last >= this.options.forgetMs) {
      this.entries.delete(key);
      return undefined;
    }
    if (e.lockedUntil !== 0 && e.lockedUntil <= now) {
      // The lockout is over: the next failure starts a fresh count past the free ones.
      e.lockedUntil = 0;
      e.failures = 0;
    }
    return e;
  }

  state(key: string, now: number): LimitState {
    const e = this.current(key, now);
    if (!e) return { locked: false, until: 0, failures: 0 };
    return { locked: e.lockedUntil > now, until: e.lockedUntil, failures: e.failures };
  }

  /** Records a failure; says how long to wait before answering and whether the key is now locked. */
  fail(key: string, now: number): FailureVerdict {
    let e = this.current(key, now);
    if (!e) {
      e = { failures: 0, last: now, lockedUntil: 0 };
      this.entries.set(key, e);
      this.trim();
    } else {
      // Refresh its place in the insertion order, so trimming drops the stalest keys.
      this.entries.delete(key);
      this.entries.set(key, e);
    }
    e.failures++;
    e.last = now;
    let lockedNow = false;
    if (e.lockedUntil <= now && e.failures >= this.options.lockAfter) {
      e.lockedUntil = now + this.options.lockMs;
      lockedNow = true;
    }
    return { delayMs: delayFor(e.failures, this.options), lockedNow, failures: e.failures };
  }

  /** A success forgets the key's failures (not a lockout in force). */
  succeed(key: string, now: number): void {
    const e = this.current(key, now);
    if (e && e.lockedUntil <= now) this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }

  private trim(): void {
    while (this.entries.size > this.options.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
  }
}
