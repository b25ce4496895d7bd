// Usage: the bytes each user's names and environments hold. A block counts once per user
// however many of their trees share it, and for every user who holds it: two users who
// saved the same Debian each carry its full size. The sum over users can therefore pass
// the store's size; the note in every report says so.
import { parseScore, type Score } from '../store/index.js';
import type { CollectableStore } from './collect.js';
import { markLive } from './mark.js';

export interface UserBytes { user: string; bytes: number }

/**
 * Marks each user's roots in turn and sums the index's bytes for the blocks marked. One
 * user at a time, so memory is one user's live set (see README), at the cost of one pass
 * over the index per user.
 */
export async function usageByUser(opts: {
  store: Pick<CollectableStore, 'getBlock' | 'indexEntries'>;
  rootsByUser: Map<string, Score[]>;
  signal?: AbortSignal;
}): Promise<UserBytes[]> {
  const out: UserBytes[] = [];
  for (const [user, roots] of [...opts.rootsByUser].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (roots.length === 0) { out.push({ user, bytes: 0 }); continue; }
    const { live } = await markLive(opts.store, { roots, scores: [] }, { signal: opts.signal });
    let bytes = 0;
    for await (const e of opts.store.indexEntries()) if (live.has(e.score)) bytes += e.bytes;
    out.push({ user, bytes });
  }
  return out;
}

export interface UserUsage { user: string; bytes: number; names: number; environments: number; quotaBytes?: number }

export interface UsageReport { users: UserUsage[]; storeBytes: number; note: string }

export const USAGE_NOTE = 'a block shared by several of your names counts once; a block several users hold counts for each of them, so the users together may hold more than the store';

/** The report `usage` prints, pure: bytes per user with their counts and quota. */
export function usageReport(input: {
  usage: UserBytes[];
  names: ReadonlyMap<string, number>;
  environments: ReadonlyMap<string, number>;
  quotas?: ReadonlyMap<string, number>;
  storeBytes: number;
}): UsageReport {
  const users = new Set([...input.usage.map((u) => u.user), ...input.names.keys(), ...input.environments.keys()]);
  const bytesOf = new Map(input.usage.map((u) => [u.user, u.bytes]));
  return {
    users: [...users].sort().map((user) => {
      const row: UserUsage = { user, bytes: bytesOf.get(user) ?? 0, names: input.names.get(user) ?? 0, environments: input.environments.get(user) ?? 0 };
      const quota = input.quotas?.get(user);
      if (quota !== undefined) row.quotaBytes = quota;
      return row;
    }),
    storeBytes: input.storeBytes,
    note: USAGE_NOTE,
  };
}

/** What one asker may see: an admin every user, anyone else their own row. */
export function usageFor(report: UsageReport, asker: string, admin: boolean): UsageReport {
  return admin ? report : { ...report, users: report.users.filter((u) => u.user === asker) };
}

/**
 * What `usageByUser` and `usageReport` need, from the catalog's names (`catalog.allNames()`,
 * forgotten ones left out by the catalog) and the grid's environments (`grid.status(admin)`):
 * each user's roots (their names' roots, their environments' bases and heads) and counts.
 */
export function usageInputs(
  names: ReadonlyArray<{ owner: string; root: Score }>,
  environments: ReadonlyArray<{ owner: string; head: string; base: { root: string } }>,
): { rootsByUser: Map<string, Score[]>; names: Map<string, number>; environments: Map<string, number> } {
  const rootsByUser = new Map<string, Score[]>();
  const add = (user: string, root: Score) => { const l = rootsByUser.get(user) ?? []; l.push(root); rootsByUser.set(user, l); };
  const count = (m: Map<string, number>, user: string) => m.set(user, (m.get(user) ?? 0) + 1);
  const nameCount = new Map<string, number>();
  const envCount = new Map<string, number>();
  for (const n of names) { add(n.owner, n.root); count(nameCount, n.owner); }
  for (const e of environments) { add(e.owner, parseScore(e.base.root)); add(e.owner, parseScore(e.head)); count(envCount, e.owner); }
  return { rootsByUser, names: nameCount, environments: envCount };
}
