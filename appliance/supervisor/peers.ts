// The supervisor's side of the peer network: it starts the PeerNode with the catalog's
// members as the gater's answer, keeps a connection to every member (dialling it at the
// addresses of its pairing record and of the config, with backoff), notes the unpaired
// nodes the gater refused, and says which members have been unreachable too long (the
// `degraded` health state). The console's `peers`, `pair` and `unpair` act through it.
//
// Concurrency: one tick runs at a time (a timer re-armed when it finishes); `pair`/`unpair`
// run a tick at once after the catalog has the record, so their effect does not wait for
// the timer. The gater's isMember reads a Set rebuilt on each membership check, never the
// catalog from inside libp2p's callbacks after the catalog closed.
import type { Catalog } from '../catalog/index.js';
import { ColonyError, invalid, isColonyError } from '../errors.js';
import { publicKeyOfPeerId } from '../identity/index.js';
import type { Log } from '../log.js';
import { pairingCode, startBlockReplication, startCatalogReplication, startPeerNode, type PeerNode, type ReceiverStats } from '../peer/index.js';
import type { BlockStore } from '../store/index.js';
import type { PeerControl, PeerRow, PeerSync } from '../console/context.js';
import { planDials, type Found } from '../discovery/index.js';

export type { PeerControl, PeerRow };

/** How often members are checked and redialled; a failed dial backs off up to MAX_BACKOFF_MS. */
export const TICK_MS = 2_000;
export const MIN_BACKOFF_MS = 1_000;
export const MAX_BACKOFF_MS = 60_000;
/** Refused unpaired nodes remembered for `peers`, the most recent kept. */
export const MAX_SEEN = 32;

/** host:port (as in the config) to a multiaddr; a multiaddr (starting with /) is kept. */
export function toMultiaddr(address: string): string {
  if (address.startsWith('/')) return address;
  const at = address.lastIndexOf(':');
  const host = address.slice(0, at);
  const port = address.slice(at + 1);
  if (at <= 0 || !/^\d{1,5}$/.test(port)) throw invalid(`'${address}' is not host:port or a multiaddr`);
  if (host.startsWith('[')) return `/ip6/${host.slice(1, -1)}/tcp/${port}`;
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(host)) return `/ip4/${host}/tcp/${port}`;
  return `/dns4/${host}/tcp/${port}`;
}

/**
 * Pure: the paired peers that make the node `degraded` — unreachable for at least
 * `limitMs` at `now`. Refused (unpaired) nodes never count.
 */
export function unreachableTooLong(rows: Pick<PeerRow, 'id' | 'paired' | 'state' | 'unreachableSince'>[], now: number, limitMs: number): string[] {
  return rows.filter((r) => r.paired && r.state === 'unreachable' && r.unreachableSince !== undefined && now - Date.parse(r.unreachableSince) >= limitMs).map((r) => r.id);
}

/**
 * Pure: when to dial a member first noticed at `now`. Both sides of a pair dial each other
 * (after a pairing made on both within seconds, or when both boot together), and two dials
 * crossing make two connections, each with its own pings and keepalives for as long as they
 * last. So the node with the larger id waits one tick: the other's dial usually arrives
 * first, and the tick finds the member connected; if it does not, it dials then.
 */
export const firstDialAt = (self: string, member: string, now: number): number => (self > member ? now + TICK_MS : now);

/** Pure: the next wait after `failures` failed dials in a row (doubling, bounded). */
export const backoffMs = (failures: number): number => Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS * 2 ** Math.min(16, Math.max(0, failures - 1)));

interface Track { lastSeen?: number; unreachableSince: number; failures: number; nextDial: number; error?: string; dialling: boolean }

export interface PeerServiceOptions {
  identity: { nodeId: string; path: string };
  catalog: Catalog;
  /** The local store, replicated to and from members; its cursors are kept at `cursorsPath`. */
  store: BlockStore;
  cursorsPath: string;
  listen: string[];
  staticPeers: Array<{ id: string; address: string }>;
  log: Log;
  /** Called after each tick with the paired peers unreachable too long ([] when none). */
  onUnreachable?: (ids: string[]) => void;
  unreachableDegradedMs: number;
  /** `lazy`: blocks are served to members but not pulled from them (they come on demand). */
  replication?: 'eager' | 'lazy';
  now?: () => number;
}

export class PeerService implements PeerControl {
  readonly self: string;
  private members = new Set<string>();
  private readonly tracks = new Map<string, Track>();
  private readonly seen = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private stopped = false;
  private readonly now: () => number;
  private replication: Replication | undefined;
  /** Appliances found on the LAN (appliance/discovery) and when that was last heard. */
  private lan: { found: Found[]; at: number } = { found: [], at: 0 };

  private constructor(private readonly opts: PeerServiceOptions, readonly node: PeerNode) {
    this.self = node.peerId;
    this.now = opts.now ?? Date.now;
  }

