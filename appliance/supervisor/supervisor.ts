// The supervisor owns the data directory while it runs: it opens the services in
// dependency order (store, catalog, grid, 9P, SSH), reports health, and closes them in
// reverse on shutdown, so disk environments are checkpointed and the store is synced.
// The store's index lock is the data directory's lock: health.json is written only while
// it is held (after the store opens, before it closes), so a second instance that finds
// the directory taken leaves the live one's health alone.
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { Catalog } from '../catalog/index.js';
import { SshConsole, gridInterpreter, type ListenAddress } from '../console/ssh/index.js';
import { ensureDir } from '../files.js';
import { Grid, NameCompleteness } from '../grid/index.js';
import { listenerPorts, reachableFrom, startDiscovery, type Discovery } from '../discovery/index.js';
import { catalogOrigin, loadOrCreateIdentity, type Identity } from '../identity/index.js';
import type { Log } from '../log.js';
import { NinepServer, type Listener } from '../ninep/index.js';
import { PeerBlockSource, startNamesProtocol, startProcProtocol, type NamesProtocol, type ProcProtocol } from '../peer/index.js';
import { openExecutor, type ExecService } from '../exec/index.js';
import { BlockStore, type BlockSource } from '../store/index.js';
import { defaultConfig, execLimitsFor, type Config } from './config.js';
import { CpuTrees, unavailableExec } from './exec-routes.js';
import { listenConsole, type LocalExec } from './console-socket.js';
import { processStart, writeHealth, type HealthState } from './health.js';
import { gridRouter } from './ninep-routes.js';
import { Hardware } from './hardware.js';
import { BusyWork, DegradedReasons, type DegradedSource } from './conditions.js';
import { PeerService } from './peers.js';
import { snapshotTransfer } from './snapshot-transfer.js';
import { explainOsError, loggable, unwritableDataDir } from './os-errors.js';
import { closeInOrder } from './stopping.js';
import { startWebService, type WebService } from './web-service.js';
import { GcService } from './gc-service.js';

export type { HealthState };

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
  /** Runs `colony` one-shot commands for local callers on DATA/console.sock (cli/serve.ts gives it). */
  localExec?: LocalExec;
}

/** A service the supervisor started, closed in reverse order. */
interface Running { name: string; close(): Promise<void>; holdsLock?: boolean }

export class Supervisor {
  private state: HealthState = 'booting';
  private readonly started = Date.now();
  private readonly running: Running[] = [];
  private listeners: Listener[] = [];
  readonly config: Config;
  store: BlockStore | undefined;
  /** What environments read: the store, through the peers when the peer network runs. */
  source: BlockSource | undefined;
  catalog: Catalog | undefined;
  grid: Grid | undefined;
  ninep: NinepServer | undefined;
  /** This node's id: the peer id of its Ed25519 key (appliance/identity). */
  nodeId = '';
  /** The origin of this node's catalog events: DATA/node-id (the node id, or an older directory's id). */
  catalogOrigin = '';
  identity: Identity | undefined;
  private locked = false;
  private starting: Promise<void> | undefined;
  private readonly pidStart = processStart(process.pid);
  sshAddress: ListenAddress | undefined;
  /** The peer network (appliance/peer), unless peer.listen is []. */
  peers: PeerService | undefined;
  /** `/colony/names/1`, with the peer network. */
  namesProtocol: NamesProtocol | undefined;
  /** `/colony/proc/1`, with the peer network: members' processes for the `proc` tree, ours for theirs. */
  procProtocol: ProcProtocol | undefined;
  /** LAN discovery (appliance/discovery), unless discovery.enabled is false. */
  discovery: Discovery | undefined;
  /** Processes in environments (appliance/exec), unless exec.enabled is false; `unavailable` says why it cannot run any. */
  exec: ExecService | undefined;
  /** The board (hw/ through supervisor/hardware.ts): LEDs, the serial console, sensors. */
  hardware: Hardware | undefined;
  /** The front panel (appliance/web), unless web.enabled is false or its port could not be had. */
  web: WebService | undefined;
  gc: GcService | undefined;
  /** Why the node is degraded, by source ('peers', 'board'); `degraded` while any has a reason. */
  private readonly degraded = new DegradedReasons();
  /** The health file's writes, chained (writeHealth). */
  private healthWrites: Promise<void> = Promise.resolve();
  /** Local commands (colony import…) running on the console socket, for the LEDs' busy blink. */
  private readonly busy = new BusyWork();

