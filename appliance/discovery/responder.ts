// The in-process responder for one announcement (RFC 6762 §8): probe the unique names three
// times 250 ms apart, rename on a conflict (`name (2)`), announce twice a second apart, answer
// queries, defend the names, and say goodbye (TTL 0) on stop.
//
// Concurrency: one probe/announce sequence at a time, identified by `round`; a conflict or a
// lost tie-break bumps the round, so timers of an older round do nothing when they fire.
import type { RemoteInfo } from 'node:dgram';
import type { Log } from '../log.js';
import { answer, conflicts, instanceFqdn, nextName, probeLoses, recordsOf, uniqueNames, type Announcement, type Rec } from './records.js';
import { sendAll, type Mdns } from './sockets.js';

/** Renames at most this many times, then stops announcing (a LAN full of our name). */
export const MAX_RENAMES = 32;
const PROBE_MS = 250;

type Phase = 'probing' | 'announcing' | 'announced' | 'stopped' | 'failed';

export class Responder {
  private phase: Phase = 'probing';
  private round = 0;
  private records: Rec[];
  private renames = 0;
  /** What was last announced (sent with a TTL), until withdrawn: a rename says goodbye to its SRV and TXT. */
  private live: Rec[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly announced: Promise<void>;
  private resolveAnnounced!: () => void;

  constructor(private readonly sockets: Mdns[], private ann: Announcement, private readonly log: Log, private readonly onRename: (name: string, from: string) => void) {
    this.records = recordsOf(ann);
    this.announced = new Promise((r) => { this.resolveAnnounced = r; });
    for (const m of sockets) {
      m.on('query', (q: { questions: Rec[] & { name: string; type: string }[]; authorities?: Rec[] }, rinfo: RemoteInfo) => this.onQuery(m, q, rinfo));
      m.on('response', (r: { answers?: Rec[]; additionals?: Rec[] }) => this.onResponse([...(r.answers ?? []), ...(r.additionals ?? [])]));
    }
  }

  get name(): string { return this.ann.instance; }
  get state(): Phase { return this.phase; }

  /** Starts probing; resolves when the records are first announced (or the responder gave up). */
  start(): Promise<void> {
    this.probe(Math.floor(Math.random() * PROBE_MS));
    return this.announced;
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => { this.timers.delete(t); fn(); }, ms);
    t.unref();
    this.timers.add(t);
  }

  private probe(delay: number): void {
    const round = ++this.round;
    this.phase = 'probing';
    const unique = this.records.filter((r) => r.type === 'SRV' || r.type === 'TXT' || r.type === 'A');
    const questions = uniqueNames(this.ann).map((name) => ({ name, type: 'ANY' as const }));
    const step = (n: number) => {
      if (round !== this.round) return;
      if (n === 3) { this.announce(round); return; }
      void sendAll(this.sockets, (m, done) => m.query({ questions, authorities: unique }, () => done()));
      this.later(PROBE_MS, () => step(n + 1));
    };
    this.later(delay, () => step(0));
  }

  private announce(round: number): void {
    this.phase = 'announcing';
    const send = (n: number) => {
      if (round !== this.round) return;
      void sendAll(this.sockets, (m, done) => m.respond({ answers: this.records }, () => done()));
      if (n === 0) this.later(1000, () => send(1));
      else this.phase = 'announced';
      if (n === 0) this.live = this.records;
      if (n === 0) { this.log.info({ instance: this.ann.instance, host: `${this.ann.host}.local` }, 'announced on the LAN (mDNS)'); this.resolveAnnounced(); }
    };
    send(0);
  }

  private onQuery(m: Mdns, q: { questions: Array<{ name: string; type: string }>; authorities?: Rec[] }, _rinfo: RemoteInfo): void {
    if (this.phase === 'stopped' || this.phase === 'failed') return;
    if (this.phase === 'probing') {
      // Another host probing for our name at the same time (§8.2): the earlier data loses.
      for (const name of uniqueNames(this.ann)) {
        if (!q.questions.some((x) => x.name.toLowerCase() === name)) continue;
        if (probeLoses(this.records, q.authorities ?? [], name)) {
          this.log.debug({ instance: this.ann.instance }, 'lost a simultaneous probe: probing again in a second');
          this.probe(1000);
          return;
        }
      }
      return;
    }
    const { answers, additionals } = answer(this.records, q.questions as never);
    if (answers.length) m.respond({ answers, additionals });
  }

  private onResponse(records: Rec[]): void {
    if (this.phase === 'stopped' || this.phase === 'failed') return;
    if (!conflicts(this.records, this.ann, records)) return;
    if (this.phase !== 'probing') {
      // §9: an announced name challenged: probe it again; whoever still holds it answers.
      this.log.warn({ instance: this.ann.instance }, 'another host announces our name: probing again');
      this.probe(0);
      return;
    }
    if (++this.renames > MAX_RENAMES) {
      this.phase = 'failed';
      ++this.round;
      this.log.error({ instance: this.ann.instance, renames: MAX_RENAMES }, 'gave up announcing: every name tried is taken');
      this.resolveAnnounced();
      return;
    }
    const from = this.ann.instance;
    this.withdraw();
    this.ann = { ...this.ann, instance: nextName(from) };
    this.records = recordsOf(this.ann);
    this.log.warn({ from, to: this.ann.instance }, 'the name is taken on the LAN: renamed');
    this.onRename(this.ann.instance, from);
    this.probe(0);
  }

  /**
   * A name announced before and given up (§9, after a conflict once announced): its SRV and
   * TXT are withdrawn with TTL 0 so caches drop ours and keep the holder's. Not the shared
   * PTR, whose data the holder announces too; and no cache-flush bit, which would drop theirs.
   */
  private withdraw(): void {
    const old = this.live.filter((r) => r.type === 'SRV' || r.type === 'TXT').map((r) => ({ ...r, ttl: 0, flush: false }));
    this.live = [];
    if (old.length) void sendAll(this.sockets, (m, done) => m.respond({ answers: old }, () => done()));
  }

  /** Goodbye (TTL 0) for what was announced, then quiet. Sockets are closed by the caller. */
  async stop(): Promise<void> {
    const was = this.phase;
    this.phase = 'stopped';
    ++this.round;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.resolveAnnounced();
    if (was === 'announcing' || was === 'announced') {
      await sendAll(this.sockets, (m, done) => m.respond({ answers: recordsOf(this.ann, true) }, () => done()));
      this.log.info({ instance: this.ann.instance }, 'said goodbye on the LAN (mDNS)');
    }
  }

  /** The announced instance's full name (for logs and tests). */
  get fqdn(): string { return instanceFqdn(this.ann.instance); }
}
