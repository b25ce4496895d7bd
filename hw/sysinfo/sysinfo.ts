// The poller: a sample every config.pollSeconds, and the inventory once, on demand.
//
// Concurrency: one poll at a time. sample() while a poll runs (the timer's or another
// caller's) returns that same poll's promise instead of starting a second one. The timer
// is re-armed only after a poll ends, so a slow read (a thermal driver asleep on I2C)
// delays the next poll rather than stacking polls. onSample listeners run synchronously
// after each successful poll, before its promise resolves. stop() ends the timer and
// kills a running inventory probe; a poll already running completes but tells no one,
// and the board's files are closed after it.
import { closed } from '../../appliance/errors.js';
import type { Log } from '../../appliance/log.js';
import { readInventory } from './inventory.js';
import { BoardReader } from './read.js';
import type { Inventory, SysinfoConfig, SysSample } from './types.js';

export interface Sysinfo {
  /** The last sample read, or undefined before the first poll ends. */
  latest(): SysSample | undefined;
  /** A fresh sample (joins a poll already running). Rejects if memory, load or uptime cannot be read. */
  sample(): Promise<SysSample>;
  /** Read once, lazily, and kept; never rejects (falls back to direct reads). systeminformation runs here only. */
  inventory(): Promise<Inventory>;
  stop(): void;
  /** Called after every successful poll; returns the function that unsubscribes. */
  onSample(fn: (s: SysSample) => void): () => void;
}

export interface SysinfoOptions {
  config: SysinfoConfig;
  dataDir: string;
  log: Log;
  /** '' or absent: the real /proc and /sys; otherwise a simulated board's directory. */
  root?: string;
  /** How long the inventory's systeminformation probe may run (default 15 s). */
  inventoryTimeoutMs?: number;
}

export function startSysinfo(opts: SysinfoOptions): Sysinfo {
  const poller = new Poller(opts);
  poller.start();
  return poller;
}

class Poller implements Sysinfo {
  private last: SysSample | undefined;
  private running: Promise<SysSample> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly listeners = new Set<(s: SysSample) => void>();
  private reader: Promise<BoardReader> | undefined;
  private inv: Promise<Inventory> | undefined;
  private readonly abort = new AbortController();
  private readonly root: string;
  private readonly log: Log;
  /** What the last poll could not read (a failure, or optional parts): logged when it first appears. */
  private failing: string | undefined;
  private problems = new Set<string>();
  private toldNoThermal = false;

  constructor(private readonly opts: SysinfoOptions) {
    this.root = opts.root ?? '';
    this.log = opts.log;
  }

  start() {
    if (this.root) this.log.info({ root: this.root }, 'sysinfo: simulated board (proc/ and sys/ read under root)');
    this.tick();
  }

  latest() { return this.last; }

  sample(): Promise<SysSample> {
    if (this.stopped) return Promise.reject(closed('sysinfo'));
    return this.poll();
  }

  inventory(): Promise<Inventory> {
    this.inv ??= readInventory({ root: this.root, log: this.log, signal: this.abort.signal, timeoutMs: this.opts.inventoryTimeoutMs }).then((inv) => {
      this.log.info({ board: inv.board, os: inv.os, kernel: inv.kernel, arch: inv.arch, cpus: inv.cpus }, 'sysinfo: inventory');
      return inv;
    });
    return this.inv;
  }

  onSample(fn: (s: SysSample) => void): () => void {
    this.listeners.add(fn);
    return () => { this.listeners.delete(fn); };
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.abort.abort();
    this.listeners.clear();
    const reader = this.reader;
    this.reader = undefined;
    if (reader) void (this.running ?? Promise.resolve()).catch(() => {}).then(() => reader).then((r) => r.close(), () => {});
  }

  private tick() {
    this.poll().catch(() => { /* told in poll() */ }).finally(() => {
      if (this.stopped) return;
      this.timer = setTimeout(() => this.tick(), this.opts.config.pollSeconds * 1000);
      this.timer.unref(); // the poller never keeps the process alive on its own
    });
  }

  private poll(): Promise<SysSample> {
    this.running ??= this.read().finally(() => { this.running = undefined; });
    return this.running;
  }

  private async read(): Promise<SysSample> {
    const problems: string[] = [];
    let s: SysSample;
    try {
      // Opened once and kept; opened again on the next poll if opening failed.
      if (!this.reader) {
        const opening = BoardReader.open(this.root);
        opening.catch(() => { if (this.reader === opening) this.reader = undefined; });
        this.reader = opening;
      }
      s = await (await this.reader).sample(this.opts.dataDir, problems);
    } catch (err) {
      const text = err instanceof Error ? err.message : String(err);
      if (text !== this.failing && !this.stopped) this.log.warn({ err }, 'sysinfo: cannot read a sample; the last one stands');
      this.failing = text;
      throw err;
    }
    if (this.stopped) return s;
    if (this.failing !== undefined) this.log.info({}, 'sysinfo: samples are read again');
    this.failing = undefined;
    for (const problem of problems) if (!this.problems.has(problem)) this.log.warn({ problem }, 'sysinfo: part of the sample could not be read');
    this.problems = new Set(problems);
    if (s.temperatureC === null && !this.toldNoThermal) {
      this.toldNoThermal = true;
      this.log.info({}, 'sysinfo: no thermal zone; the temperature is not known here');
    }
    this.last = s;
    for (const fn of [...this.listeners]) {
      try { fn(s); } catch (err) { this.log.error({ err }, 'sysinfo: a sample listener threw'); }
    }
    return s;
  }
}
