// What one user may see of the catalog, decided over the derived state: pure functions.
// A name another user cannot see answers exactly like a name that does not exist.
import { invalid, notFound } from '../errors.js';
import { parseScore, type Score } from '../store/index.js';
import type { Role } from './event.js';
import { fingerprint, parsePublicKey } from './ssh-key.js';
import { keyId, nameKey, type CatalogState, type NameEntry, type UserEntry } from './state.js';
import { checkName, checkUserName, parseQualified } from './syntax.js';

/** A registered name as callers see it. */
export interface NameRecord {
  owner: string;
  name: string;
  root: Score;
  /** ISO time of the registering event. */
  created: string;
  /** The node id that registered it. */
  origin: string;
  comment: string;
  meta: Record<string, string>;
}

export interface UserKeyInfo { line: string; type: string; comment: string; fingerprint: string }
export interface UserInfo {
  name: string; role: Role; hasPassword: boolean; keys: UserKeyInfo[]; since: string;
  /**
   * Which life of the user name this is: 'first', or `after origin#seq` of the remove before
   * it. A user removed and added again is a new account; the same user added on two nodes
   * and merged (pairing) is one.
   */
  account: string;
}

export const recordOf = (n: NameEntry): NameRecord => ({
  owner: n.owner, name: n.name, root: parseScore(n.root), created: n.stamp.time, origin: n.stamp.origin, comment: n.comment, meta: { ...n.meta },
});

export function userInfo(u: UserEntry): UserInfo {
  const keys = [...u.keys.values()].map(({ line }) => {
    const k = parsePublicKey(line);
    return { line, type: k.type, comment: k.comment, fingerprint: fingerprint(k.blob) };
  }).sort((a, b) => (a.line < b.line ? -1 : 1));
  return { name: u.name, role: u.role, hasPassword: u.password !== undefined, keys, since: u.since.time, account: u.life.origin === '' ? 'first' : `after ${u.life.origin}#${u.life.seq}` };
}

export function liveUser(state: CatalogState, name: string): UserEntry {
  checkUserName(name);
  const u = state.users.get(name);
  if (!u || !u.alive) throw notFound(`user '${name}'`);
  return u;
}

export function canSee(state: CatalogState, user: string, owner: string, name: string): boolean {
  const u = state.users.get(user);
  if (!u || !u.alive) return false;
  if (u.role === 'admin' || user === owner) return true;
  return state.grants.get(nameKey(owner, name))?.has(user) ?? false;
}

/**
 * A filter is a substring of the name, unless it holds `*` or `?`: then it is a glob
 * (`*` any run, `?` one character) that must match the whole name.
 */
export function nameMatcher(filter: string | undefined): (name: string) => boolean {
  if (filter === undefined || filter === '') return () => true;
  if (!/[*?]/.test(filter)) return (name) => name.includes(filter);
  const re = new RegExp(`^${[...filter].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+()[\]{}]/g, '\\$&'))).join('')}$`, 'su');
  return (name) => re.test(name);
}

/** Newest first; equal times in (owner, name) order so the listing is stable. */
const newestFirst = (a: NameEntry, b: NameEntry) =>
  (a.stamp.time < b.stamp.time ? 1 : a.stamp.time > b.stamp.time ? -1 : 0) || (nameKey(a.owner, a.name) < nameKey(b.owner, b.name) ? -1 : 1);

/** Names passing the filter, newest first; `user` limits them to what that user can see. */
export function listNames(state: CatalogState, filter?: string, user?: string): NameRecord[] {
  if (user !== undefined) liveUser(state, user);
  const match = nameMatcher(filter);
  return [...state.names.values()]
    .filter((n) => match(n.name) && (user === undefined || canSee(state, user, n.owner, n.name)))
    .sort(newestFirst)
    .map(recordOf);
}

export const visibleNames = (state: CatalogState, user: string, filter?: string): NameRecord[] => listNames(state, filter, user);

/** `name` (the user's own first, then a unique one granted to them) or `owner/name`. */
export function resolveName(state: CatalogState, user: string, text: string): NameRecord {
  liveUser(state, user);
  const q = parseQualified(text);
  const hidden = () => notFound(`name '${text}'`);
  if (q.owner !== undefined) {
    const n = state.names.get(nameKey(q.owner, q.name));
    if (!n || !canSee(state, user, n.owner, n.name)) throw hidden();
    return recordOf(n);
  }
  const own = state.names.get(nameKey(user, q.name));
  if (own) return recordOf(own);
  const others = [...state.names.values()].filter((n) => n.name === q.name && canSee(state, user, n.owner, n.name));
  if (others.length === 0) throw hidden();
  if (others.length > 1) {
    const which = others.map((n) => nameKey(n.owner, n.name)).sort().join(', ');
    throw invalid(`'${text}' is ambiguous (${which}); say owner/name`);
  }
  return recordOf(others[0] as NameEntry);
}

export function findName(state: CatalogState, owner: string, name: string): NameEntry | undefined {
  return state.names.get(nameKey(checkUserName(owner), checkName(name)));
}

/** The live user holding this key, or undefined. A key two users hold (possible only by replication) matches nobody. */
export function userForKeyLine(state: CatalogState, line: string): string | undefined {
  const id = keyId(line);
  const holders = [...state.users.values()].filter((u) => u.alive && u.keys.has(id));
  return holders.length === 1 ? holders[0]?.name : undefined;
}
