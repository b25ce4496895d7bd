// The one value the front panel shows: what the supervisor knows about this node right now.
// The supervisor builds it (supervisor/node-status.ts); everything in appliance/web is a pure
// function of it, except the HTTP server, which only asks for it. It holds more than an
// anonymous visitor may see (environment names, owners, peers): `viewOf` (view.ts) decides
// what each viewer gets, and it never holds a token or a mount line at all.

export type HealthText = 'booting' | 'ready' | 'degraded' | 'stopping' | 'stopped' | 'error' | string;

/** What the collector did since the supervisor started (supervisor/gc-service.ts). */
export interface GcFigures { runs: number; freedBytes: number; writtenBytes: number; last: { at: string; freedBytes: number; seconds: number } | null }

export interface NodeStatus {
  /** When the value was built (ISO). */
  at: string;
  node: {
    id: string;
    /** The name announced on the LAN (colony-ab12), or '' when discovery is off. */
    name: string;
    version: string;
    /** When the supervisor started (ISO), and seconds since. */
    started: string;
    uptimeSeconds: number;
  };
  health: { state: HealthText; reasons: string[] };
  board: {
    model?: string;
    temperatureC: number | null;
    memory: { totalBytes: number; availableBytes: number } | null;
    load: [number, number, number] | null;
    disk: { totalBytes: number; availableBytes: number } | null;
    /** sysinfo.diskReserveBytes: below this much free the node is degraded. */
    reserveBytes: number;
    /** The LED condition (ready, busy, identify…) and the driver (sysfs, gpiod, sim, none). */
    leds: { condition: string; backend: string };
  };
  /** The block store (what stats() gives); null while it is closed. */
  store: {
    blocks: number; bytes: number; diskBytes: number; arenas: number;
    cacheHits: number; cacheMisses: number;
    /** store.reserveBytes, and whether the store refuses new blocks now for lack of it. */
    reserveBytes: number; refusing: boolean;
    /** Since the store opened: blocks written and read (bytes as stored), reads that found a block corrupt. */
    io?: { blocksWritten: number; bytesWritten: number; blocksRead: number; bytesRead: number; corruptReads: number };
  } | null;
  /** The 9P server: open connections and fids, connections refused at accept and dropped; requests and errors by T-message type. */
  ninep: { connections: number; fids: number; refused: number; dropped: number; requests?: Record<string, number>; errors?: Record<string, number> } | null;
  /** Every running environment. Names and owners are for a logged-in admin only (view.ts). */
  environments: EnvironmentRow[];
  /** The peer network; null when it is off. */
  peers: PeerRowStatus[] | null;
  /** Garbage collection since the supervisor started; null when there is no collector. */
  gc: GcFigures | null;
  /** Counters kept since the supervisor started (node-status.ts). */
  counters: { spawns: number; booms: number; saves: number };
  /** Recent events, newest first (spawns, booms, saves, health, peer and replication changes). */
  events: StatusEvent[];
}

export interface EnvironmentRow {
  name: string;
  owner: string;
  kind: string;
  clients: number;
  uptimeSeconds: number;
  unsaved: boolean;
}

export interface PeerRowStatus {
  id: string;
  state: string;
  lastSeen?: string;
  sync?: { state: string; lagBytes?: number; lagBlocks?: number; receivedBytes: number; receivedBlocks: number };
}

export interface StatusEvent {
  at: string;
  kind: 'spawn' | 'boom' | 'save' | 'health' | 'peer' | 'replication';
  /** For an admin: says who and what ('alice spawned dev'). */
  text: string;
  /** For everyone: the same without names ('an environment started'). */
  anonymous: string;
}

/** Who is looking: nobody logged in, a user, or an admin. */
export type Viewer = { kind: 'anonymous' } | { kind: 'user' | 'admin'; name: string };
