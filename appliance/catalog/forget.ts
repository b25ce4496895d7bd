// Forgetting a name: who may, what the tombstone says, and what is still live afterwards.
// Pure functions over the derived state; catalog.ts writes the event, conflicts.ts holds
// the rule that makes a tombstone win everywhere.
import { ColonyError, invalid, notFound, permission } from '../errors.js';
import { parseScore, type Score } from '../store/index.js';
import { liveRegistrations } from './conflicts.js';
import type { EventBody, NameForget } from './event.js';
import { nameKey, type CatalogState } from './state.js';
import { checkName, checkReason, checkUserName } from './syntax.js';
import { canSee, liveUser, recordOf, type NameRecord } from './view.js';

/** A tombstone as callers see it: the earliest one when two nodes forgot the name. */
export interface ForgottenRecord { owner: string; name: string; root: Score; by: string; reason?: string; time: string; origin: string }

export interface ForgetPlan { body: EventBody; record: NameRecord; grantees: string[] }

export const forgottenError = (owner: string, name: string) =>
  new ColonyError('COLONY_EXISTS', `${owner}/${name} was forgotten; names are never reused`);

/** The live users `owner/name` is granted to, in name order. */
export function granteesOf(state: CatalogState, owner: string, name: string): string[] {
  const to = state.grants.get(nameKey(owner, name));
  return [...(to ?? [])].filter((u) => u !== owner && state.users.get(u)?.alive).sort();
}

/**
 * Checks that `by` may forget owner/name and builds the tombstone. The owner may forget
 * their own name; an admin anyone's, with a reason (one line, 1 to 200 characters). A name
 * `by` cannot see answers as one that does not exist.
 */
export function planForget(state: CatalogState, owner: string, name: string, by: string, reason?: string): ForgetPlan {
  checkUserName(owner);
  checkName(name);
  const who = liveUser(state, by);
  const key = nameKey(owner, name);
  const entry = state.names.get(key);
  if (!entry || !canSee(state, by, owner, name)) {
    if (state.forgotten.has(key) && (by === owner || who.role === 'admin')) throw new ColonyError('COLONY_NOT_FOUND', `name '${key}' was forgotten already`);
    throw notFound(`name '${key}'`);
  }
  if (by !== owner && who.role !== 'admin') throw permission(`only ${owner} or an admin may forget ${key}`);
  const why = reason === undefined ? undefined : checkReason(reason.trim());
  if (by !== owner && why === undefined) throw invalid(`forgetting ${owner}'s name ${name} needs a reason (one line, up to 200 characters)`);
  const payload: NameForget = { owner, name, root: entry.root, by, ...(why !== undefined ? { reason: why } : {}) };
  return { body: { type: 'name.forget', payload }, record: recordOf(entry), grantees: granteesOf(state, owner, name) };
}

/** Every tombstone (the earliest of each name), newest first. */
export function forgottenRecords(state: CatalogState): ForgottenRecord[] {
  return [...state.forgotten.values()].map((list) => list[0]!)
    .sort((a, b) => (a.stamp.time < b.stamp.time ? 1 : a.stamp.time > b.stamp.time ? -1 : nameKey(a.owner, a.name) < nameKey(b.owner, b.name) ? -1 : 1))
    .map((f) => ({ owner: f.owner, name: f.name, root: parseScore(f.root), by: f.by, ...(f.reason !== undefined ? { reason: f.reason } : {}), time: f.stamp.time, origin: f.stamp.origin }));
}

/**
 * Every root a name not forgotten points at, once each: every user's (removed users' names
 * stay), conflict copies, and names whose blocks are still arriving from a peer. What the
 * garbage collector must keep, besides the running environments it knows of.
 */
export function liveRoots(state: CatalogState): Score[] {
  const roots = new Set<string>();
  for (const base of state.registrations.keys()) for (const r of liveRegistrations(state, base)) roots.add(r.root);
  return [...roots].sort().map(parseScore);
}
