// The supervisor's side of issue 18: appliance/gc behind the console's GcRunner (`gc`,
// `usage`), a collection by itself every gc.intervalHours, the per-user quotas that save and
// import ask before they write, and the store's disk reserve turned into a health reason.
//
// Concurrency: one collection at a time. A `gc` while one runs (scheduled or asked) gets
// COLONY_LOCKED from appliance/gc; a dry run too, since its plan would race the deletions.
// Usage is measured at the call; a quota check uses a measurement at most USAGE_FRESH_MS
// old, so a user can pass their quota by what they store within that minute (one save or
// import, in practice), never more.
import type { Catalog } from '../catalog/index.js';
import type { GcReport, GcRunner, UsageReport } from '../console/index.js';
import { bytes as formatBytes } from '../console/format.js';
import { ColonyError, quota as quotaError } from '../errors.js';
import { collectGarbage, heldNow, usageByUser, usageInputs, usageReport, WriteHolds } from '../gc/index.js';
import type { Grid } from '../grid/index.js';
import type { GcFigures } from '../web/index.js';
import type { Log } from '../log.js';
import type { BlockStore } from '../store/index.js';

const USAGE_FRESH_MS = 60_000;
const RESERVE_POLL_MS = 15_000;

export interface GcServiceOptions {
  store: BlockStore;
  catalog: Catalog;
  /** The grid once it is open (environments hold blocks too). */
  grid: () => Grid | undefined;
  /** Names whose blocks are still arriving by eager replication: their blocks may come before the blocks that point at them. */
  pendingNames: () => number;
  log: Log;
  gc: { maxUnusedPercent: number; bytesPerSecond: number; intervalHours: number };
  quota: { defaultBytes: number; perUser: Record<string, number> };
  /** Counts a collection as busy work (the LEDs' busy blink). */
  busy: <T>(what: string, fn: () => Promise<T>) => Promise<T>;
  /** The store refuses new blocks (below its reserve): a reason to be degraded, or none. */
  onReserve: (reasons: string[]) => void;
}

export class GcService implements GcRunner {
  /** Imports write through `holds`, so a collection keeps what they wrote before they name it. */
  readonly holds = new WriteHolds();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly abort = new AbortController();
  private measured: { at: number; bytes: Map<string, number> } | undefined;
  private last: { at: string; report: GcReport } | undefined;
  private readonly totals = { runs: 0, freedBytes: 0, writtenBytes: 0 };
  private said = '';
  private readonly unwatch: () => void;

  constructor(private readonly o: GcServiceOptions) {
    if (o.gc.intervalHours > 0) {
      this.timers.push(setInterval(() => { void this.scheduled(); }, o.gc.intervalHours * 3_600_000));
    }
    this.timers.push(setInterval(() => { void this.watchReserve(); }, RESERVE_POLL_MS));
    for (const t of this.timers) t.unref();
    void this.watchReserve();
    // A name registered or forgotten changes what users hold: measure again at the next check.
    this.unwatch = o.catalog.onEvent((events) => { if (events.some((e) => e.type.startsWith('name.'))) this.measured = undefined; });
  }

  /** What the collector did since start, for the front panel and /metrics. */
  figures(): GcFigures {
    const l = this.last;
    return { ...this.totals, last: l ? { at: l.at, freedBytes: l.report.freedBytes, seconds: l.report.seconds } : null };
  }

  async run(options: { dryRun: boolean; by: string }): Promise<GcReport> {
    const { store, log } = this.o;
    const pending = this.o.pendingNames();
    if (pending > 0 && !options.dryRun) {
      throw new ColonyError('COLONY_LOCKED', `${pending} name${pending === 1 ? ' is' : 's are'} still arriving from peers, and their blocks can come before the blocks that point at them: gc waits until they are whole (gc --dry-run shows the plan)`);
    }
    return this.o.busy(options.dryRun ? 'planning gc' : 'collecting garbage', async () => {
      const report = await this.holds.collecting(() => collectGarbage({
        store, log, dryRun: options.dryRun, signal: this.abort.signal,
        roots: async () => heldNow({ catalog: this.o.catalog, grid: this.o.grid(), holds: this.holds }),
        bytesPerSecond: this.o.gc.bytesPerSecond, maxUnusedFraction: this.o.gc.maxUnusedPercent / 100,
      }));
      if (!options.dryRun) {
        this.last = { at: new Date().toISOString(), report };
        this.totals.runs++;
        this.totals.freedBytes += report.freedBytes;
        this.totals.writtenBytes += report.writtenBytes;
        this.measured = undefined;
        log.info({ by: options.by, freedBytes: report.freedBytes, writtenBytes: report.writtenBytes, rewritten: report.rewrite.length, removed: report.remove.length, seconds: report.seconds },
          `gc freed ${formatBytes(report.freedBytes)}`);
        void this.watchReserve();
      }
      return report;
    });
  }

  private async scheduled(): Promise<void> {
    try {
      await this.run({ dryRun: false, by: 'schedule' });
    } catch (err) {
      // A run already going, or names still arriving: the next interval tries again.
      this.o.log.info({ err }, 'scheduled gc skipped');
    }
  }

  async usage(): Promise<UsageReport> {
    const { catalog, store } = this.o;
    const admin = catalog.listUsers().find((u) => u.role === 'admin')?.name;
    const inputs = usageInputs(catalog.allNames(), admin ? this.o.grid()?.status(admin) ?? [] : []);
    const usage = await usageByUser({ store, rootsByUser: inputs.rootsByUser, signal: this.abort.signal });
    this.measured = { at: Date.now(), bytes: new Map(usage.map((u) => [u.user, u.bytes])) };
    const quotas = new Map<string, number>();
    for (const user of new Set([...inputs.names.keys(), ...inputs.environments.keys(), ...Object.keys(this.o.quota.perUser)])) {
      const limit = this.limitOf(user);
      if (limit > 0) quotas.set(user, limit);
    }
    return usageReport({ usage, names: inputs.names, environments: inputs.environments, quotas, storeBytes: (await store.stats()).diskBytes });
  }

  private limitOf(user: string): number {
    return Object.hasOwn(this.o.quota.perUser, user) ? this.o.quota.perUser[user]! : this.o.quota.defaultBytes;
  }

  /** Throws COLONY_QUOTA when `user` holds their quota or more. Asked before a save or an import writes. */
  async checkQuota(user: string): Promise<void> {
    const limit = this.limitOf(user);
    if (limit === 0) return;
    if (!this.measured || Date.now() - this.measured.at > USAGE_FRESH_MS) await this.usage();
    const used = this.measured?.bytes.get(user) ?? 0;
    if (used >= limit) {
      throw quotaError(`${user} holds ${formatBytes(used)} and the quota is ${formatBytes(limit)}: forget names you no longer need and boom idle environments (an admin then runs gc), or ask an admin to raise quota.perUser.${user}`);
    }
  }

  /** The store's reserve as a health reason: degraded while it refuses new blocks. */
  private async watchReserve(): Promise<void> {
    try {
      const r = (await this.o.store.stats()).reserve;
      const reasons = r.refusing ? [`store: ${formatBytes(r.freeBytes)} free, below the reserve of ${formatBytes(r.bytes)}: new blocks are refused (forget names, then gc)`] : [];
      const text = reasons.join();
      if (text !== this.said) { this.said = text; this.o.onReserve(reasons); }
    } catch (err) {
      this.o.log.debug({ err }, 'reading the store reserve failed');
    }
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.unwatch();
    this.abort.abort();
  }
}
