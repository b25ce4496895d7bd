// The supervisor owns the data directory while it runs: it opens the services in
// dependency order (store, catalog, grid, 9P, SSH), reports health, and closes them in
// reverse on shutdown, so disk environments are checkpointed and the store is synced.
import { rename, writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { Catalog } from '../catalog/index.js';
import { SshConsole, gridInterpreter, type ListenAddress } from '../console/ssh/index.js';
import { ensureDir } from '../files.js';
import { Grid } from '../grid/index.js';
import type { Log } from '../log.js';
import { NinepServer, type Listener } from '../ninep/index.js';
import { BlockStore } from '../store/index.js';
import { defaultConfig, type Config } from './config.js';
import { listenConsole } from './console-socket.js';
import { gridRouter } from './ninep-routes.js';
import { nodeIdOf } from './node-id.js';

export type HealthState = 'booting' | 'ready' | 'stopping' | 'stopped' | 'error';

export interface SupervisorOptions {
  data: string;
  log: Log;
  config?: Config;
  /** Called once with the first admin's one-time password, if this start created it. */
  onFirstAdmin?: (name: string, password: string) => void;
  /** The package version, for the console's `node` command. */
  version?: string;
  /** An admin asked for a shutdown over SSH; the caller stops the process cleanly. */
  onShutdown?: (by: string) => void;
}

/** A service the supervisor started, closed in reverse order. */
interface Running { name: string; close(): Promise<void> }

export class Supervisor {
  private state: HealthState = 'booting';
  private readonly started = Date.now();
  private readonly running: Running[] = [];
  private listeners: Listener[] = [];
  readonly config: Config;
  store: BlockStore | undefined;
  catalog: Catalog | undefined;
  grid: Grid | undefined;
  ninep: NinepServer | undefined;
  nodeId = '';
  sshAddress: ListenAddress | undefined;

  constructor(private readonly opts: SupervisorOptions) {
    this.config = opts.config ?? defaultConfig();
  }

  get blockStore(): BlockStore | undefined { return this.store; }
  get health(): HealthState { return this.state; }
  /** Where each 9P listener ended up (host:port with the real port, or the socket path). */
  get ninepAddresses(): string[] { return this.listeners.map((l) => l.address); }

  async start(): Promise<void> {
    const { data, log } = this.opts;
    const cfg = this.config;
    await ensureDir(data);
    await this.writeHealth('booting');
    this.nodeId = await nodeIdOf(data);

    const store = await BlockStore.open(join(data, 'store'), { arenaBytes: cfg.store.arenaBytes, cacheBytes: cfg.store.cacheBytes, log: log.child({ service: 'store' }) });
    this.store = store;
    this.running.push({ name: 'store', close: () => store.close() });

    const catalog = await Catalog.open(join(data, 'catalog'), { nodeId: this.nodeId, log: log.child({ service: 'catalog' }) });
    this.catalog = catalog;
    this.running.push({ name: 'catalog', close: () => catalog.close() });
    const first = await catalog.ensureAdmin();
    if (first.created && first.password) this.opts.onFirstAdmin?.(first.name, first.password);

    const firstTcp = cfg.ninep.listen[0];
    const port = firstTcp ? Number(firstTcp.split(':').pop()) : 564;
    const env = cfg.environments;
    const grid = await Grid.open({
      data, store, catalog, log: log.child({ service: 'grid' }), port,
      limits: {
        perNode: env.maxPerNode, perUser: env.maxPerUser, ramCacheBytes: env.ramCacheBytes, diskCacheBytes: env.diskCacheBytes,
        checkpointMs: env.checkpointSeconds * 1000, saveTimeoutMs: env.saveTimeoutSeconds * 1000,
      },
    });
    this.grid = grid;
    this.running.push({ name: 'grid', close: () => grid.close() });

    const ninep = new NinepServer({ router: gridRouter({ grid, catalog, tcpCtl: cfg.ninep.tcpCtl, log }), maxMsize: cfg.ninep.maxMsize, log: log.child({ service: '9p' }) });
    this.ninep = ninep;
    this.running.push({ name: '9p', close: () => ninep.close() });
    grid.onBoom((e) => { ninep.disconnectRoute(`env/${e.name}`); });
    this.listeners.push(await ninep.listen(join(data, '9p.sock')));
    for (const addr of cfg.ninep.listen) this.listeners.push(await ninep.listen(addr));

    // `colony console` reaches this supervisor here instead of failing on the lock.
    const consoleSocket = await listenConsole(join(data, 'console.sock'), { grid, catalog, log: log.child({ service: 'console' }) });
    this.running.push({ name: 'console', close: () => consoleSocket.close() });

    const ssh = new SshConsole({
      catalog,
      interpreter: gridInterpreter(grid),
      hostKeyPath: isAbsolute(cfg.ssh.hostKey) ? cfg.ssh.hostKey : join(data, cfg.ssh.hostKey),
      log: log.child({ service: 'ssh' }),
      node: { id: this.nodeId, version: this.opts.version ?? '0.0.0', started: this.started },
      onShutdown: (by) => { log.warn({ by }, 'shutdown requested over SSH'); this.opts.onShutdown?.(by); },
    });
    this.sshAddress = (await ssh.listen(cfg.ssh.listen)).address;
    this.running.push({ name: 'ssh', close: () => ssh.close() }); // closes before 9P and the grid

    await this.writeHealth('ready');
    log.info({ pid: process.pid, node: this.nodeId, ninep: this.ninepAddresses, ssh: this.sshAddress, environments: grid.status(first.name).length }, 'colony supervisor ready');
  }

  /** Register a service started from outside (the SSH console), to be closed before the grid. */
  adopt(name: string, close: () => Promise<void>): void {
    this.running.push({ name, close });
  }

  /** Stops every service in reverse order. Safe to call twice and after a failed start. */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    await this.writeHealth('stopping').catch(() => {});
    const errors: unknown[] = [];
    for (const service of this.running.reverse()) {
      try {
        await service.close();
      } catch (err) {
        errors.push(err);
        this.opts.log.error({ service: service.name, err: String(err) }, 'stopping a service failed');
      }
    }
    this.running.length = 0;
    this.store = undefined;
    await this.writeHealth(errors.length ? 'error' : 'stopped').catch(() => {});
    this.opts.log.info({}, 'colony supervisor stopped');
    if (errors.length) throw errors[0];
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
