// What a block receiver tells `peers` about one peer, kept as plain numbers (pure, with the
// clock passed in): the peer's head against our cursor (lag in log bytes, and in entries of
// its log where the pages we read tell us), what we received, a transfer rate over a recent
// window, the receiver's state and its last error, and the percent of the peer's log read
// during a sync (with a throttle for the progress log line of a long one).
//
// Concurrency: one receiver owns one tracker and calls it from its single loop; stats()
// copies, so readers (the console) never see it half-updated.

export type ReceiverState = 'idle' | 'syncing' | 'backoff' | 'paused: disk full';

export interface ReceiverStats {
  sessions: number;
  pages: number;
  /** Blocks received and stored (verified), and their bytes. */
  fetched: number;
  fetchedBytes: number;
  /** Blocks the peer could not serve (moved past), and blocks refused (wrong hash). */
  gaveUp: number;
  rejected: number;
  state: ReceiverState;
  /** The peer's log head as last heard (hello, page, head notice), in log bytes. */
  peerHead?: number;
  /** Our cursor in the peer's log: everything before it is durable here. */
  cursor?: number;
  /** peerHead − cursor. */
  lagBytes?: number;
  /** Entries (blocks) of the peer's log past our cursor: exact when the last page read reached its head, else estimated from the average entry size. */
  lagBlocks?: number;
  lagBlocksExact?: boolean;
  /** Bytes received per second over the last `RATE_WINDOW_MS`. */
  rateBytesPerSec: number;
  /** While syncing: the share of the peer's log our cursor has passed (0–100). */
  percent?: number;
  lastError?: { code: string; message: string; at: string };
  /** How many times the receiver paused because the disk was full. */
  diskFullPauses: number;
}

export const RATE_WINDOW_MS = 10_000;
const BUCKET_MS = 1_000;

/** Bytes per second over the last `windowMs`, in 1 s buckets (bounded: window/1 s + 1 of them). */
export class RateWindow {
  private buckets: Array<{ at: number; bytes: number }> = [];
  constructor(private readonly windowMs = RATE_WINDOW_MS) {}

  add(bytes: number, now: number): void {
    const at = Math.floor(now / BUCKET_MS) * BUCKET_MS;
    const last = this.buckets[this.buckets.length - 1];
    if (last && last.at === at) last.bytes += bytes;
    else this.buckets.push({ at, bytes });
    this.trim(now);
  }

  rate(now: number): number {
    this.trim(now);
    if (this.buckets.length === 0) return 0;
    const bytes = this.buckets.reduce((sum, b) => sum + b.bytes, 0);
    // Over the time the window really covers (at least a second), so a burst is not diluted by a window it never filled.
    const span = Math.max(BUCKET_MS, Math.min(this.windowMs, now - this.buckets[0]!.at));
    return Math.round((bytes * 1000) / span);
  }

  private trim(now: number): void {
    while (this.buckets.length > 0 && this.buckets[0]!.at <= now - this.windowMs - BUCKET_MS) this.buckets.shift();
  }
}

export class ReceiverTracker {
  readonly counts = { sessions: 0, pages: 0, fetched: 0, fetchedBytes: 0, gaveUp: 0, rejected: 0, diskFullPauses: 0 };
  state: ReceiverState = 'idle';
  private head: number | undefined;
  private cursor: number | undefined;
  /** The last page's entry start positions and where it ended. */
  private page: { positions: number[]; next: number } | undefined;
  private entryBytes = 0;
  private entries = 0;
  private readonly rate = new RateWindow();
  private lastError: ReceiverStats['lastError'];
  /** Since when the current sync runs, and when progress was last logged. */
  private syncSince: number | undefined;
  private loggedAt = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** A session's hello: a new view of the peer's log (its earlier page may be of another epoch). */
  hello(head: number): void { this.counts.sessions++; this.page = undefined; this.peerHead(head); }

  /** The peer's head as heard now (never moves back within a session but may after a new epoch). */
  peerHead(head: number): void { this.head = head; this.update(); }

  at(cursor: number): void { this.cursor = cursor; this.update(); }

  pageRead(positions: number[], ends: number[], next: number): void {
    this.counts.pages++;
    this.page = { positions, next };
    for (let i = 0; i < positions.length; i++) { this.entryBytes += ends[i]! - positions[i]!; this.entries++; }
  }

  received(bytes: number): void {
    this.counts.fetched++;
    this.counts.fetchedBytes += bytes;
    this.rate.add(bytes, this.now());
  }

  failed(err: unknown): void {
    const e = err as { code?: string; message?: string };
    this.lastError = { code: e?.code ?? 'COLONY_INTERNAL', message: String(e?.message ?? err), at: new Date(this.now()).toISOString() };
  }

  private update(): void {
    if (this.state === 'backoff' || this.state === 'paused: disk full') return;
    const behind = this.head !== undefined && this.cursor !== undefined && this.cursor < this.head;
    this.state = behind ? 'syncing' : 'idle';
    if (behind) this.syncSince ??= this.now();
    else this.syncSince = undefined;
  }

  /** Sets a waiting state (backoff, paused) or leaves it (idle/syncing by the numbers). */
  setState(state: ReceiverState): void {
    this.state = state;
    if (state === 'idle' || state === 'syncing') this.update();
  }

  /** A progress record to log when a sync has run `everyMs` and none was logged for `everyMs`; else undefined. */
  progressDue(everyMs: number): { percent: number; cursor: number; peerHead: number; lagBytes: number; rateBytesPerSec: number } | undefined {
    const now = this.now();
    if (this.state !== 'syncing' || this.syncSince === undefined || now - this.syncSince < everyMs || now - this.loggedAt < everyMs) return undefined;
    this.loggedAt = now;
    const s = this.stats();
    return { percent: s.percent!, cursor: s.cursor!, peerHead: s.peerHead!, lagBytes: s.lagBytes!, rateBytesPerSec: s.rateBytesPerSec };
  }

  stats(): ReceiverStats {
    const out: ReceiverStats = { ...this.counts, state: this.state, rateBytesPerSec: this.rate.rate(this.now()) };
    if (this.head !== undefined) out.peerHead = this.head;
    if (this.cursor !== undefined) out.cursor = this.cursor;
    if (this.head !== undefined && this.cursor !== undefined) {
      const lag = Math.max(0, this.head - this.cursor);
      out.lagBytes = lag;
      if (lag === 0) {
        out.lagBlocks = 0;
        out.lagBlocksExact = true;
      } else if (this.page && this.page.next >= this.head) {
        out.lagBlocks = this.page.positions.filter((p) => p >= this.cursor!).length;
        out.lagBlocksExact = true;
      } else if (this.entries > 0) {
        out.lagBlocks = Math.ceil(lag / (this.entryBytes / this.entries));
        out.lagBlocksExact = false;
      }
      if (this.state === 'syncing' && this.head > 0) out.percent = Math.floor((Math.min(this.cursor, this.head) * 100) / this.head);
    }
    if (this.lastError) out.lastError = { ...this.lastError };
    return out;
  }
}
