// Browses `_colony._tcp` (RFC 6763 §4): asks at once and then at doubling intervals up to a
// minute (RFC 6762 §5.2), asks for the SRV/TXT/A records an instance still lacks, keeps what
// it hears in BrowseCache, and calls `onChange` with the found nodes when they change.
//
// Concurrency: one timer chain; responses only update the cache and schedule one coalesced
// change check, so a burst of packets costs one callback.
import { BrowseCache, type Found } from './browse.js';
import { COLONY_TYPE, type Rec } from './records.js';
import { sendAll, type Mdns } from './sockets.js';

export const MAX_QUERY_INTERVAL_MS = 60_000;

export class Browser {
  readonly cache = new BrowseCache();
  private interval = 1000;
  private timer: NodeJS.Timeout | undefined;
  private pending: NodeJS.Timeout | undefined;
  private last = '';
  private stopped = false;
  private current: Found[] = [];

  constructor(private readonly sockets: Mdns[], private readonly onChange: (found: Found[]) => void, private readonly now: () => number = Date.now) {
    for (const m of sockets) m.on('response', (r: { answers?: Rec[]; additionals?: Rec[] }) => this.heard([...(r.answers ?? []), ...(r.additionals ?? [])]));
  }

  start(): void { this.ask(); }

  found(): Found[] { return this.current; }

  private ask(): void {
    if (this.stopped) return;
    this.cache.expire(this.now());
    const questions = [{ name: COLONY_TYPE, type: 'PTR' as const }, ...this.cache.missing(this.now())];
    void sendAll(this.sockets, (m, done) => m.query({ questions }, () => done()));
    this.check();
    this.timer = setTimeout(() => this.ask(), this.interval);
    this.timer.unref();
    this.interval = Math.min(MAX_QUERY_INTERVAL_MS, this.interval * 2);
  }

  private heard(records: Rec[]): void {
    if (this.stopped) return;
    this.cache.apply(records, this.now());
    if (this.cache.missing(this.now()).length > 0) {
      // A new instance: ask for its missing records now, not at the next interval.
      void sendAll(this.sockets, (m, done) => m.query({ questions: this.cache.missing(this.now()) }, () => done()));
    }
    if (this.pending) return;
    this.pending = setTimeout(() => { this.pending = undefined; this.check(); }, 50);
    this.pending.unref();
  }

  private check(): void {
    if (this.stopped) return;
    const found = this.cache.found(this.now());
    const key = JSON.stringify(found);
    if (key === this.last) return;
    this.last = key;
    this.current = found;
    this.onChange(found);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.pending);
  }
}
