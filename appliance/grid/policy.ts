// The grid's decisions, pure: who may act on an environment, whether a spawn fits the
// limits and the cache budget, and which free name to offer when one is taken.
import { ColonyError, invalid, permission } from '../errors.js';

export type CacheKind = 'ram' | 'disk';

export interface GridLimits {
  /** Running environments on this node (the seed's limit: 5). */
  perNode: number;
  /** Running environments of one user, unless `perUserOverrides` names them. */
  perUser: number;
  perUserOverrides: Record<string, number>;
  /** Running disk environments (disk slots). */
  diskSlots: number;
  /** Cache budget of one environment, by kind: heap for ram, disk (DATA/envs/NAME/) for disk. */
  ramCacheBytes: number;
  diskCacheBytes: number;
  /** The heap share of one disk environment: its hot and dirty leaves, and disk writes in flight. */
  diskHeapBytes: number;
  /** Node-wide budgets: the caches of all running environments of a kind together. */
  ramBudgetBytes: number;
  diskBudgetBytes: number;
  /**
   * The heap bound: ram caches plus disk heap shares plus `heapReservedBytes` may not pass
   * this fraction of `memBytes`. `memBytes` 0 means not known (no bound); the Grid fills in
   * os.totalmem().
   */
  heapFraction: number;
  memBytes: number;
  /** Heap the rest of the process has promised already (the store's block cache). */
  heapReservedBytes: number;
  /** How long `save` may take before it fails with COLONY_TIMEOUT (no name is registered). */
  saveTimeoutMs: number;
  /** How often a changed disk environment is checkpointed; 0 turns the timer off. */
  checkpointMs: number;
}

const MiB = 1 << 20;
export const DEFAULT_LIMITS: GridLimits = {
  perNode: 5,
  perUser: 5,
  perUserOverrides: {},
  diskSlots: 5,
  ramCacheBytes: 100 * MiB,
  diskCacheBytes: 1024 * MiB,
  diskHeapBytes: 32 * MiB,
  ramBudgetBytes: 500 * MiB,
  diskBudgetBytes: 5 * 1024 * MiB,
  heapFraction: 0.5,
  memBytes: 0,
  heapReservedBytes: 0,
  saveTimeoutMs: 10 * 60_000,
  checkpointMs: 5_000,
};

export function resolveLimits(partial: Partial<GridLimits> = {}): GridLimits {
  const l = { ...DEFAULT_LIMITS, ...partial, perUserOverrides: { ...DEFAULT_LIMITS.perUserOverrides, ...(partial.perUserOverrides ?? {}) } };
  for (const k of ['perNode', 'perUser', 'diskSlots', 'ramCacheBytes', 'diskCacheBytes', 'diskHeapBytes', 'ramBudgetBytes', 'diskBudgetBytes', 'memBytes', 'heapReservedBytes', 'saveTimeoutMs', 'checkpointMs'] as const) {
    if (!Number.isInteger(l[k]) || l[k] < 0) throw invalid(`grid limit ${k} must be a whole number ≥ 0, got ${String(l[k])}`);
  }
  if (!(l.heapFraction > 0 && l.heapFraction <= 1)) throw invalid(`grid limit heapFraction must be above 0 and at most 1, got ${String(l.heapFraction)}`);
  for (const [u, n] of Object.entries(l.perUserOverrides)) {
    if (!Number.isInteger(n) || n < 0) throw invalid(`grid limit for user ${u} must be a whole number ≥ 0`);
  }
  return l;
}

/**
 * What a spawn decision needs to know about one running environment: its cache (heap for
 * ram, disk for disk) and the heap it may use (for ram the cache itself; for disk its heap
 * share, `diskHeapBytes` when not given).
 */
export interface RunningSummary { name: string; owner: string; kind: CacheKind; cacheBytes: number; heapBytes?: number }

/** The heap an environment of `kind` is promised. */
export const heapOf = (limits: GridLimits, kind: CacheKind): number => (kind === 'ram' ? limits.ramCacheBytes : limits.diskHeapBytes);

export interface HeapPlan {
  /** False when the machine's memory is not known: nothing is bounded. */
  bounded: boolean;
  /** heapFraction of memBytes. */
  limitBytes: number;
  /** Reserved heap plus every running environment's heap. */
  promisedBytes: number;
  /** What the new environment needs. */
  wantBytes: number;
  /** What is left before the new one: limit − promised (never below 0). */
  leftBytes: number;
  fits: boolean;
}

/** Whether one more environment of `kind` fits the heap bound. Pure. */
export function planHeap(limits: GridLimits, running: RunningSummary[], kind: CacheKind): HeapPlan {
  const wantBytes = heapOf(limits, kind);
  const promisedBytes = limits.heapReservedBytes + running.reduce((sum, r) => sum + (r.heapBytes ?? heapOf(limits, r.kind)), 0);
  if (limits.memBytes === 0) return { bounded: false, limitBytes: Infinity, promisedBytes, wantBytes, leftBytes: Infinity, fits: true };
  const limitBytes = Math.floor(limits.memBytes * limits.heapFraction);
  const leftBytes = Math.max(0, limitBytes - promisedBytes);
  return { bounded: true, limitBytes, promisedBytes, wantBytes, leftBytes, fits: promisedBytes + wantBytes <= limitBytes };
}

