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
  /** Cache budget of one environment, by kind. */
  ramCacheBytes: number;
  diskCacheBytes: number;
  /** Node-wide budgets: the caches of all running environments of a kind together. */
  ramBudgetBytes: number;
  diskBudgetBytes: number;
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
  ramBudgetBytes: 500 * MiB,
  diskBudgetBytes: 5 * 1024 * MiB,
  saveTimeoutMs: 10 * 60_000,
  checkpointMs: 5_000,
};

export function resolveLimits(partial: Partial<GridLimits> = {}): GridLimits {
  const l = { ...DEFAULT_LIMITS, ...partial, perUserOverrides: { ...DEFAULT_LIMITS.perUserOverrides, ...(partial.perUserOverrides ?? {}) } };
  for (const k of ['perNode', 'perUser', 'diskSlots', 'ramCacheBytes', 'diskCacheBytes', 'ramBudgetBytes', 'diskBudgetBytes', 'saveTimeoutMs', 'checkpointMs'] as const) {
    if (!Number.isInteger(l[k]) || l[k] < 0) throw invalid(`grid limit ${k} must be a whole number ≥ 0, got ${String(l[k])}`);
  }
  for (const [u, n] of Object.entries(l.perUserOverrides)) {
    if (!Number.isInteger(n) || n < 0) throw invalid(`grid limit for user ${u} must be a whole number ≥ 0`);
  }
  return l;
}

/** What a spawn decision needs to know about one running environment. */
export interface RunningSummary { name: string; owner: string; kind: CacheKind; cacheBytes: number }

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
 * Throws when one more environment of `kind` for `user` would pass a limit: a count
 * (COLONY_LIMIT) or the node-wide cache budget (COLONY_NO_SPACE). Pure.
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
  const want = kind === 'ram' ? limits.ramCacheBytes : limits.diskCacheBytes;
  const budget = kind === 'ram' ? limits.ramBudgetBytes : limits.diskBudgetBytes;
  const used = ofKind.reduce((sum, r) => sum + r.cacheBytes, 0);
  if (used + want > budget) {
    throw new ColonyError('COLONY_NO_SPACE', `no ${kind} cache space: ${formatMiB(used)} of ${formatMiB(budget)} in use, a new environment needs ${formatMiB(want)}`);
  }
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
