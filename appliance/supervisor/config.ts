// The supervisor's configuration: embedded defaults, overridden by an optional JSON file
// (--config, $COLONY_CONFIG, or /etc/colony/colony.json). JSON, because Node reads it
// without a dependency and every editor checks it. Validation is pure and names the key.
import { readFile } from 'node:fs/promises';
import { ColonyError, fromSystemError, invalid } from '../errors.js';
import { checkInstanceName } from '../discovery/index.js';
import { publicKeyOfPeerId } from '../identity/index.js';
import { checkUserName } from '../catalog/index.js';
import { checkLedConfig, defaultLedConfig, type LedConfig } from '../../hw/leds/index.js';
import { checkSerialConfig, defaultSerialConfig, type SerialConfig } from '../../hw/serial/index.js';
import { checkSysinfoConfig, defaultSysinfoConfig, type SysinfoConfig } from '../../hw/sysinfo/index.js';

const MiB = 1 << 20;

export interface Config {
  ninep: {
    /** TCP listeners, host:port. Default 0.0.0.0:564 as root, else 0.0.0.0:5640. */
    listen: string[];
    maxMsize: number;
    /** TCP connections at once, and from one address; more are closed at accept. */
    maxConnections: number; maxPerAddress: number;
    /** From TCP accept to the first successful attach; until then frames are small. */
    handshakeTimeoutSeconds: number;
    /** A 9P message whose first bytes arrived must be whole by then (slow senders). */
    frameTimeoutSeconds: number;
    /** Replies one connection may have queued for a peer that is not reading them. */
    maxQueuedReplyBytes: number;
    maxHeldBytes: number;
    maxTotalFids: number;
    maxFids: number;
  };
  ssh: {
    listen: string; hostKey: string;
    /** From TCP accept to a finished login; a socket that never speaks SSH is dropped then. */
    handshakeTimeoutSeconds: number;
    maxConnections: number; maxPerAddress: number;
    /** Slots past maxConnections that only a public-key login keeps. */
    reserveConnections: number;
  };
  store: {
    arenaBytes: number; cacheBytes: number;
    /** Free bytes the store keeps on its disk: new blocks are refused (COLONY_NO_SPACE) below it, so the node never fills its card. */
    reserveBytes: number;
    /** New blocks stored compressed when that saves an eighth ('auto'), or never ('off'); compressed blocks read either way. */
    compress: 'auto' | 'off';
  };
  /** Garbage collection (appliance/gc): what a run rewrites, how fast, and how often it runs by itself. */
  gc: {
    /** Sealed arenas are rewritten only until the garbage left is at most this percentage of the store (restic's --max-unused); 0 rewrites every arena with garbage. */
    maxUnusedPercent: number;
    /** The I/O budget of compaction, so environments keep the disk. */
    bytesPerSecond: number;
    /** A run by itself every this many hours (0: only when an admin runs `gc`). */
    intervalHours: number;
  };
  /** Per-user byte quotas over the blocks their names and environments hold (0 = none). */
  quota: { defaultBytes: number; perUser: Record<string, number> };
  /** The front panel (appliance/web): a read-only status page and /metrics over HTTP. */
  web: {
    enabled: boolean;
    /** host:port; default 0.0.0.0:80 as root, else 0.0.0.0:8080. */
    listen: string;
  };
  environments: {
    ramCacheBytes: number;
    diskCacheBytes: number;
    /** Heap of one disk environment (its cache is on disk); see docs/environments.md. */
    diskHeapBytes: number;
    /** Ram caches + disk heap shares + the store's cache may not pass this fraction of RAM. */
    heapFraction: number;
    maxPerNode: number;
    maxPerUser: number;
    checkpointSeconds: number;
    saveTimeoutSeconds: number;
  };
  /** The grid's peer network (appliance/peer): libp2p on TCP 17034. */
  peer: {
    /** TCP listeners, host:port; [] turns the peer network off. */
    listen: string[];
    /** Static addresses of members (host:port or a multiaddr), dialled besides those in the pairing records. */
    peers: Array<{ id: string; address: string }>;
    /** A paired peer unreachable this long turns the health state to `degraded`. */
    unreachableDegradedSeconds: number;
    /**
     * `eager`: block replication pulls every block of the members' stores, and a replicated
     * name is shown once its whole closure is local. `lazy`: no bulk pull; a name is shown
     * once its closure is local or a connected member says it holds the closure
     * (`/colony/names/1`), and blocks arrive on demand when an environment reads them.
     */
    replication: 'eager' | 'lazy';
    /** A read of a block that is not local waits this long for the peers, then fails (EIO). */
    fetchTimeoutSeconds: number;
  };
  /** LAN discovery by mDNS/DNS-SD (appliance/discovery): announce `_colony._tcp`, find members. */
  discovery: {
    enabled: boolean;
    /** The announced instance name; '' = `colony-` and the node id's last six characters. */
    name: string;
    /** Interface names to announce on; [] = every IPv4 interface but the loopback. */
    interfaces: string[];
  };
  /**
   * Processes inside environments (appliance/exec): SSH `cpu`, the `cpu/NAME` and `proc` 9P
   * trees. Each environment gets one cgroup v2 group with these limits, taken from its
   * owner's (`perUser` overrides them per owner, as the spawn limits are per user); every
   * process in it, the owner's and invited users', shares them.
   */
  exec: {
    /** false: no executor is started; `cpu` says it is not enabled, and spawn prints no cpu line. */
    enabled: boolean;
    /**
     * `memory.max` of one environment (swap 0). 512 MiB: a compiler or a package manager fits
     * (gcc on one big file, apt, `make -j2`), while on a 2 GiB appliance two hogs still
     * leave the supervisor its heap (environments.heapFraction) and the page cache. A fixed
     * size, not a fraction of RAM, so an environment behaves the same on every node of a grid.
     */
    memoryBytes: number;
    /** `cpu.max` as a percentage of one core: 100 = one core, 250 = two and a half. */
    cpuPercent: number;
    /** `pids.max`: processes and threads; 512 stops a fork bomb long before the node's limit. */
    pids: number;
    /** Per owner: { "alice": { "memoryBytes": 2147483648 } } replaces only what it names. */
    perUser: Record<string, Partial<ExecLimits>>;
    /**
     * The v9fs cache of the environment's mount: `mmap` (default; executables can be mapped,
     * no metadata caching, so writes over 9P are seen at once), `loose` (faster, may show
     * stale files written by other clients), `none` (no mmap of files: some programs fail).
     */
    cache: 'mmap' | 'loose' | 'none';
  };
  /** The status LEDs (hw/leds): which LED plays which role, and the pattern of each condition. See docs/operator.md. */
  leds: LedConfig;
  /** The serial console (hw/serial): the port ('' = /dev/serial0, else /dev/ttyS0) and its speed. */
  serial: SerialConfig;
  /** What the board reports (hw/sysinfo): how often, and when the temperature or the disk makes the node degraded. */
  sysinfo: SysinfoConfig;
  /** `format`: `auto` is readable on a terminal and JSON lines otherwise (journald, pipes). */
  log: { level: 'debug' | 'info' | 'warn' | 'error'; format: 'auto' | 'pretty' | 'json' };
}