/** COLONY_LIMIT for a spawn that would pass the heap bound, saying how much is left and what would fit. */
export function heapRefusal(limits: GridLimits, plan: HeapPlan, kind: CacheKind): ColonyError {
  const pct = Math.round(limits.heapFraction * 100);
  const other: CacheKind = kind === 'ram' ? 'disk' : 'ram';
  const otherFits = heapOf(limits, other) <= plan.leftBytes;
  const hint = otherFits ? `; a ${other} environment (${formatMiB(heapOf(limits, other))}) would fit, so try ${other === 'disk' ? 'spawndisk' : 'spawn'}` : '; boom one first';
  return new ColonyError('COLONY_LIMIT',
    `not enough memory for a ${kind} environment: ${formatMiB(plan.promisedBytes)} of the ${formatMiB(plan.limitBytes)} heap bound ` +
    `(${pct}% of ${formatMiB(limits.memBytes)} RAM) is promised, ${formatMiB(plan.leftBytes)} is left, and it needs ${formatMiB(plan.wantBytes)}${hint}`);
}

/** An environment name: the same rules as a score name, but also safe inside a 9P aname and a file name. */
const ENV_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/;

export const isEnvName = (name: string) => ENV_NAME.test(name);

export function checkEnvName(name: string): string {
  if (!isEnvName(name)) {
    throw invalid(`bad environment name ${JSON.stringify(name)}: use 1 to 64 characters A-Z, a-z, 0-9, '.', '_', '+' and '-', starting with a letter or digit`);
  }
  return name;
}

/** The first `base-N` (N ≥ 2) not in `taken`, checking at most `max` candidates. */
export function freeSuffix(base: string, taken: (name: string) => boolean, max = 1000): string | undefined {
  const stem = base.length > 58 ? base.slice(0, 58) : base;
  for (let n = 2; n < max + 2; n++) {
    const candidate = `${stem}-${n}`;
    if (!taken(candidate)) return candidate;
  }
  return undefined;
}

/** COLONY_EXISTS for a spawn under a running environment's name, offering a free one. */
export function alreadyRunning(envName: string, baseText: string, suggestion: string | undefined, disk: boolean): ColonyError {
  const verb = disk ? 'spawndisk' : 'spawn';
  const offer = suggestion ? `; spawn it as ${suggestion} with \`${verb} ${baseText} as ${suggestion}\`` : '; choose another name with `as`';
  return new ColonyError('COLONY_EXISTS', `${envName} is running${offer}`);
}

/**
 * Throws when one more environment of `kind` for `user` would pass a limit: a count or the
 * heap bound (COLONY_LIMIT), or the node-wide cache budget of its kind (COLONY_NO_SPACE). Pure.
 */
export function checkSpawn(limits: GridLimits, running: RunningSummary[], user: string, kind: CacheKind): void {
  if (running.length >= limits.perNode) {
    throw new ColonyError('COLONY_LIMIT', `this node runs ${running.length} environments, its limit; boom one first`);
  }
  const userLimit = limits.perUserOverrides[user] ?? limits.perUser;
  const mine = running.filter((r) => r.owner === user).length;
  if (mine >= userLimit) {
    throw new ColonyError('COLONY_LIMIT', `${user} runs ${mine} environment${mine === 1 ? '' : 's'}, the per-user limit of ${userLimit}; boom one first`);
  }
  const ofKind = running.filter((r) => r.kind === kind);
  if (kind === 'disk' && ofKind.length >= limits.diskSlots) {
    throw new ColonyError('COLONY_LIMIT', `all ${limits.diskSlots} disk slots are in use; use spawn for a ram environment or boom a disk one`);
  }
  const heap = planHeap(limits, running, kind);
  if (!heap.fits) throw heapRefusal(limits, heap, kind);
  const want = kind === 'ram' ? limits.ramCacheBytes : limits.diskCacheBytes;
  const budget = kind === 'ram' ? limits.ramBudgetBytes : limits.diskBudgetBytes;
  const used = ofKind.reduce((sum, r) => sum + r.cacheBytes, 0);
  if (used + want > budget) {
    throw new ColonyError('COLONY_NO_SPACE', `no ${kind} cache space: ${formatMiB(used)} of ${formatMiB(budget)} in use, a new environment needs ${formatMiB(want)}`);
  }
}

export interface DiskRoomPlan {
  /** Free bytes on the data disk (for unprivileged users). */
  freeBytes: number;
  /** What running disk caches may still take: their capacity less what they hold. */
  unfilledBytes: number;
  wantBytes: number;
  fits: boolean;
}

/**
 * Whether a new disk cache fits on the data disk, counting what running caches may still
 * grow into (their files are sparse and fill as they are used). Pure.
 */
export function planDiskRoom(limits: GridLimits, freeBytes: number, unfilledBytes: number): DiskRoomPlan {
  const wantBytes = limits.diskCacheBytes;
  return { freeBytes, unfilledBytes, wantBytes, fits: freeBytes - unfilledBytes >= wantBytes };
}

export function diskRoomRefusal(plan: DiskRoomPlan): ColonyError {
  const others = plan.unfilledBytes > 0 ? ` and running disk caches may still take ${formatMiB(plan.unfilledBytes)} of it` : '';
  return new ColonyError('COLONY_NO_SPACE',
    `the data disk has ${formatMiB(plan.freeBytes)} free${others}; a disk environment's cache needs up to ${formatMiB(plan.wantBytes)}: ` +
    'use spawn for a ram environment, boom a disk one, or lower environments.diskCacheBytes');
}

/** Who may act on an environment: only its owner, for every verb that changes or reads it. */
export function checkOwner(user: string, env: { name: string; owner: string }, verb: string): void {
  if (env.owner !== user) throw permission(`environment ${env.name} is not yours; you cannot ${verb} it`);
}

/** Which environments `status` lists for a user: their own, or every one for an admin. */
export const visibleTo = <T extends { owner: string }>(user: string, admin: boolean, envs: T[]): T[] =>
  admin ? envs : envs.filter((e) => e.owner === user);

export function formatMiB(bytes: number): string {
  const mib = bytes / MiB;
  return `${Number.isInteger(mib) ? mib : mib.toFixed(1)} MiB`;
}