  static async start(opts: PeerServiceOptions): Promise<PeerService> {
    let service: PeerService | undefined;
    const members = new Set(opts.catalog.members().map((m) => m.peer).filter((id) => id !== opts.identity.nodeId));
    const node = await startPeerNode({
      identity: opts.identity,
      listen: opts.listen.map(toMultiaddr),
      isMember: (id) => {
        const ok = (service?.members ?? members).has(id);
        if (!ok) service?.noteRefused(id);
        return ok;
      },
      log: opts.log,
    }).catch((err: unknown) => {
      if (isColonyError(err)) throw err;
      // libp2p says only that "some configured addresses failed"; the operator needs the remedy.
      throw new ColonyError('COLONY_IO', `listening for peers on ${opts.listen.join(', ')}: ${(err as Error).message.split('\n')[0]} ` +
        `(another program may listen there, or the address is not this machine's): choose another with peer.listen or --peer, or set peer.listen to [] to turn the peer network off`, { cause: err });
    });
    service = new PeerService(opts, node);
    service.members = members;
    service.replication = await startReplication(node, opts, () => [...service!.members]);
    service.schedule(0);
    return service;
  }

  /** The members connected now: whom a read of a block this node lacks asks (PeerBlockSource). */
  connectedMembers(): string[] {
    if (this.stopped) return [];
    return this.node.connectedPeers().filter((id) => this.members.has(id));
  }

  /** Where the node listens (multiaddrs ending in /p2p/<id>). */
  addresses(): string[] { return this.node.addresses(); }

  private noteRefused(id: string): void {
    if (this.stopped || id === this.self) return;
    this.seen.delete(id);
    this.seen.set(id, this.now());
    while (this.seen.size > MAX_SEEN) this.seen.delete(this.seen.keys().next().value!);
  }

  private addressesOf(id: string): string[] {
    const member = this.opts.catalog.members().find((m) => m.peer === id);
    const fromConfig = this.opts.staticPeers.filter((p) => p.id === id).map((p) => toMultiaddr(p.address));
    const fromLan = planDials(this.lan.found, this.self, (x) => x === id).dial.find((d) => d.id === id)?.addresses ?? [];
    return [...new Set([...(member?.addresses ?? []), ...fromConfig, ...fromLan])];
  }

  /**
   * What LAN discovery found now: a member is dialled at the addresses it announces (at
   * once when they are new to us); any other node is listed by `peers` as seen.
   */
  discovered(found: Found[]): void {
    if (this.stopped) return;
    const before = planDials(this.lan.found, this.self, (id) => this.members.has(id)).dial;
    this.lan = { found, at: this.now() };
    const fresh = planDials(found, this.self, (id) => this.members.has(id)).dial
      .filter((d) => d.addresses.some((a) => !before.find((b) => b.id === d.id)?.addresses.includes(a)));
    for (const d of fresh) { const t = this.tracks.get(d.id); if (t) t.nextDial = 0; }
    if (fresh.length) void this.tick();
  }

  list(): PeerRow[] {
    const connected = new Set(this.node.connectedPeers());
    const receivers = this.replication?.receivers() ?? {};
    const iso = (ms: number | undefined) => (ms === undefined ? {} : { lastSeen: new Date(ms).toISOString() });
    const rows: PeerRow[] = [...this.members].sort().map((id) => {
      const t = this.tracks.get(id);
      const up = connected.has(id);
      return {
        id, paired: true, addresses: this.addressesOf(id), state: up ? 'connected' : 'unreachable',
        ...iso(up ? this.now() : t?.lastSeen),
        ...(!up && t ? { unreachableSince: new Date(t.unreachableSince).toISOString() } : {}),
        ...(!up && t?.error ? { error: t.error } : {}),
        ...(receivers[id] ? { sync: peerSync(receivers[id]) } : {}),
      } satisfies PeerRow;
    });
    for (const [id, at] of this.seen) if (!this.members.has(id)) rows.push({ id, paired: false, addresses: [], state: 'refused', ...iso(at) });
    for (const s of planDials(this.lan.found, this.self, (id) => this.members.has(id)).seen) {
      if (!this.seen.has(s.id)) rows.push({ id: s.id, paired: false, addresses: s.addresses, state: 'seen', name: s.instance, ...iso(this.lan.at) });
    }
    return rows;
  }

  async pair(id: string, address: string | undefined, by: string): Promise<{ code: string }> {
    publicKeyOfPeerId(id);
    if (id === this.self) throw invalid(`${id} is this node; pair it with another node`);
    const code = pairingCode(this.self, id);
    const addresses = address === undefined ? this.opts.catalog.members().find((m) => m.peer === id)?.addresses ?? [] : [toMultiaddr(address)];
    await this.opts.catalog.pair(id, { by, addresses });
    this.seen.delete(id);
    this.tracks.delete(id); // dial at once (the larger id of the two after one tick: firstDialAt)
    await this.tick();
    return { code };
  }

