// What booming an environment does, once the Grid has decided who may: the stop hooks run
// (the executor kills its processes and unmounts it), the token is revoked, the boom hooks
// run (9P clients are cut off), and a disk environment's record and cache are removed.
// The snapshot stays.
import { ColonyError } from '../errors.js';
import type { Log } from '../log.js';
import type { EnvCaches } from './caches.js';
import type { Environment } from './environment.js';
import { checkReason, type Notices } from './notices.js';
import type { GridLimits, RunningSummary } from './policy.js';
import { settles } from './queue.js';
import type { EnvRecords } from './records.js';

/** How long a boom waits for the stop hooks (the executor kills processes and unmounts in it). */
export const STOPPING_MS = 10_000;

export interface BoomResult { name: string; unsaved: boolean; warning?: string; /** Set when an admin boomed another user's environment. */ owner?: string }

/** The Grid's state a boom changes; the maps are the Grid's own. */
export interface BoomState {
  readonly envs: Map<string, Environment>;
  /** Names held while a spawn or a boom is under way. */
  readonly starting: Map<string, RunningSummary>;
  readonly hooks: Set<(env: Environment) => void>;
  /** Awaited (bounded by STOPPING_MS) before the token is revoked: processes die before their filesystem goes. */
  readonly stopping: Set<(env: Environment) => Promise<void>>;
  readonly records: EnvRecords;
  readonly caches: EnvCaches;
  readonly log: Log;
  readonly limits: GridLimits;
  summaryOf(env: Environment): RunningSummary;
}

/** Forgets `env`; with `discard` (a boom, not a close) also removes its record and cache and closes its volume. */
export async function stopEnvironment(s: BoomState, env: Environment, discard: boolean): Promise<BoomResult> {
  const unsaved = env.unsaved;
  s.envs.delete(env.name);
  // The name stays taken until the record is gone, so a new spawn's record is never removed
  // (and no spawn of the same name starts while the stop hooks are killing processes).
  if (discard) s.starting.set(env.name, s.summaryOf(env));
  try {
    await runStopping(s, env);
    for (const err of [...env.revoke(), ...fire(s.hooks, env)]) s.log.warn({ env: env.name, err: String(err) }, 'a boom hook failed');
    if (discard && env.kind === 'disk') {
      // A checkpoint in flight may still write the record: wait for the queue (bounded, so
      // a stuck store cannot hang a boom), then remove it.
      if (!(await settles(env.idle(), s.limits.saveTimeoutMs))) s.log.warn({ env: env.name }, 'boom: a save is still running; removing the record anyway');
      await s.records.remove(env.name);
      await s.caches.drop(env.name, true);
    }
  } finally {
    if (discard) s.starting.delete(env.name);
  }
  if (discard) {
    env.volume.close();
    s.log.info({ env: env.name, owner: env.owner, unsaved }, 'boomed');
  }
  const result: BoomResult = { name: env.name, unsaved };
  if (unsaved) result.warning = `${env.name} had unsaved changes; they are gone (save before boom to keep them)`;
  return result;
}

/**
 * An admin booming another user's environment: `reason` is required; the boom is logged
 * and kept as a notice the owner's `status` shows.
 */
export async function boomAsAdmin(s: BoomState, notes: Notices, env: Environment, admin: string, reasonText: string | undefined): Promise<BoomResult> {
  if (reasonText === undefined) throw new ColonyError('COLONY_USAGE', `${env.name} is ${env.owner}'s: an admin booms it with \`boom ${env.name} --reason TEXT\`, and ${env.owner} is shown the reason`);
  const reason = checkReason(reasonText);
  const result = await stopEnvironment(s, env, true);
  s.log.warn({ env: env.name, owner: env.owner, admin, reason, unsaved: result.unsaved }, 'environment boomed by an admin');
  const notice = { env: env.name, owner: env.owner, by: admin, reason, at: new Date().toISOString(), unsaved: result.unsaved };
  await notes.add(notice).catch((err) => s.log.error({ env: env.name, err: String(err) }, 'cannot record the boom notice'));
  return { ...result, owner: env.owner };
}

/** Booms every environment of `owner` for admin `by` (the owner is being removed, so no notice is kept). */
export async function boomAll(s: BoomState, notes: Notices, by: string, owner: string, reason: string): Promise<BoomResult[]> {
  const out: BoomResult[] = [];
  for (const env of [...s.envs.values()].filter((e) => e.owner === owner).sort((x, y) => (x.name < y.name ? -1 : 1))) {
    const r = await stopEnvironment(s, env, true);
    s.log.warn({ env: env.name, owner, admin: by, reason, unsaved: r.unsaved }, 'environment boomed by an admin');
    out.push({ ...r, owner });
  }
  await notes.forget(owner).catch(() => {});
  return out;
}

/** Booms environments whose owner is no longer a user; stops early when the grid closes. */
export async function reapOrphans(s: BoomState, closing: () => boolean, isUser: (name: string) => boolean): Promise<void> {
  for (const env of [...s.envs.values()]) {
    if (closing() || s.envs.get(env.name) !== env || isUser(env.owner)) continue;
    s.log.warn({ env: env.name, owner: env.owner }, 'the owner was removed: environment boomed');
    await stopEnvironment(s, env, true).catch((err) => s.log.error({ env: env.name, err: String(err) }, 'cannot boom the environment of a removed user'));
  }
}

/** Runs the stop hooks together; one that fails or passes STOPPING_MS is logged and the boom goes on. */
async function runStopping(s: BoomState, env: Environment): Promise<void> {
  if (!s.stopping.size) return;
  const all = Promise.all([...s.stopping].map((hook) => Promise.resolve().then(() => hook(env)).catch((err) => {
    s.log.warn({ env: env.name, err: String(err) }, 'a stop hook failed');
  })));
  if (!(await settles(all, STOPPING_MS))) s.log.warn({ env: env.name }, 'stop hooks still running; the boom goes on');
}

function fire(hooks: Set<(env: Environment) => void>, env: Environment): unknown[] {
  const errors: unknown[] = [];
  for (const hook of hooks) { try { hook(env); } catch (err) { errors.push(err); } }
  return errors;
}
