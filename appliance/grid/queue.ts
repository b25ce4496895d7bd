// Bounded waits on an environment's queue (saves, invites and checkpoints run one at a
// time): a stuck store must not hang a verb or a boom forever.
import { ColonyError } from '../errors.js';
import type { Environment } from './environment.js';

/** Whether `p` settles within `ms` (0: wait as long as it takes). */
export async function settles(p: Promise<unknown>, ms: number): Promise<boolean> {
  if (ms <= 0) { await p; return true; }
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), ms); });
  try { return await Promise.race([p.then(() => true, () => true), late]); } finally { clearTimeout(timer); }
}

/** Runs `fn` in the environment's queue; COLONY_TIMEOUT when it passes `ms` (the work itself is not undone). */
export function timed<T>(env: Environment, what: string, ms: number, fn: () => Promise<T>): Promise<T> {
  const work = env.exclusive(fn);
  if (ms <= 0) return work;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ColonyError('COLONY_TIMEOUT', `${what} took longer than ${Math.round(ms / 1000)} s; nothing was named`)), ms);
  });
  work.catch(() => {});
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
