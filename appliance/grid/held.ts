// What the running environments hold in the store, for garbage collection: each one's base
// root (its name may have been forgotten since the spawn), its head (the newest save or
// checkpoint, which no name may reach), and what its volume holds beyond that; and the
// roots of disk environments whose records are on disk but could not be restored.
import type { Score } from '../store/index.js';
import type { HeldTree } from '../volume/index.js';
import type { Environment } from './environment.js';

export interface GridHold { roots: Score[]; scores: Score[]; trees: HeldTree[] }

/** Synchronous: one instant of every environment, so no save completes half-way through the list. */
export function heldByEnvironments(envs: Iterable<Environment>, unrestored: readonly Score[] = []): GridHold {
  const out: GridHold = { roots: [...unrestored], scores: [], trees: [] };
  for (const env of envs) {
    const v = env.volume.held();
    out.roots.push(env.base.root, env.head, ...v.roots);
    // Loops, not push(...): a large save holds more scores than a call takes arguments.
    for (const s of v.scores) out.scores.push(s);
    for (const t of v.trees) out.trees.push(t);
  }
  return out;
}