  constructor(private readonly opts: SupervisorOptions) {
    this.config = opts.config ?? defaultConfig();
  }

  get blockStore(): BlockStore | undefined { return this.store; }
  get health(): HealthState { return this.state; }
  /** Where each 9P listener ended up (host:port with the real port, or the socket path). */
  get ninepAddresses(): string[] { return this.listeners.map((l) => l.address); }

  /**
   * Opens everything. On failure it writes `error` with the reason (when it holds the lock),
   * closes what it opened and rejects; an expected OS error (a read-only or full disk, a
   * taken port) rejects with one line that says what to do.
   */
  start(): Promise<void> {
    this.starting ??= this.startOnce();
    return this.starting;
  }

  private async startOnce(): Promise<void> {
    let step = 'opening the data directory';
    try {
      await this.open((doing) => { step = doing; });
    } catch (err) {
      const reason = explainOsError(err, step);
      if (this.locked) await this.writeHealth('error', reason instanceof Error ? reason.message : String(reason)).catch(() => {});
      this.state = 'error';
      await this.closeAll().catch(() => {});
      throw reason;
    }
  }

  private async open(stepping: (doing: string) => void): Promise<void> {
    const { data, log } = this.opts;
    const cfg = this.config;
    await ensureDir(data);
    await access(data, constants.W_OK).catch((err: NodeJS.ErrnoException) => { throw unwritableDataDir(data, err.code ?? 'EACCES', process.getuid?.()); });

    stepping('opening the block store');
    const store = await BlockStore.open(join(data, 'store'), { arenaBytes: cfg.store.arenaBytes, cacheBytes: cfg.store.cacheBytes, reserveBytes: cfg.store.reserveBytes, compress: cfg.store.compress, log: log.child({ service: 'store' }) });
    this.store = store;
    this.running.push({ name: 'store', close: () => store.close(), holdsLock: true });
    this.locked = true; // the store's index lock: from here on this process owns the directory
    stepping('writing the health file');
    await this.writeHealth('booting');

    // Early, so the LEDs say `booting` while the rest opens; closed late, putting them back.
    stepping('opening the board (LEDs, serial port, sensors)');
    const hardware = await Hardware.start({
      data, log, leds: cfg.leds, serial: cfg.serial, sysinfo: cfg.sysinfo, busy: () => this.busyNow(),
      onBoardDegraded: (reasons) => { void this.setDegraded('board', reasons); }, degraded: () => this.degraded.all(),
    });
    this.hardware = hardware;
    hardware.setHealth('booting');
    this.running.push({ name: 'hardware', close: () => hardware.stop() });

    stepping('loading the node key');
    const identity = await loadOrCreateIdentity(data);
    if (identity.created) log.info({ path: identity.path, node: identity.nodeId }, 'node key created');
    this.identity = identity;
    this.nodeId = identity.nodeId;
    this.catalogOrigin = await catalogOrigin(data, async () => identity);

    stepping('opening the catalog');
    const catalog = await Catalog.open(join(data, 'catalog'), { nodeId: this.catalogOrigin, signer: identity, log: log.child({ service: 'catalog' }) });
    this.catalog = catalog;
    this.running.push({ name: 'catalog', close: () => catalog.close() });
    const first = await catalog.ensureAdmin();
    if (first.created && first.password) this.opts.onFirstAdmin?.(first.name, first.password);

    // A name replicated from a peer is shown (and spawnable) only once its blocks are here
    // (or, in lazy mode, while a connected member holds them all: see below).
    const names = new NameCompleteness({ store, names: () => catalog.allNames(), localOrigin: catalog.nodeId, log: log.child({ service: 'names' }) });
    const unwatchNames = catalog.onEvent((events) => { if (events.some((e) => e.type === 'name.register' || e.type === 'name.forget')) void names.refresh(); });
    this.running.push({ name: 'names', close: async () => { unwatchNames(); await names.stop(); } });

    if (cfg.peer.listen.length > 0) {
      stepping(`listening for peers on ${cfg.peer.listen.join(', ')}`);
      const peers = await PeerService.start({
        identity, catalog, store, cursorsPath: join(data, 'peer', 'cursors.json'), listen: cfg.peer.listen, staticPeers: cfg.peer.peers, log: log.child({ service: 'peer' }),
        unreachableDegradedMs: cfg.peer.unreachableDegradedSeconds * 1000, replication: cfg.peer.replication,
        onUnreachable: (ids) => { void this.peerHealth(ids); },
      });
      this.peers = peers;
      this.running.push({ name: 'peer', close: () => peers.stop() });
      // /colony/names/1: every node says which trees its own store holds whole; a lazy node
      // asks its connected members about its pending names, and shows one while a member
      // that holds it is connected (grid/name-visibility.ts, peer/names-protocol.ts).
      const lazy = cfg.peer.replication === 'lazy';
      const namesProtocol = await startNamesProtocol({
        node: peers.node, peers: () => peers.connectedMembers(), holdsLocally: (roots) => names.holdsLocally(roots),
        ...(lazy ? { pending: () => names.pendingRoots() } : {}), log: log.child({ service: 'peer' }),
      });
      this.namesProtocol = namesProtocol;
      if (lazy) names.consult(namesProtocol);
      this.running.push({ name: 'names-protocol', close: async () => { names.consult(undefined); await namesProtocol.stop(); } });
      // The global /proc: members list and kill our environments' processes (once the executor
      // is set as the provider, below) and we theirs.
      const procProtocol = await startProcProtocol({
        node: peers.node, peers: () => peers.connectedMembers(), log: log.child({ service: 'peer' }),
        userExists: (u) => { try { catalog.getUser(u); return true; } catch { return false; } },
      });
      this.procProtocol = procProtocol;
      this.running.push({ name: 'proc-protocol', close: () => procProtocol.stop() });
    }

    // Garbage collection, usage and quotas (issue 18): roots from the catalog and, once open, the grid.
    const gc = new GcService({
      store, catalog, grid: () => this.grid, pendingNames: () => (cfg.peer.replication === 'eager' ? names.pendingRoots().length : 0), log: log.child({ service: 'gc' }),
      gc: cfg.gc, quota: cfg.quota, busy: (what, fn) => this.whileBusy(what, fn), onReserve: (reasons) => { void this.setDegraded('store', reasons); },
    });
    this.gc = gc;
    this.running.push({ name: 'gc', close: () => gc.stop() });

    const node = {
      id: this.nodeId, gc, version: this.opts.version ?? '0.0.0', started: this.started, ...(this.peers ? { peers: this.peers } : {}),
      board: () => hardware.board(), identify: (seconds: number, by: string) => hardware.identify(seconds, by),
      snapshots: snapshotTransfer({ store, catalog, gc, log: log.child({ service: 'ssh' }), busy: (what, fn) => this.whileBusy(what, fn) }), // ssh import/export
    };

    stepping('opening the environments');
    const firstTcp = cfg.ninep.listen[0];
    const port = firstTcp ? Number(firstTcp.split(':').pop()) : 564;
    const env = cfg.environments;
    // Environments read through the peers: a block not here (a lazy node, or one still
    // arriving) is fetched from a connected member, verified and stored; one that none
    // serves within peer.fetchTimeoutSeconds is EIO to the 9P client. NameCompleteness
    // above keeps the local store: what is here, never what could be fetched.
    const peerService = this.peers;
    const fetcher = peerService
      ? new PeerBlockSource({
        local: store, node: peerService.node, peers: () => peerService.connectedMembers(), absent: 'io',
        timeoutMs: cfg.peer.fetchTimeoutSeconds * 1000, log: log.child({ service: 'peer' }),
      })
      : undefined;
    const source: BlockSource = fetcher ?? store;
    this.source = source;
    // A save fetches what its tree lacks here before naming it (names.makeWhole), so a name
    // this node tells its peers it holds is whole here.
    names.fetchThrough(fetcher);
    const grid = await Grid.open({
      data, store: source, catalog, names, log: log.child({ service: 'grid' }), port, quota: (user) => gc.checkQuota(user),
      limits: {
        perNode: env.maxPerNode, perUser: env.maxPerUser, ramCacheBytes: env.ramCacheBytes, diskCacheBytes: env.diskCacheBytes,
        diskHeapBytes: env.diskHeapBytes, heapFraction: env.heapFraction, heapReservedBytes: cfg.store.cacheBytes,
        checkpointMs: env.checkpointSeconds * 1000, saveTimeoutMs: env.saveTimeoutSeconds * 1000,
      },
    });
    this.grid = grid;
    this.running.push({ name: 'grid', close: () => grid.close() });

    const n = cfg.ninep;
    const cpuTrees = new CpuTrees();
    const ninep = new NinepServer({
      router: gridRouter({
        grid, catalog, log, node,
        exec: { exec: () => this.exec, trees: cpuTrees, nodeId: () => this.nodeId, ...(this.procProtocol ? { remoteProcSources: () => this.procProtocol?.procSources() ?? [] } : {}) },
      }), maxMsize: n.maxMsize, maxFids: n.maxFids, log: log.child({ service: '9p' }),
      limits: {
        maxConnections: n.maxConnections, maxPerAddress: n.maxPerAddress, maxQueuedReplyBytes: n.maxQueuedReplyBytes, maxHeldBytes: n.maxHeldBytes, maxTotalFids: n.maxTotalFids,
        handshakeTimeoutMs: n.handshakeTimeoutSeconds * 1000, frameTimeoutMs: n.frameTimeoutSeconds * 1000,
      },
    });
    this.ninep = ninep;
    this.running.push({ name: '9p', close: () => ninep.close() });
    grid.onBoom((e) => { ninep.disconnectRoute(`env/${e.name}`); ninep.disconnectRoute(`cpu/${e.name}`); cpuTrees.closeEnv(e.name); });
    stepping(`listening for 9P on ${join(data, '9p.sock')}`);
    this.listeners.push(await ninep.listen(join(data, '9p.sock')));
    for (const addr of cfg.ninep.listen) {
      stepping(`listening for 9P on ${addr}`);
      this.listeners.push(await ninep.listen(addr));
    }

    if (cfg.exec.enabled) {
      // After the 9P server, which it mounts environments from; closed before it (reverse order).
      stepping('starting the executor (cpu)');
      const exec = await this.openExec(cfg, join(data, '9p.sock'));
      this.exec = exec;
      Object.assign(node, { cpu: exec });
      this.procProtocol?.setProcProvider(exec);
      this.running.push({ name: 'exec', close: async () => { this.procProtocol?.setProcProvider(undefined); cpuTrees.close(); await exec.close(); } });
    }

    // `colony console` reaches this supervisor here instead of failing on the lock.
    stepping(`listening on ${join(data, 'console.sock')}`);
    const consoleSocket = await listenConsole(join(data, 'console.sock'), {
      grid, catalog, log: log.child({ service: 'console' }),
      node,
      shutdown: (by) => { log.warn({ by }, 'shutdown requested on the console socket'); this.opts.onShutdown?.(by); },
      ...(this.opts.localExec ? { exec: this.opts.localExec } : {}),
    });
    this.running.push({ name: 'console', close: () => consoleSocket.close() });

    const ssh = new SshConsole({
      catalog,
      interpreter: gridInterpreter(grid),
      hostKeyPath: isAbsolute(cfg.ssh.hostKey) ? cfg.ssh.hostKey : join(data, cfg.ssh.hostKey),
      log: log.child({ service: 'ssh' }),
      node,
      onShutdown: (by) => { log.warn({ by }, 'shutdown requested over SSH'); this.opts.onShutdown?.(by); },
      handshakeTimeoutMs: cfg.ssh.handshakeTimeoutSeconds * 1000, maxConnections: cfg.ssh.maxConnections,
      maxPerAddress: cfg.ssh.maxPerAddress, reserveConnections: cfg.ssh.reserveConnections,
    });
    stepping(`listening for SSH on ${cfg.ssh.listen}`);
    this.sshAddress = (await ssh.listen(cfg.ssh.listen)).address;
    Object.assign(node, { sshPort: this.sshAddress.port }); // spawn's cpu line on ctl and the console socket
    this.running.push({ name: 'ssh', close: () => ssh.close() }); // closes before 9P and the grid

    // The serial console (closed with the hardware): the same registry as SSH, behind a login.
    hardware.startSerial({ catalog, interpreter: gridInterpreter(grid), node, limiter: ssh.limiter, onShutdown: (by) => { log.warn({ by }, 'shutdown requested on the serial console'); this.opts.onShutdown?.(by); } });

    if (cfg.web.enabled) {
      stepping(`listening for HTTP on ${cfg.web.listen}`);
      this.web = await startWebService({ listen: cfg.web.listen, log: log.child({ service: 'web' }), node, health: () => this.state, reserveBytes: cfg.sysinfo.diskReserveBytes, store, ninep, grid, catalog, limiter: ssh.limiter, reasons: () => this.degraded.all(), gc: () => gc.figures() });
      const web = this.web;
      if (web) this.running.push({ name: 'web', close: () => web.close() });
    }

    if (cfg.discovery.enabled) {
      // Last to start, first to stop: announced once every port it names listens; the goodbye goes first.
      stepping('starting LAN discovery (mDNS)');
      const peers = this.peers;
      const discovery = await startDiscovery({
        nodeId: this.nodeId, version: node.version, ...(cfg.discovery.name ? { name: cfg.discovery.name } : {}), interfaces: cfg.discovery.interfaces,
        ports: listenerPorts({ peer: peers?.addresses() ?? [], ninep: cfg.ninep.listen.length ? this.ninepAddresses : [], ssh: `${this.sshAddress.host}:${this.sshAddress.port}` }),
        reachable: reachableFrom([...cfg.peer.listen, cfg.ssh.listen]), log: log.child({ service: 'discovery' }),
        ...(peers ? { onFound: (found) => peers.discovered(found) } : {}),
      });
      this.discovery = discovery;
      Object.assign(node, { lan: () => ({ name: discovery.name(), renames: discovery.renames(), interfaces: discovery.interfaces().map((i) => i.name), via: discovery.via }) });
      this.running.push({ name: 'discovery', close: () => discovery.stop() });
    }

    stepping('writing the health file');
    await this.writeHealth('ready');
    await this.judgeDegraded();
    const origin = this.catalogOrigin === this.nodeId ? {} : { catalogOrigin: this.catalogOrigin };
    log.info({ node: this.nodeId, ...origin, ...(this.peers ? { peer: this.peers.addresses() } : {}), ninep: this.ninepAddresses, ssh: this.sshAddress, environments: grid.status(first.name).length }, 'colony supervisor ready');
  }