/** The cgroup limits of one environment. */
export interface ExecLimits { memoryBytes: number; cpuPercent: number; pids: number }

/** The limits of an environment owned by `owner`: the section's, then the owner's overrides. */
export function execLimitsFor(exec: Config['exec'], owner: string): ExecLimits {
  const base = { memoryBytes: exec.memoryBytes, cpuPercent: exec.cpuPercent, pids: exec.pids };
  return { ...base, ...(Object.hasOwn(exec.perUser, owner) ? exec.perUser[owner] : {}) };
}

export function defaultConfig(isRoot = process.getuid?.() === 0): Config {
  return {
    ninep: {
      listen: [`0.0.0.0:${isRoot ? 564 : 5640}`], maxMsize: MiB,
      maxConnections: 256, maxPerAddress: 32, handshakeTimeoutSeconds: 30, frameTimeoutSeconds: 60, maxQueuedReplyBytes: 4 * MiB, maxHeldBytes: 64 * MiB, maxFids: 16384, maxTotalFids: 131072,
    },
    ssh: { listen: '0.0.0.0:2222', hostKey: 'ssh_host_ed25519_key', handshakeTimeoutSeconds: 15, maxConnections: 64, maxPerAddress: 8, reserveConnections: 4 },
    store: { arenaBytes: 512 * MiB, cacheBytes: 64 * MiB, reserveBytes: 256 * MiB, compress: 'auto' },
    gc: { maxUnusedPercent: 5, bytesPerSecond: 16 * MiB, intervalHours: 24 },
    quota: { defaultBytes: 0, perUser: {} },
    web: { enabled: true, listen: `0.0.0.0:${isRoot ? 80 : 8080}` },
    environments: { ramCacheBytes: 100 * MiB, diskCacheBytes: 1024 * MiB, diskHeapBytes: 32 * MiB, heapFraction: 0.5, maxPerNode: 5, maxPerUser: 5, checkpointSeconds: 5, saveTimeoutSeconds: 600 },
    peer: { listen: ['0.0.0.0:17034'], peers: [], unreachableDegradedSeconds: 300, replication: 'eager', fetchTimeoutSeconds: 10 },
    discovery: { enabled: true, name: '', interfaces: [] },
    exec: { enabled: true, memoryBytes: 512 * MiB, cpuPercent: 100, pids: 512, perUser: {}, cache: 'mmap' },
    leds: defaultLedConfig(),
    serial: defaultSerialConfig(),
    sysinfo: defaultSysinfoConfig(),
    log: { level: 'info', format: 'auto' },
  };
}

