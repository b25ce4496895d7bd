// The one NodeStatus value the front panel shows (appliance/web), built from the facts the
// supervisor's services give: the same board facts as the console's `node`, the same
// environments as `status` (without their tokens and mount lines, which are dropped here and
// never reach appliance/web), the peers as `peers` lists them, and the store's stats().
//
// `nodeStatus` and `statusChanges` are pure (facts in, value out; two values in, events
// out). `StatusWatch` is the small effectful shell: it gathers the facts, keeps the counters
// and the recent events between builds, and rebuilds every 2 s so a change is noticed even
// while nobody looks. Spawns and booms are seen by comparing builds: an environment that
// starts and ends within one period is not counted (the grid has no spawn hook yet).
import type { CatalogEvent } from '../catalog/index.js';
import type { BoardInfo } from '../console/index.js';
import type { PeerRow } from '../console/context.js';
import type { EnvironmentInfo } from '../grid/index.js';
import type { Log } from '../log.js';
import type { StoreStats } from '../store/index.js';
import type { EnvironmentRow, GcFigures, NodeStatus, StatusEvent } from '../web/index.js';

export interface StatusFacts {
  now: number;
  node: { id: string; name: string; version: string; started: number };
  health: string;
  board: BoardInfo | undefined;
  reserveBytes: number;
  store: StoreStats | undefined;
  /** Every reason the supervisor has to be degraded (board, peers, store); else the board's. */
  reasons?: string[];
  gc?: GcFigures;
  ninep: { connections: number; fids: number; refused: number; dropped: number; requests?: Record<string, number>; errors?: Record<string, number> } | undefined;
  environments: EnvironmentInfo[];
  /** undefined: the peer network is off. */
  peers: PeerRow[] | undefined;
}

export interface StatusHistory {
  counters: NodeStatus['counters'];
  /** Newest first. */
  events: StatusEvent[];
}

export const MAX_EVENTS = 20;

/** Only what the panel may show of an environment: no aname, no mount line. */
function environmentRow(e: EnvironmentInfo): EnvironmentRow {
  return { name: e.name, owner: e.owner, kind: e.kind, clients: e.clients, uptimeSeconds: Math.floor(e.uptimeMs / 1000), unsaved: e.unsaved };
}

export function nodeStatus(f: StatusFacts, history: StatusHistory): NodeStatus {
  const s = f.board?.sample;
  return {
    at: new Date(f.now).toISOString(),
    node: { id: f.node.id, name: f.node.name, version: f.node.version, started: new Date(f.node.started).toISOString(), uptimeSeconds: Math.max(0, Math.floor((f.now - f.node.started) / 1000)) },
    health: { state: f.health, reasons: f.reasons ?? f.board?.degraded ?? [] },
    board: {
      ...(f.board?.model ? { model: f.board.model } : {}),
      temperatureC: s?.temperatureC ?? null,
      memory: s ? { totalBytes: s.memory.totalBytes, availableBytes: s.memory.availableBytes } : null,
      load: s ? s.load : null,
      disk: s?.disk ? { totalBytes: s.disk.totalBytes, availableBytes: s.disk.availableBytes } : null,
      reserveBytes: f.reserveBytes,
      leds: f.board ? { condition: f.board.leds.condition, backend: f.board.leds.backend } : { condition: 'unknown', backend: 'none' },
    },
    store: f.store ? { blocks: f.store.blocks, bytes: f.store.bytes, diskBytes: f.store.diskBytes, arenas: f.store.arenas, cacheHits: f.store.cache.hits, cacheMisses: f.store.cache.misses, io: f.store.io, reserveBytes: f.store.reserve.bytes, refusing: f.store.reserve.refusing } : null,
    gc: f.gc ?? null,
    ninep: f.ninep ?? null,
    environments: f.environments.map(environmentRow),
    peers: f.peers === undefined ? null : f.peers.filter((p) => p.paired).map((p) => ({
      id: p.id, state: p.state, ...(p.lastSeen ? { lastSeen: p.lastSeen } : {}),
      ...(p.sync ? { sync: { state: p.sync.state, ...(p.sync.lagBytes !== undefined ? { lagBytes: p.sync.lagBytes } : {}), ...(p.sync.lagBlocks !== undefined ? { lagBlocks: p.sync.lagBlocks } : {}), receivedBytes: p.sync.receivedBytes, receivedBlocks: p.sync.receivedBlocks } } : {}),
    })),
    counters: { ...history.counters },
    events: history.events.map((e) => ({ ...e })),
  };
}

