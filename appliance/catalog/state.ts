// The catalog's state, derived from events by `apply`: deterministic, no I/O. It mutates
// the state it is given (copying per event would make replay quadratic).
//
// Events from different origins reach replicas in different orders, so `apply` gives
// the same state for the same SET of events whatever their order:
// - every event has a stamp (time, origin, seq), a total order; a node stamps its own
//   events later than any event it has seen, so a stamp follows cause and effect;
// - whether a user exists, and its role, come from its latest add/remove; its password
//   from the latest password-bearing event not older than that; its keys are those
//   added since then;
// - a name keeps its earliest registration (names are immutable; a later one from a
//   node that had not heard of the first loses);
// - grants only accumulate.
import type { CatalogEvent, Role, Vector } from './event.js';

export interface Stamp { time: string; origin: string; seq: number }

export interface UserEntry {
  name: string;
  alive: boolean;
  /** The stamp of the add or remove that decided `alive` and `role`. */
  since: Stamp;
  role: Role;
  /** `temporary`: a one-time password, to be changed at the next login (the latest password event decides). */
  password?: { hash: string; stamp: Stamp; temporary?: true };
  /** Keyed by the normalized line's `type base64` part; the comment is not identity. */
  keys: Map<string, { line: string; stamp: Stamp }>;
}

export interface NameEntry {
  owner: string;
  name: string;
  /** `b3:…` text; the public NameRecord carries the Score bytes. */
  root: string;
  comment: string;
  meta: Record<string, string>;
  stamp: Stamp;
}

export interface CatalogState {
  users: Map<string, UserEntry>;
  /** Keyed by `owner/name`. */
  names: Map<string, NameEntry>;
  /** `owner/name` → the users it is granted to. */
  grants: Map<string, Set<string>>;
  vector: Map<string, number>;
  /** The latest event time seen; the next local event is stamped after it. */
  clock: string;
  events: number;
}

const NEVER: Stamp = { time: '', origin: '', seq: 0 };

export const emptyState = (): CatalogState => ({ users: new Map(), names: new Map(), grants: new Map(), vector: new Map(), clock: '', events: 0 });

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
/** Event times are fixed-width ISO text, so text order is time order. */
export const compareStamps = (a: Stamp, b: Stamp): number => cmp(a.time, b.time) || cmp(a.origin, b.origin) || a.seq - b.seq;
export const stampOf = (e: CatalogEvent): Stamp => ({ time: e.time, origin: e.origin, seq: e.seq });
export const nameKey = (owner: string, name: string) => `${owner}/${name}`;
/** The identity part of a normalized key line. */
export const keyId = (line: string) => line.split(' ', 2).join(' ');

function userEntry(state: CatalogState, name: string): UserEntry {
  let u = state.users.get(name);
  if (!u) {
    u = { name, alive: false, since: NEVER, role: 'user', keys: new Map() };
    state.users.set(name, u);
  }
  return u;
}

function addKey(u: UserEntry, line: string, stamp: Stamp): void {
  if (compareStamps(stamp, u.since) < 0) return;
  const id = keyId(line);
  const old = u.keys.get(id);
  if (!old || compareStamps(stamp, old.stamp) > 0) u.keys.set(id, { line, stamp });
}

function setPassword(u: UserEntry, hash: string, stamp: Stamp, temporary: boolean): void {
  if (compareStamps(stamp, u.since) < 0) return;
  if (!u.password || compareStamps(stamp, u.password.stamp) > 0) u.password = temporary ? { hash, stamp, temporary: true } : { hash, stamp };
}

/** A new add/remove decision: forget what is older than it. */
function decide(u: UserEntry, alive: boolean, role: Role, stamp: Stamp): boolean {
  if (compareStamps(stamp, u.since) <= 0) return false;
  u.alive = alive;
  u.role = role;
  u.since = stamp;
  for (const [id, k] of u.keys) if (compareStamps(k.stamp, stamp) < 0) u.keys.delete(id);
  if (u.password && compareStamps(u.password.stamp, stamp) < 0) delete u.password;
  return true;
}

