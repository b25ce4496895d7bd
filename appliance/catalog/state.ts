// The catalog's state, derived from events by `apply`: deterministic, no I/O. It mutates
// the state it is given (copying per event would make replay quadratic).
//
// Events from different origins reach replicas in different orders, so `apply` gives
// the same state for the same SET of events whatever their order. Every event has a
// stamp (time, origin, seq), a total order; a node stamps its own events later than any
// event it has seen, so a stamp follows cause and effect. The rules for users and names
// changed on two nodes at once are in conflicts.ts, for membership in membership.ts;
// grants only accumulate.
import { deriveUser, emptyFacts, factAdd, factKey, factPassword, factRemove, forgetName, registerName, type UserFacts } from './conflicts.js';
import type { CatalogEvent, Role, Vector } from './event.js';
import { applyPeer, type PeerEntry } from './membership.js';

export interface Stamp { time: string; origin: string; seq: number }

export interface UserEntry {
  name: string;
  alive: boolean;
  /**
   * Alive: the add that began the user's current life (the earliest since the latest
   * remove), so a concurrent second add merged in later does not make a new account.
   * Removed: the remove that ended it.
   */
  since: Stamp;
  /**
   * The remove that came before this life (NEVER for a user never removed): what tells
   * accounts apart. Unlike `since`, a concurrent add merged in later (pairing two nodes that
   * each added `admin`) does not change it; only a removal does.
   */
  life: Stamp;
  role: Role;
  /** `temporary`: a one-time password, to be changed at the next login (the latest password event decides). */
  password?: { hash: string; stamp: Stamp; temporary?: true };
  /** Keyed by the normalized line's `type base64` part; the comment is not identity. */
  keys: Map<string, { line: string; stamp: Stamp }>;
  /** The events the fields above are derived from (conflicts.ts). */
  facts: UserFacts;
}

export interface NameEntry {
  owner: string;
  name: string;
  /** `b3:…` text; the public NameRecord carries the Score bytes. */
  root: string;
  comment: string;
  meta: Record<string, string>;
  stamp: Stamp;
  /** Set on a conflict copy: the name it was registered as (`name` is then `name@origin`). */
  conflictOf?: string;
}

/** A `name.forget` tombstone as applied. */
export interface ForgetEntry { owner: string; name: string; root: string; by: string; reason?: string; stamp: Stamp }

export interface CatalogState {
  users: Map<string, UserEntry>;
  /** Keyed by `owner/name`: the names as users see them, conflict copies included. */
  names: Map<string, NameEntry>;
  /** `owner/name` → every registration of it, earliest first. */
  registrations: Map<string, NameEntry[]>;
  /** `owner/name` → its tombstones, earliest first: forgotten for good (conflicts.ts). */
  forgotten: Map<string, ForgetEntry[]>;
  /** `owner/name` → the keys of its conflict copies in `names`. */
  copies: Map<string, string[]>;
  /** Peer id → its latest pair/unpair. */
  peers: Map<string, PeerEntry>;
  /** Origin → the signer of its event #1 (what its later events must be signed by). */
  signers: Map<string, string>;
  /** `owner/name` → the users it is granted to. */
  grants: Map<string, Set<string>>;
  vector: Map<string, number>;
  /** The latest event time seen; the next local event is stamped after it. */
  clock: string;
  events: number;
}

const NEVER: Stamp = { time: '', origin: '', seq: 0 };

export const emptyState = (): CatalogState => ({
  users: new Map(), names: new Map(), registrations: new Map(), forgotten: new Map(), copies: new Map(), peers: new Map(), signers: new Map(),
  grants: new Map(), vector: new Map(), clock: '', events: 0,
});

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
    u = { name, alive: false, since: NEVER, life: NEVER, role: 'user', keys: new Map(), facts: emptyFacts() };
    state.users.set(name, u);
  }
  return u;
}

function applyUser(state: CatalogState, name: string, record: (f: UserFacts) => void): void {
  const u = userEntry(state, name);
  record(u.facts);
  deriveUser(u, u.facts);
}

export function apply(state: CatalogState, e: CatalogEvent): void {
  const stamp = stampOf(e);
  switch (e.type) {
    case 'user.add': {
      const { role, passwordHash, temporary, keys } = e.payload;
      applyUser(state, e.payload.name, (f) => factAdd(f, { stamp, role, keys: [...keys], ...(passwordHash !== undefined ? { passwordHash } : {}), ...(temporary ? { temporary } : {}) }));
      break;
    }
    case 'user.remove':
      applyUser(state, e.payload.name, (f) => factRemove(f, stamp));
      break;
    case 'user.password': {
      const { passwordHash: hash, temporary } = e.payload;
      applyUser(state, e.payload.name, (f) => factPassword(f, { stamp, hash, ...(temporary ? { temporary } : {}) }));
      break;
    }
    case 'user.key':
      applyUser(state, e.payload.name, (f) => factKey(f, { stamp, line: e.payload.key }));
      break;
    case 'name.register':
      registerName(state, { ...e.payload, meta: { ...e.payload.meta }, stamp });
      break;
    case 'name.forget':
      forgetName(state, { ...e.payload, stamp });
      break;
    case 'name.grant': {
      const k = nameKey(e.payload.owner, e.payload.name);
      let to = state.grants.get(k);
      if (!to) state.grants.set(k, (to = new Set()));
      to.add(e.payload.to);
      break;
    }
    case 'peer.pair':
      applyPeer(state, true, e.payload, stamp);
      break;
    case 'peer.unpair':
      applyPeer(state, false, e.payload, stamp);
      break;
  }
  if (e.seq === 1 && e.signer !== undefined) state.signers.set(e.origin, e.signer);
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
  names: Array<{ owner: string; name: string; root: string; comment: string; meta: Record<string, string>; stamp: string; conflictOf?: string }>;
  grants: Array<{ owner: string; name: string; to: string[] }>;
  /** Only when some name was forgotten, so older snapshots keep their exact shape. */
  forgotten?: Array<{ owner: string; name: string; root: string; by: string; reason?: string; stamp: string }>;
  peers: Array<{ peer: string; paired: boolean; addresses: string[]; by: string; stamp: string }>;
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
    names: sorted(state.names).map((n) => ({
      owner: n.owner, name: n.name, root: n.root, comment: n.comment, meta: { ...n.meta }, stamp: stampText(n.stamp), ...(n.conflictOf !== undefined ? { conflictOf: n.conflictOf } : {}),
    })),
    grants: [...state.grants].sort(([a], [b]) => cmp(a, b)).map(([k, to]) => {
      const slash = k.indexOf('/');
      return { owner: k.slice(0, slash), name: k.slice(slash + 1), to: [...to].sort(cmp) };
    }),
    ...(state.forgotten.size ? {
      forgotten: sorted(state.forgotten).flat().map((f) => ({
        owner: f.owner, name: f.name, root: f.root, by: f.by, ...(f.reason !== undefined ? { reason: f.reason } : {}), stamp: stampText(f.stamp),
      })),
    } : {}),
    peers: sorted(state.peers).map((p) => ({ peer: p.peer, paired: p.paired, addresses: [...p.addresses], by: p.by, stamp: stampText(p.stamp) })),
  };
}
