// The supervisor owns the data directory while it runs: it opens the services in
// dependency order, reports health, and closes them in reverse on shutdown. Later issues
// add services (catalog, 9P, SSH, peers) to `start` and `stop`.
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureDir } from '../files.js';
import type { Log } from '../log.js';
import { BlockStore, type StoreOptions } from '../store/index.js';

export type HealthState = 'booting' | 'ready' | 'stopping' | 'stopped' | 'error';

export interface SupervisorOptions {
  data: string;
  log: Log;
  store?: Omit<StoreOptions, 'log'>;
}

export class Supervisor {
  private store: BlockStore | undefined;
  private state: HealthState = 'booting';
  private readonly started = Date.now();

  constructor(private readonly opts: SupervisorOptions) {}

  get blockStore(): BlockStore | undefined { return this.store; }
  get health(): HealthState { return this.state; }

  async start(): Promise<void> {
    const { data, log } = this.opts;
    await ensureDir(data);
    await this.writeHealth('booting');
    this.store = await BlockStore.open(join(data, 'store'), { ...this.opts.store, log: log.child({ service: 'store' }) });
    const stats = await this.store.stats();
    log.info({ data, blocks: stats.blocks, hash: stats.hash }, 'store open');
    await this.writeHealth('ready');
    log.info({ pid: process.pid }, 'colony supervisor ready');
  }

  /** Stops every service. Safe to call twice and after a failed start. */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    await this.writeHealth('stopping').catch(() => {});
    try {
      await this.store?.close();
    } finally {
      this.store = undefined;
      await this.writeHealth('stopped').catch(() => {});
      this.opts.log.info({}, 'colony supervisor stopped');
    }
  }

  /** The health file is replaced atomically, so a reader never sees half of it. */
  private async writeHealth(state: HealthState): Promise<void> {
    this.state = state;
    const file = join(this.opts.data, 'health.json');
    const body = JSON.stringify({ state, pid: process.pid, started: new Date(this.started).toISOString(), updated: new Date().toISOString() });
    await writeFile(`${file}.tmp`, body + '\n');
    await rename(`${file}.tmp`, file);
  }
}