  /**
   * The executor, or when it cannot be opened (a cgroup layout it may not make, say) a stand-in
   * whose `unavailable` says why: cpu is refused with that line and everything else runs.
   */
  private async openExec(cfg: Config, socketPath: string): Promise<ExecService> {
    const { data, log } = this.opts;
    try {
      return await openExecutor({
        grid: this.grid!, data, socketPath, limitsFor: (owner) => execLimitsFor(cfg.exec, owner), cache: cfg.exec.cache, log: log.child({ service: 'exec' }),
      });
    } catch (err) {
      log.error({ err: loggable(err) }, 'the executor failed to start: cpu is unavailable');
      return unavailableExec(`the executor failed to start: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** A paired peer unreachable too long (peers.ts decides) makes the node degraded. */
  private async peerHealth(unreachable: string[]): Promise<void> {
    await this.setDegraded('peers', unreachable.length ? [`paired peers unreachable: ${unreachable.join(', ')}`] : []);
  }

  /** `degraded` while any source has a reason (peers, the board's temperature or disk), `ready` again once none has. */
  private async setDegraded(source: DegradedSource, reasons: string[]): Promise<void> {
    this.degraded.set(source, reasons);
    await this.judgeDegraded();
  }

  private async judgeDegraded(): Promise<void> {
    const next = this.degraded.change(this.state);
    if (next?.state === 'degraded') this.opts.log.warn({ reasons: this.degraded.all() }, `degraded: ${next.text}`);
    if (next?.state === 'ready') this.opts.log.info({}, 'no reason to be degraded any more: ready');
    if (next) await this.writeHealth(next.state, next.state === 'degraded' ? next.text : undefined).catch(() => {});
  }

  /** What is busy now, for the LEDs: saves, local imports, block replication. */
  private busyNow(): string[] {
    return this.busy.now([(this.grid?.saving ?? 0) > 0 && 'saving', this.peers?.list().some((p) => p.sync?.state === 'syncing') === true && 'replicating']);
  }

  /** Counts a local command (colony import…) as busy while it runs. */
  whileBusy<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return this.busy.during(what, fn);
  }

  /** Register a service started from outside (the SSH console), to be closed before the grid. */
  adopt(name: string, close: () => Promise<void>): void {
    this.running.push({ name, close });
  }

  /**
   * Stops every service in reverse order. Safe to call twice and after a failed start.
   * Concurrency: a stop() that arrives while start() runs (a signal during boot) waits for
   * the start to settle, then closes whatever it opened.
   */
  async stop(): Promise<void> {
    if (this.starting) await this.starting.catch(() => {});
    if (this.state === 'stopped' || (this.state === 'error' && this.running.length === 0)) return;
    await this.writeHealth('stopping').catch(() => {});
    await this.closeAll();
  }

  /**
   * Closes the services in reverse order. The last health record (`stopped`, or `error`
   * when a service failed to close) is written just before the store, whose lock is the
   * directory's, is closed.
   */
  private async closeAll(): Promise<void> {
    const services = this.running.splice(0).reverse();
    if (services.length === 0) { if (this.state !== 'error') this.state = 'stopped'; return; }
    const errors = await closeInOrder(services.filter((s) => !s.holdsLock), this.opts.log);
    if (this.locked && this.state !== 'error') await this.writeHealth(errors.length ? 'error' : 'stopped', errors.length ? `stopping failed: ${String(errors[0])}` : undefined).catch(() => {});
    // The store (the directory's lock) closes last and is given the time it takes: it syncs.
    errors.push(...await closeInOrder(services.filter((s) => s.holdsLock), this.opts.log, Infinity));
    this.locked = false;
    this.store = undefined;
    if (this.state !== 'error') this.state = errors.length ? 'error' : 'stopped';
    this.opts.log.info({}, 'colony supervisor stopped');
    if (errors.length) throw errors[0];
  }

  /** The health file is replaced atomically and only by the lock holder (see the top of this file). */
  private async writeHealth(state: HealthState, error?: string): Promise<void> {
    this.state = state;
    this.hardware?.setHealth(state);
    if (!this.locked) return;
    const board = this.hardware?.healthRecord();
    const record = {
      state, pid: process.pid, ...(this.pidStart ? { pidStart: this.pidStart } : {}),
      started: new Date(this.started).toISOString(), updated: new Date().toISOString(), ...(error ? { error } : {}), ...(board ? { board } : {}),
    };
    // One write at a time, in the order of the state changes: a `degraded` written while
    // `stopping` is being written must not land after it.
    const write = this.healthWrites.then(() => writeHealth(this.opts.data, record));
    this.healthWrites = write.catch(() => {});
    await write;
  }
}