/** What happened between two builds: environments started and ended, the health and peers' states changed. */
export function statusChanges(prev: NodeStatus | undefined, next: NodeStatus): StatusEvent[] {
  if (!prev) return [];
  const at = next.at;
  const out: StatusEvent[] = [];
  const key = (e: EnvironmentRow) => `${e.owner}/${e.name}`;
  const before = new Map(prev.environments.map((e) => [key(e), e]));
  const after = new Map(next.environments.map((e) => [key(e), e]));
  for (const [k, e] of after) if (!before.has(k)) out.push({ at, kind: 'spawn', text: `${e.owner} spawned ${e.name} (${e.kind})`, anonymous: 'an environment started' });
  for (const [k, e] of before) if (!after.has(k)) out.push({ at, kind: 'boom', text: `${e.name} of ${e.owner} ended`, anonymous: 'an environment ended' });
  if (prev.health.state !== next.health.state) {
    const why = next.health.reasons.length ? `: ${next.health.reasons.join('; ')}` : '';
    const text = `health ${prev.health.state} → ${next.health.state}${why}`;
    out.push({ at, kind: 'health', text, anonymous: text });
  }
  const was = new Map((prev.peers ?? []).map((p) => [p.id, p]));
  for (const p of next.peers ?? []) {
    const old = was.get(p.id);
    if (old && old.state !== p.state) out.push({ at, kind: 'peer', text: `peer ${p.id} ${old.state} → ${p.state}`, anonymous: `a peer is ${p.state} (was ${old.state})` });
    const [from, to] = [old?.sync?.state, p.sync?.state];
    if (old && to !== from && (to === 'syncing' || from === 'syncing')) {
      const text = to === 'syncing' ? `replicating from ${p.id}` : `replication from ${p.id} ${to ?? 'stopped'}`;
      out.push({ at, kind: 'replication', text, anonymous: to === 'syncing' ? 'replicating from a peer' : `replication from a peer ${to ?? 'stopped'}` });
    }
  }
  return out;
}

export interface StatusWatchOptions {
  gather(): Promise<StatusFacts>;
  log: Log;
  /** Rebuild period (default 2 s); 0: only on demand. */
  periodMs?: number;
}

export class StatusWatch {
  private readonly history: StatusHistory = { counters: { spawns: 0, booms: 0, saves: 0 }, events: [] };
  private last: NodeStatus | undefined;
  private building: Promise<NodeStatus> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: StatusWatchOptions) {
    const period = opts.periodMs ?? 2000;
    if (period > 0) {
      this.timer = setInterval(() => { this.build().catch((err: unknown) => opts.log.warn({ err }, 'building the node status failed')); }, period);
      this.timer.unref();
    }
  }

  /** Catalog events, for saves (a name registered here or replicated from a peer). */
  noteCatalog(events: CatalogEvent[], now = Date.now()): void {
    for (const e of events) {
      if (e.type !== 'name.register') continue;
      this.history.counters.saves++;
      this.remember([{ at: new Date(now).toISOString(), kind: 'save', text: `${e.payload.owner} saved ${e.payload.name}`, anonymous: 'a snapshot was saved' }]);
    }
  }

  /** A fresh NodeStatus; a build already under way is shared. */
  build(): Promise<NodeStatus> {
    this.building ??= this.buildOnce().finally(() => { this.building = undefined; });
    return this.building;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async buildOnce(): Promise<NodeStatus> {
    const facts = await this.opts.gather();
    const first = nodeStatus(facts, this.history);
    const changes = statusChanges(this.last, first);
    if (!changes.length) { this.last = first; return first; }
    for (const c of changes) {
      if (c.kind === 'spawn') this.history.counters.spawns++;
      if (c.kind === 'boom') this.history.counters.booms++;
    }
    this.remember(changes);
    this.last = nodeStatus(facts, this.history);
    return this.last;
  }

  private remember(events: StatusEvent[]): void {
    this.history.events.unshift(...events.reverse());
    this.history.events.length = Math.min(this.history.events.length, MAX_EVENTS);
  }
}
