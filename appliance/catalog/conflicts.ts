// The conflict rules: what the state is when nodes changed the same user or name while
// apart. Each rule is a function of the SET of events seen (never of their arrival
// order), so every replica that holds the same events derives the same state.
// Stamps (time, origin, seq) are a total order; a node stamps its events after any it
// has seen, so an event that saw another is always stamped after it.
//
// Users, per user name:
// - the latest remove cuts: everything stamped before it is forgotten;
// - the user is alive when an add is stamped after that cut. Concurrent adds (the same
//   user added on two nodes) merge: the role is the latest add's, the keys are the union;
// - the user's current life starts at the earliest of those adds ("born"); a password or
//   key change stamped before it belongs to the removed life (it was concurrent with the
//   removal) and is dropped: a removal wins over a concurrent change;
// - the password is the latest password-bearing event (an add or a change) since born:
//   last writer wins by stamp, the origin breaking a tie in time.
// Names, per owner/name (names are immutable):
// - the earliest registration keeps the name;
// - a later one with another root stays visible as `name@<origin's last 8 characters>`
//   (the whole origin when two such copies would share a suffix), a conflict copy as
//   Syncthing makes, so no registration is lost; one with the same root is the same
//   name and adds nothing;
// - a registered name always wins over a conflict copy of the same text.
// Forgetting (a `name.forget` tombstone on owner/name), so that names stay immutable:
// - a tombstone beats every registration of owner/name, whenever it was made and in
//   whatever order they arrive: one made concurrently on a node the tombstone had not
//   reached yet loses too. So the name, and the conflict copies of its other
//   registrations, disappear everywhere and never come back;
// - a tombstone on a conflict copy (`name@origin`) kills the registration of that root
//   from that origin (whatever the copy comes to be called later), and a registration
//   under the copy's text;
// - two tombstones of one name are both kept; the earliest is the one shown.
import type { Role } from './event.js';
import { compareStamps, nameKey, keyId, type CatalogState, type ForgetEntry, type NameEntry, type Stamp, type UserEntry } from './state.js';

interface AddFact { stamp: Stamp; role: Role; passwordHash?: string; temporary?: true; keys: string[] }
interface PasswordFact { stamp: Stamp; hash: string; temporary?: true }
interface KeyFact { stamp: Stamp; line: string }

/** What is remembered of a user's events: only what is stamped after the latest remove. */
export interface UserFacts { cut?: Stamp; latestAdd?: { stamp: Stamp; role: Role }; adds: AddFact[]; passwords: PasswordFact[]; keys: KeyFact[] }

export const emptyFacts = (): UserFacts => ({ adds: [], passwords: [], keys: [] });

const after = (cut: Stamp | undefined, s: Stamp) => cut === undefined || compareStamps(s, cut) > 0;

export function factAdd(f: UserFacts, fact: AddFact): void {
  if (!f.latestAdd || compareStamps(fact.stamp, f.latestAdd.stamp) > 0) f.latestAdd = { stamp: fact.stamp, role: fact.role };
  if (after(f.cut, fact.stamp)) f.adds.push(fact);
}

export function factRemove(f: UserFacts, stamp: Stamp): void {
  if (!after(f.cut, stamp)) return;
  f.cut = stamp;
  f.adds = f.adds.filter((x) => after(stamp, x.stamp));
  f.passwords = f.passwords.filter((x) => after(stamp, x.stamp));
  f.keys = f.keys.filter((x) => after(stamp, x.stamp));
}

export function factPassword(f: UserFacts, fact: PasswordFact): void {
  if (after(f.cut, fact.stamp)) f.passwords.push(fact);
}

export function factKey(f: UserFacts, fact: KeyFact): void {
  if (after(f.cut, fact.stamp)) f.keys.push(fact);
}

const sameStamp = (a: Stamp | undefined, b: Stamp) => a !== undefined && compareStamps(a, b) === 0;
const NEVER: Stamp = { time: '', origin: '', seq: 0 };
const latest = <T extends { stamp: Stamp }>(xs: T[]): T | undefined => xs.reduce<T | undefined>((m, x) => (!m || compareStamps(x.stamp, m.stamp) > 0 ? x : m), undefined);
const earliest = <T extends { stamp: Stamp }>(xs: T[]): T | undefined => xs.reduce<T | undefined>((m, x) => (!m || compareStamps(x.stamp, m.stamp) < 0 ? x : m), undefined);