export function apply(state: CatalogState, e: CatalogEvent): void {
  const stamp = stampOf(e);
  switch (e.type) {
    case 'user.add': {
      const u = userEntry(state, e.payload.name);
      if (decide(u, true, e.payload.role, stamp)) {
        if (e.payload.passwordHash !== undefined) setPassword(u, e.payload.passwordHash, stamp, e.payload.temporary === true);
        for (const k of e.payload.keys) addKey(u, k, stamp);
      }
      break;
    }
    case 'user.remove': {
      const u = userEntry(state, e.payload.name);
      decide(u, false, u.role, stamp);
      break;
    }
    case 'user.password':
      setPassword(userEntry(state, e.payload.name), e.payload.passwordHash, stamp, e.payload.temporary === true);
      break;
    case 'user.key':
      addKey(userEntry(state, e.payload.name), e.payload.key, stamp);
      break;
    case 'name.register': {
      const k = nameKey(e.payload.owner, e.payload.name);
      const old = state.names.get(k);
      if (!old || compareStamps(stamp, old.stamp) < 0) state.names.set(k, { ...e.payload, meta: { ...e.payload.meta }, stamp });
      break;
    }
    case 'name.grant': {
      const k = nameKey(e.payload.owner, e.payload.name);
      let to = state.grants.get(k);
      if (!to) state.grants.set(k, (to = new Set()));
      to.add(e.payload.to);
      break;
    }
  }
  state.vector.set(e.origin, Math.max(state.vector.get(e.origin) ?? 0, e.seq));
  if (e.time > state.clock) state.clock = e.time;
  state.events++;
}

/** The time for the next local event: now, or just after the latest event seen if the clock is behind. */
export function nextTime(state: CatalogState, now: Date): string {
  const t = now.toISOString();
  if (t > state.clock) return t;
  return new Date(Date.parse(state.clock) + 1).toISOString();
}

export const vectorOf = (state: CatalogState): Vector => Object.fromEntries([...state.vector].sort(([a], [b]) => cmp(a, b)));

const stampText = (s: Stamp) => `${s.time} ${s.origin}#${s.seq}`;

/** Plain sorted data: two states are the same exactly when their snapshots are deep-equal. */
export interface StateSnapshot {
  vector: Vector;
  events: number;
  clock: string;
  users: Array<{ name: string; alive: boolean; since: string; role: Role; password?: string; passwordSince?: string; passwordTemporary?: true; keys: string[] }>;
  names: Array<{ owner: string; name: string; root: string; comment: string; meta: Record<string, string>; stamp: string }>;
  grants: Array<{ owner: string; name: string; to: string[] }>;
}

export function snapshot(state: CatalogState): StateSnapshot {
  const sorted = <T>(m: Map<string, T>) => [...m].sort(([a], [b]) => cmp(a, b)).map(([, v]) => v);
  return {
    vector: vectorOf(state),
    events: state.events,
    clock: state.clock,
    users: sorted(state.users).map((u) => ({
      name: u.name, alive: u.alive, since: stampText(u.since), role: u.role,
      ...(u.password ? { password: u.password.hash, passwordSince: stampText(u.password.stamp) } : {}),
      ...(u.password?.temporary ? { passwordTemporary: true as const } : {}),
      keys: sorted(u.keys).map((k) => `${k.line} @${stampText(k.stamp)}`),
    })),
    names: sorted(state.names).map((n) => ({ owner: n.owner, name: n.name, root: n.root, comment: n.comment, meta: { ...n.meta }, stamp: stampText(n.stamp) })),
    grants: [...state.grants].sort(([a], [b]) => cmp(a, b)).map(([k, to]) => {
      const slash = k.indexOf('/');
      return { owner: k.slice(0, slash), name: k.slice(slash + 1), to: [...to].sort(cmp) };
    }),
  };
}
