// What a console command may reach. Every adapter (SSH, the console socket, ctl, the
// serial port, `colony console` on its own) fills in what it has; a verb whose needs are
// missing answers COLONY_UNSUPPORTED instead of failing in an odd way.
import type { Catalog } from '../catalog/index.js';
import type { Grid } from '../grid/index.js';
import type { CpuRunner } from './cpu.js';
import type { SnapshotTransfer } from './transfer.js';
import type { ConsoleReply } from './reply.js';

/** The verbs the console needs from a grid; a Grid has them (tests may pass a fake). */
export type GridVerbs = Pick<Grid, 'spawn' | 'save' | 'invite' | 'boom' | 'status' | 'scores'>
  // For `status` notices and `users remove`; fakes may leave them out.
  & Partial<Pick<Grid, 'notices' | 'ownedBy' | 'boomAllOf' | 'pendingScores'>>;

/** What the console asks of the catalog; `forget` needs the last two (fakes may leave them out). */
export type Accounts = Pick<Catalog, 'getUser' | 'checkPassword' | 'setPassword' | 'addKey' | 'listUsers' | 'addUser' | 'removeUser' | 'userForKey'>
  & Partial<Pick<Catalog, 'forgetName' | 'checkForget'>>;

/** Something that answers grid lines without being a Grid (a stand-in, a remote grid). */
export interface Interpreter {
  run(user: string, line: string): Promise<ConsoleReply>;
}

export type PeerState = 'connected' | 'unreachable' | 'refused' | 'seen';

/** One line of `peers`. */
export interface PeerRow {
  id: string;
  paired: boolean;
  /** Where it is dialled (pairing record and config), or where a refused one came from. */
  addresses: string[];
  state: PeerState;
  /** ISO time it was last connected (or, for a refused one, last refused); absent: never. */
  lastSeen?: string;
  /** ISO time since when a paired peer has been unreachable. */
  unreachableSince?: string;
  /** The last dial's failure, for the admin. */
  error?: string;
  /** The name it announces on the LAN (a node only seen there, `seen`). */
  name?: string;
  /** Block replication from this peer (absent: no receiver runs for it, say lazy mode or not connected). */
  sync?: PeerSync;
}

/** A block receiver's view of one peer (appliance/peer/block-stats.ts), for `peers`. */
export interface PeerSync {
  state: 'idle' | 'syncing' | 'backoff' | 'paused: disk full';
  /** The peer's log bytes past our cursor, and its entries (blocks) there; `lagBlocksExact` false: estimated. */
  lagBytes?: number;
  lagBlocks?: number;
  lagBlocksExact?: boolean;
  /** Bytes received per second over the last 10 s. */
  rateBytesPerSec: number;
  /** While syncing: the percent of the peer's log read. */
  percent?: number;
  receivedBlocks: number;
  receivedBytes: number;
  /** The last session failure (code: message). */
  lastError?: string;
}

/** The peer network, for `peers`, `pair` and `unpair` (appliance/supervisor/peers.ts has one). */
export interface PeerControl {
  self: string;
  list(): PeerRow[];
  pair(id: string, address: string | undefined, by: string): Promise<{ code: string }>;
  unpair(id: string, by: string): Promise<void>;
}

export interface NodeInfo {
  id: string;
  version: string;
  /** When the appliance started (ms since the epoch). */
  started: number;
  /** Open SSH sessions. */
  sessions?: () => number;
  /** The peer network; absent when it is off (peer.listen is []) or out of reach. */
  peers?: PeerControl;
  /** LAN discovery (mDNS), set once it runs: the announced name, the renames, the interfaces. */
  lan?: () => { name: string; renames: Array<{ from: string; to: string }>; interfaces: string[]; via?: 'avahi-daemon' | 'in process' };
  /** The SSH console's port once it listens, for the `cpu` lines (spawn, cpu --help). */
  sshPort?: number;
  /** Runs processes in environments (the supervisor's executor); absent: cpu is off on this node. */
  cpu?: CpuRunner;
  /** Snapshots in and out as tar streams (the supervisor's store and catalog), for SSH `import`/`export`; absent: refused. */
  snapshots?: SnapshotTransfer;
  /** The board (hw/ through the supervisor), for `node`. */
  board?: () => BoardInfo;
  /** Garbage collection and usage; absent: `gc` and `usage` are refused (COLONY_UNSUPPORTED). */
  gc?: GcRunner;
  /** Blinks the LEDs distinctively for SECONDS (0 stops), for `identify`: until when, and on which LEDs. */
  identify?: (seconds: number, by: string) => { until: number; leds: string };
}

/**
 * Garbage collection and usage (appliance/gc, wired by the supervisor), for `gc` and
 * `usage`. Structural, so the console never imports appliance/gc.
 */
export interface GcRunner {
  /** Plans (dryRun) or runs a collection; `by` is the admin who asked. */
  run(options: { dryRun: boolean; by: string }): Promise<GcReport>;
  usage(): Promise<UsageReport>;
}

export interface GcReport {
  dryRun: boolean;
  liveBytes: number;
  garbageBytes: number;
  storeBytes: number;
  /** Sealed arenas whose garbage is freed: in place with holes, or by copying their live records forward. */
  rewrite: { arena: number; liveBytes: number; garbageBytes: number }[];
  /** Arenas with nothing live, deleted outright. */
  remove: number[];
  bytesToFree: number;
  /** At most: live records are copied only where holes cannot free an arena's garbage. */
  bytesToWrite: number;
  /** What a run did (0 on a dry run). */
  freedBytes: number;
  writtenBytes: number;
  /** Rewritten arenas whose live records were copied. */
  copied: number[];
  seconds: number;
}

export interface UsageReport {
  /** Bytes a user's names and environments hold, shared blocks counted once per user. */
  users: { user: string; bytes: number; names: number; environments: number; quotaBytes?: number }[];
  storeBytes: number;
  /** How the bytes are counted, for people. */
  note: string;
}

/** What the supervisor reads from the board (hw/sysinfo, hw/leds, hw/serial), for people. */
export interface BoardInfo {
  model?: string;
  sample?: {
    temperatureC: number | null;
    memory: { totalBytes: number; availableBytes: number };
    load: [number, number, number];
    uptimeSeconds: number;
    disk: { path: string; totalBytes: number; availableBytes: number } | null;
  };
  addresses: string[];
  /** Why the node is degraded (a peer unreachable, the disk past its reserve, the temperature high). */
  degraded: string[];
  /** The LED condition (ready, busy, identify…), the backend (sysfs, gpiod, sim) and which devices. */
  leds: { condition: string; backend: string; devices?: string };
  /** The serial console's line and its state (open, retrying: WHY, simulated at PATH). */
  serial?: { path: string; state: string };
}

export interface ConsoleContext {
  /** The Colony user the line runs as; the adapter has authenticated them. */
  user: string;
  /**
   * The account the session logged in as (`UserInfo.account`, from `loginAccount`): a user
   * removed and added again under the same name is a new account, which an old session
   * must not act as. Unset: only whether `user` exists is checked.
   */
  account?: string;
  grid?: GridVerbs;
  /** Takes grid lines when there is no `grid`. */
  interpreter?: Interpreter;
  accounts?: Accounts;
  node?: NodeInfo;
  /** Asks the person a question; undefined when they gave up (Ctrl-C, Ctrl-D, end of input). */
  ask?(prompt: string, options: { secret: boolean }): Promise<string | undefined>;
  /** Called (not awaited) by `shutdown`. */
  shutdown?: (by: string) => void | Promise<void>;
  now?: () => number;
}