/** Derives the user's visible fields from its facts (the rules above). */
export function deriveUser(u: UserEntry, f: UserFacts): void {
  const newest = latest(f.adds);
  const born = earliest(f.adds);
  u.keys = new Map();
  u.life = f.cut ?? NEVER;
  delete u.password;
  if (!newest || !born) {
    u.alive = false;
    u.since = f.cut ?? NEVER;
    u.role = f.latestAdd?.role ?? 'user';
    return;
  }
  u.alive = true;
  u.since = born.stamp;
  u.role = newest.role;
  const live = (s: Stamp) => compareStamps(s, born.stamp) >= 0;
  const keys: KeyFact[] = [...f.adds.flatMap((a) => a.keys.map((line) => ({ stamp: a.stamp, line }))), ...f.keys.filter((k) => live(k.stamp))];
  for (const k of keys) {
    const id = keyId(k.line);
    const old = u.keys.get(id);
    if (!old || compareStamps(k.stamp, old.stamp) > 0) u.keys.set(id, { line: k.line, stamp: k.stamp });
  }
  const pw = latest<PasswordFact>([
    ...f.adds.flatMap((a) => (a.passwordHash === undefined ? [] : [{ stamp: a.stamp, hash: a.passwordHash, ...(a.temporary ? { temporary: a.temporary } : {}) }])),
    ...f.passwords.filter((p) => live(p.stamp)),
  ]);
  // Only the latest live change can ever decide again (born only moves earlier), so the
  // rest are dropped: a user's remembered events stay bounded by its distinct keys.
  f.passwords = f.passwords.filter((p) => !live(p.stamp) || p === pw);
  f.keys = f.keys.filter((k) => !live(k.stamp) || sameStamp(u.keys.get(keyId(k.line))?.stamp, k.stamp));
  if (pw) u.password = pw.temporary ? { hash: pw.hash, stamp: pw.stamp, temporary: true } : { hash: pw.hash, stamp: pw.stamp };
}

// --- names ---------------------------------------------------------------------------

const SUFFIX = 8;

/** Records a registration and re-derives the names it decides (its own and its copies'). */
export function registerName(state: CatalogState, entry: NameEntry): void {
  const base = nameKey(entry.owner, entry.name);
  const regs = state.registrations.get(base) ?? [];
  if (regs.some((r) => compareStamps(r.stamp, entry.stamp) === 0)) return;
  regs.push(entry);
  regs.sort((a, b) => compareStamps(a.stamp, b.stamp));
  state.registrations.set(base, regs);
  placeGroup(state, base, regs);
}

/** Records a tombstone and re-derives the names it touches (conflicts.ts rules above). */
export function forgetName(state: CatalogState, entry: ForgetEntry): void {
  const key = nameKey(entry.owner, entry.name);
  const list = state.forgotten.get(key) ?? [];
  if (list.some((f) => compareStamps(f.stamp, entry.stamp) === 0)) return;
  list.push(entry);
  list.sort((a, b) => compareStamps(a.stamp, b.stamp));
  state.forgotten.set(key, list);
  state.names.delete(key);
  const regs = state.registrations.get(key);
  if (regs) placeGroup(state, key, regs);
  // A copy's text is `name@origin`, and origins hold no '@': its group is before the last one.
  const at = entry.name.lastIndexOf('@');
  const base = at > 0 ? nameKey(entry.owner, entry.name.slice(0, at)) : undefined;
  const group = base === undefined ? undefined : state.registrations.get(base);
  if (base !== undefined && group) placeGroup(state, base, group);
}

/** The registrations forgotten as conflict copies of `base` (tombstones on `base@origin`): root and origin. */
function forgottenCopies(state: CatalogState, base: string): Array<{ root: string; origin: string }> {
  const dead: Array<{ root: string; origin: string }> = [];
  for (const [k, list] of state.forgotten) {
    if (!k.startsWith(`${base}@`)) continue;
    for (const f of list) dead.push({ root: f.root, origin: k.slice(base.length + 1) });
  }
  return dead;
}

const killed = (dead: Array<{ root: string; origin: string }>, r: NameEntry) => dead.some((d) => d.root === r.root && r.stamp.origin.endsWith(d.origin));

/**
 * The registrations of `base` no tombstone has killed, earliest first. The earliest of all
 * is never a copy, so a tombstone on a name that merely looks like a copy (a registered
 * `deb@x`) cannot take the name `deb` with it.
 */
export function liveRegistrations(state: CatalogState, base: string): NameEntry[] {
  if (state.forgotten.has(base)) return [];
  const regs = state.registrations.get(base) ?? [];
  const dead = state.forgotten.size ? forgottenCopies(state, base) : [];
  return dead.length ? regs.filter((r, i) => i === 0 || !killed(dead, r)) : regs;
}

function placeGroup(state: CatalogState, base: string, regs: NameEntry[]): void {
  for (const k of state.copies.get(base) ?? []) if (state.names.get(k)?.conflictOf !== undefined) state.names.delete(k);
  if (regs.length === 0 || state.forgotten.has(base)) {
    state.names.delete(base);
    state.copies.set(base, []);
    return;
  }
  const [winner, ...rest] = regs as [NameEntry, ...NameEntry[]];
  state.names.set(base, winner); // a registration wins over any conflict copy of the same text
  const roots = new Set([winner.root]);
  const losers = rest.filter((r) => !roots.has(r.root) && (roots.add(r.root), true));
  const tails = new Map<string, number>();
  for (const r of losers) tails.set(r.stamp.origin.slice(-SUFFIX), (tails.get(r.stamp.origin.slice(-SUFFIX)) ?? 0) + 1);
  // Copies are named before forgotten ones are left out, so forgetting one renames no other.
  const dead = state.forgotten.size ? forgottenCopies(state, base) : [];
  const placed: string[] = [];
  for (const r of losers) {
    const tail = r.stamp.origin.slice(-SUFFIX);
    const copyName = `${r.name}@${tails.get(tail) === 1 ? tail : r.stamp.origin}`;
    const k = nameKey(r.owner, copyName);
    if (killed(dead, r) || state.registrations.has(k) || state.forgotten.has(k) || placed.includes(k)) continue;
    state.names.set(k, { ...r, name: copyName, conflictOf: r.name });
    placed.push(k);
  }
  state.copies.set(base, placed);
}