type Check = (v: unknown, key: string) => unknown;
const fail = (key: string, want: string, got: unknown) => invalid(`config key '${key}': expected ${want}, got ${JSON.stringify(got)}`);
const int = (min: number, max = Number.MAX_SAFE_INTEGER): Check => (v, key) => {
  if (!Number.isInteger(v) || (v as number) < min || (v as number) > max) throw fail(key, `a whole number from ${min} to ${max}`, v);
  return v;
};
const fraction: Check = (v, key) => {
  if (typeof v !== 'number' || !(v > 0 && v <= 1)) throw fail(key, 'a number above 0 and at most 1', v);
  return v;
};
const bool: Check = (v, key) => { if (typeof v !== 'boolean') throw fail(key, 'true or false', v); return v; };
const address: Check = (v, key) => {
  if (typeof v !== 'string' || !/^(\[[0-9a-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(v) || Number(v.split(':').pop()) > 65535) throw fail(key, 'host:port', v);
  return v;
};
const text: Check = (v, key) => { if (typeof v !== 'string' || !v) throw fail(key, 'a non-empty string', v); return v; };
const instanceName: Check = (v, key) => {
  if (typeof v !== 'string') throw fail(key, 'a string', v);
  if (v) try { checkInstanceName(v); } catch { throw fail(key, "'' or one DNS label (1 to 63 bytes, no dot)", v); }
  return v;
};
const ifName: Check = (v, key) => { if (typeof v !== 'string' || !/^[\w.:@-]{1,15}$/.test(v)) throw fail(key, 'an interface name', v); return v; };
const oneOf = (...xs: string[]): Check => (v, key) => { if (!xs.includes(v as string)) throw fail(key, xs.join(' | '), v); return v; };
const list = (item: Check): Check => (v, key) => {
  if (!Array.isArray(v)) throw fail(key, 'a list', v);
  return v.map((x, i) => item(x, `${key}[${i}]`));
};

// A static peer: its node id and one address (host:port, or a multiaddr starting with /).
const staticPeer: Check = (v, key) => {
  const o = v as Record<string, unknown>;
  if (typeof v !== 'object' || v === null || Array.isArray(v) || Object.keys(o).some((k) => k !== 'id' && k !== 'address')) throw fail(key, '{ "id": NODE-ID, "address": ADDRESS }', v);
  try { publicKeyOfPeerId(o.id as string); } catch { throw fail(`${key}.id`, 'a node id (12D3KooW…)', o.id); }
  if (typeof o.address !== 'string' || !(o.address.startsWith('/') ? /^[\x21-\x7e]{2,256}$/.test(o.address) : address(o.address, `${key}.address`))) throw fail(`${key}.address`, 'host:port or a multiaddr', o.address);
  return { id: o.id, address: o.address };
};

const LIMIT_CHECKS: Record<keyof ExecLimits, Check> = { memoryBytes: int(16 * MiB, 2 ** 50), cpuPercent: int(1, 100 * 1024), pids: int(16, 4_194_304) };

// { USER: { memoryBytes?, cpuPercent?, pids? } }: USER a Colony user name (it may not exist yet).
const perUserLimits: Check = (v, key) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw fail(key, '{ USER: { "memoryBytes"?, "cpuPercent"?, "pids"? } }', v);
  const out: Record<string, Partial<ExecLimits>> = {};
  for (const [user, limits] of Object.entries(v)) {
    try { checkUserName(user); } catch { throw fail(key, 'user names as keys', user); }
    const k = `${key}.${user}`;
    if (typeof limits !== 'object' || limits === null || Array.isArray(limits)) throw fail(k, '{ "memoryBytes"?, "cpuPercent"?, "pids"? }', limits);
    const one: Partial<ExecLimits> = {};
    for (const [name, n] of Object.entries(limits)) {
      const check = LIMIT_CHECKS[name as keyof ExecLimits];
      if (!check) throw invalid(`config key '${k}.${name}' is not known (known: ${Object.keys(LIMIT_CHECKS).join(', ')})`);
      one[name as keyof ExecLimits] = check(n, `${k}.${name}`) as number;
    }
    out[user] = one;
  }
  return out;
};

// { USER: bytes }: USER a Colony user name (it may not exist yet); 0 = no quota for that user.
const perUserBytes: Check = (v, key) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw fail(key, '{ USER: BYTES }', v);
  const out: Record<string, number> = {};
  for (const [user, n] of Object.entries(v)) {
    try { checkUserName(user); } catch { throw fail(key, 'user names as keys', user); }
    out[user] = int(0, 2 ** 53 - 1)(n, `${key}.${user}`) as number;
  }
  return out;
};

const SCHEMA: Record<string, Record<string, Check>> = {
  ninep: {
    listen: list(address), maxMsize: int(8192, 16 * MiB),
    maxConnections: int(1, 100_000), maxPerAddress: int(1, 100_000), handshakeTimeoutSeconds: int(1, 3600), frameTimeoutSeconds: int(1, 3600),
    maxQueuedReplyBytes: int(64 * 1024, 1024 * MiB), maxHeldBytes: int(MiB, 16 * 1024 * MiB), maxFids: int(16, 1 << 24), maxTotalFids: int(16, 1 << 26),
  },
  ssh: { listen: address, hostKey: text, handshakeTimeoutSeconds: int(1, 600), maxConnections: int(1, 10_000), maxPerAddress: int(1, 10_000), reserveConnections: int(0, 1_000) },
  store: { arenaBytes: int(4 * MiB, 2 ** 36 - 1), cacheBytes: int(0, 64 * 1024 * MiB), reserveBytes: int(0, 2 ** 50), compress: oneOf('auto', 'off') },
  gc: { maxUnusedPercent: int(0, 100), bytesPerSecond: int(MiB, 2 ** 40), intervalHours: int(0, 24 * 365) },
  quota: { defaultBytes: int(0, 2 ** 53 - 1), perUser: perUserBytes },
  web: { enabled: bool, listen: address },
  environments: {
    ramCacheBytes: int(MiB), diskCacheBytes: int(MiB), diskHeapBytes: int(MiB), heapFraction: fraction, maxPerNode: int(1, 10_000), maxPerUser: int(1, 10_000),
    checkpointSeconds: int(1, 3600), saveTimeoutSeconds: int(1, 86_400),
  },
  peer: { listen: list(address), peers: list(staticPeer), unreachableDegradedSeconds: int(1, 30 * 86_400), replication: oneOf('eager', 'lazy'), fetchTimeoutSeconds: int(1, 600) },
  discovery: { enabled: bool, name: instanceName, interfaces: list(ifName) },
  exec: { enabled: bool, ...LIMIT_CHECKS, perUser: perUserLimits, cache: oneOf('mmap', 'loose', 'none') },
  log: { level: oneOf('debug', 'info', 'warn', 'error'), format: oneOf('auto', 'pretty', 'json') },
};

/** Sections whose owner (hw/*) checks them whole, merged over its defaults; errors name the key. */
const WHOLE_SECTIONS: Record<string, (v: unknown, key: string) => unknown> = {
  leds: checkLedConfig, serial: checkSerialConfig, sysinfo: checkSysinfoConfig,
};

/** Keys that were removed, and why: a file that still sets one is refused with this text. */
const REMOVED: Record<string, string> = {
  'ninep.tcpCtl': 'it let anyone who reached the 9P port act as any user, admin included (the attach uname is not a credential). ' +
    'ctl is served on the unix socket DATA/9p.sock only, whose file mode is the guard; to control a node remotely use the SSH console (ssh -p 2222 USER@HOST), which authenticates. Delete the key',
};

/** Merges `input` (a parsed JSON file) over the defaults. Every mistake names its key. */
export function validateConfig(input: unknown, defaults = defaultConfig()): Config {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw invalid('the config file must hold a JSON object');
  const out = structuredClone(defaults) as unknown as Record<string, Record<string, unknown>>;
  for (const [section, value] of Object.entries(input)) {
    const whole = WHOLE_SECTIONS[section];
    if (whole) { out[section] = whole(value, section) as Record<string, unknown>; continue; }
    const schema = SCHEMA[section];
    if (!schema) throw invalid(`config key '${section}' is not known (known: ${[...Object.keys(SCHEMA), ...Object.keys(WHOLE_SECTIONS)].join(', ')})`);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw fail(section, 'an object', value);
    for (const [key, v] of Object.entries(value)) {
      const gone = REMOVED[`${section}.${key}`];
      if (gone !== undefined) throw invalid(`config key '${section}.${key}' was removed: ${gone}`);
      const check = schema[key];
      if (!check) throw invalid(`config key '${section}.${key}' is not known (known: ${Object.keys(schema).join(', ')})`);
      out[section]![key] = check(v, `${section}.${key}`);
    }
  }
  return out as unknown as Config;
}

export interface LoadedConfig { config: Config; source: string }

/** Finds and reads the config: an explicit path must exist; the default path may be absent. */
export async function loadConfig(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<LoadedConfig> {
  const path = explicit ?? env.COLONY_CONFIG;
  const candidate = path ?? '/etc/colony/colony.json';
  let raw: string;
  try {
    raw = await readFile(candidate, 'utf8');
  } catch (err) {
    if (!path && (err as NodeJS.ErrnoException).code === 'ENOENT') return { config: defaultConfig(), source: 'embedded defaults' };
    throw fromSystemError(err, `reading the config file ${candidate}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    throw new ColonyError('COLONY_INVALID', `the config file ${candidate} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  try {
    return { config: validateConfig(parsed), source: candidate };
  } catch (err) {
    throw new ColonyError('COLONY_INVALID', `${candidate}: ${(err as ColonyError).detail}`, { cause: err });
  }
}