  async unpair(id: string, by: string): Promise<void> {
    publicKeyOfPeerId(id);
    await this.opts.catalog.unpair(id, { by });
    await this.tick();
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => { void this.tick().finally(() => this.schedule(TICK_MS)); }, ms);
    this.timer.unref();
  }

  /** One pass: follow membership changes (the catalog may have replicated some), then redial. */
  tick(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    const run = async () => {
      const now = this.now();
      let current: Set<string>;
      // A replicated record may pair this very node (another admin admitted it): not a peer.
      try { current = new Set(this.opts.catalog.members().map((m) => m.peer).filter((id) => id !== this.self)); } catch { return; } // closing
      const removed = [...this.members].some((id) => !current.has(id));
      this.members = current;
      if (removed) await this.node.enforceMembership();
      for (const id of this.tracks.keys()) if (!current.has(id)) this.tracks.delete(id);
      const connected = new Set(this.node.connectedPeers());
      for (const id of current) {
        let t = this.tracks.get(id);
        if (!t) { t = { unreachableSince: now, failures: 0, nextDial: firstDialAt(this.self, id, now), dialling: false }; this.tracks.set(id, t); }
        if (connected.has(id)) { t.lastSeen = now; t.unreachableSince = now; t.failures = 0; delete t.error; continue; }
        if (t.dialling || now < t.nextDial) continue;
        const addrs = this.addressesOf(id);
        if (addrs.length === 0) { t.error = 'no known address (pair NODE-ID ADDRESS, peer.peers in the config, or LAN discovery)'; continue; }
        t.dialling = true;
        const track = t;
        // Not awaited: one slow peer does not hold the others' dials or the next tick.
        void this.node.dial(id, addrs).then(
          () => { track.lastSeen = this.now(); track.failures = 0; delete track.error; this.opts.log.info({ peer: id }, 'connected to a member'); },
          (err: Error) => { track.failures++; track.nextDial = this.now() + backoffMs(track.failures); track.error = err.message; },
        ).finally(() => { track.dialling = false; });
      }
      this.opts.onUnreachable?.(unreachableTooLong(this.list(), this.now(), this.opts.unreachableDegradedMs));
    };
    // One tick at a time: a caller arriving during one waits for it, then runs its own.
    const next = (this.ticking ?? Promise.resolve()).then(run, run).catch((err) => { this.opts.log.warn({ err: (err as Error).message }, 'a peer check failed'); });
    this.ticking = next;
    return next;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking?.catch(() => {});
    // The protocols first: their sessions end before the connections under them do.
    await this.replication?.stop().catch((err: unknown) => this.opts.log.warn({ err }, 'stopping replication failed'));
    await this.node.stop();
  }
}

/** The replication protocols running over the peer node; stopped before the node. */
interface Replication { stop(): Promise<void>; receivers(): Record<string, ReceiverStats> }

/** A block receiver's figures as `peers` shows them. */
const peerSync = (r: ReceiverStats): PeerSync => ({
  state: r.state, rateBytesPerSec: r.rateBytesPerSec, receivedBlocks: r.fetched, receivedBytes: r.fetchedBytes,
  ...(r.lagBytes !== undefined ? { lagBytes: r.lagBytes } : {}),
  ...(r.lagBlocks !== undefined ? { lagBlocks: r.lagBlocks, lagBlocksExact: r.lagBlocksExact ?? false } : {}),
  ...(r.percent !== undefined ? { percent: r.percent } : {}),
  ...(r.lastError ? { lastError: `${r.lastError.code}: ${r.lastError.message}` } : {}),
});

/**
 * Where the grid's replication protocols start (issue 13), each registering its handler with
 * `node.handle` and talking only to `members()`: the catalog's events (`/colony/catalog/1`)
 * and the store's blocks (`/colony/blocks/1`).
 */
async function startReplication(node: PeerNode, opts: Pick<PeerServiceOptions, 'catalog' | 'store' | 'cursorsPath' | 'log' | 'replication'>, members: () => string[]): Promise<Replication> {
  const catalog = await startCatalogReplication({ node, catalog: opts.catalog, log: opts.log.child({ protocol: 'catalog' }), peers: members });
  // Lazy: the handler still serves our store to members (their fetches, their eager pulls),
  // but no receiver pulls theirs; blocks come one at a time through PeerBlockSource.
  const pullFrom = opts.replication === 'lazy' ? () => [] : members;
  let blocks;
  try {
    blocks = await startBlockReplication({ node, store: opts.store, cursorsPath: opts.cursorsPath, log: opts.log.child({ protocol: 'blocks' }), peers: pullFrom });
  } catch (err) {
    await catalog.stop();
    throw err;
  }
  return { stop: async () => { await blocks.stop(); await catalog.stop(); }, receivers: () => blocks.stats().receivers };
}
