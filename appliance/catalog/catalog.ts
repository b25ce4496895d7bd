// The catalog: users, immutable names and grants, kept as an append-only event log in
// LevelDB and derived into memory on open. Reads answer from memory; every change is
// checked against the current state first, then written durably, then applied.
import { closed, exists, internal, invalid, isColonyError, notFound, permission } from '../errors.js';
import { ensureDir } from '../files.js';
import { silentLog, type Log } from '../log.js';
import { formatScore, SCORE_BYTES, type Score } from '../store/index.js';
import { EventLog } from './event-log.js';
import { forgottenError, forgottenRecords, granteesOf, liveRoots, planForget, type ForgetPlan, type ForgottenRecord } from './forget.js';
import { checkAddresses, checkPeerId, parseEvent, reason, type CatalogEvent, type EventBody, type Role, type Vector } from './event.js';
import { checkParams, checkPasswordText, hashPassword, randomPassword, SCRYPT_DEFAULTS, verifyPassword, type ScryptParams } from './password.js';
import { members, type Member } from './membership.js';
import { eventsSince, freshEvents, parseBatch, signOwnHistory } from './replication.js';
import { signEvent, type Signer } from './signing.js';
import { keyOf, parsePublicKey, type PublicKey } from './ssh-key.js';
import { apply, emptyState, keyId, nameKey, nextTime, snapshot, vectorOf, type CatalogState, type StateSnapshot } from './state.js';
import { checkComment, checkMeta, checkName, checkOrigin, checkUserName } from './syntax.js';
import { canSee, findName, listNames, liveUser, recordOf, resolveName, userForKeyLine, userInfo, visibleNames, type NameRecord, type UserInfo, type UserKeyInfo } from './view.js';

export interface CatalogOptions {
  /** The origin of the events this node creates. */
  nodeId: string;
  /**
   * The node key (appliance/identity) that signs the events this node creates; on open it
   * also signs this origin's older unsigned events. Without it (one-shot CLI tools, some
   * tests) new events are unsigned: they stay local until a node with a signer opens.
   */
  signer?: Signer;
  log?: Log;
  /** Cost of new password hashes; tests lower it. Stored hashes carry their own. */
  scrypt?: ScryptParams;
  /** The clock for event times; tests pin it. */
  now?: () => Date;
}

export interface NewUser { name: string; role: Role; password?: string; keys?: string[] }
export interface NewName { owner: string; name: string; root: Score; comment?: string; meta?: Record<string, string> }
export interface FirstAdmin { created: boolean; name: string; /** Only when created; shown once, never stored. */ password?: string }
export interface ApplyResult { applied: number; skipped: number }
/** What forgetName forgot, and who else loses it (the users it was granted to). */
export interface ForgetResult { record: NameRecord; grantees: string[]; reason?: string }
export interface CatalogStats { nodeId: string; users: number; admins: number; names: number; grants: number; events: number; origins: number; seq: number }

export const FIRST_ADMIN = 'admin';
const SINCE_LIMIT = 10_000;

export class Catalog {
  readonly nodeId: string;
  private readonly state: CatalogState;
  private readonly log: Log;
  private readonly scrypt: ScryptParams;
  private readonly now: () => Date;
  private readonly signer: Signer | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private open = true;
  private readonly passwordWatchers = new Set<(name: string) => void>();
  private readonly eventWatchers = new Set<(events: CatalogEvent[]) => void>();

  private constructor(private readonly db: EventLog, state: CatalogState, readonly dir: string, options: CatalogOptions) {
    this.nodeId = options.nodeId;
    this.state = state;
    this.log = options.log ?? silentLog;
    this.scrypt = options.scrypt ?? SCRYPT_DEFAULTS;
    this.now = options.now ?? (() => new Date());
    this.signer = options.signer;
  }

  /** Opens (creating if needed) the catalog in `dir` and replays its log into memory. */
  static async open(dir: string, options: CatalogOptions): Promise<Catalog> {
    checkOrigin(options.nodeId);
    if (options.scrypt) checkParams(options.scrypt);
    await ensureDir(dir);
    const db = await EventLog.open(dir);
    const state = emptyState();
    let signed = 0;
    try {
      let unsigned = 0;
      for await (const e of db.readAll()) {
        apply(state, e);
        if (e.sig === undefined && e.origin === options.nodeId) unsigned++;
      }
      if (options.signer && unsigned > 0) signed = await signOwnHistory(db, state, options.nodeId, options.signer);
    } catch (err) {
      await db.close().catch(() => {});
      throw err;
    }
    const c = new Catalog(db, state, dir, options);
    c.log.info({ dir, events: state.events, users: c.stats().users, names: state.names.size, ...(signed ? { signed } : {}) }, 'catalog open');
    return c;
  }

  async close(): Promise<void> {
    if (!this.open) return;
    this.open = false;
    await this.queue.catch(() => {});
    await this.db.close();
  }

  // --- users -------------------------------------------------------------------

  async addUser(spec: NewUser): Promise<UserInfo> {
    this.check();
    const name = checkUserName(spec.name);
    if (spec.role !== 'admin' && spec.role !== 'user') throw invalid(`a role is 'admin' or 'user', not ${JSON.stringify(spec.role)}`);
    const keys = (spec.keys ?? []).map((k) => parsePublicKey(k));
    const ids = new Set(keys.map((k) => keyId(k.line)));
    if (ids.size !== keys.length) throw invalid('the same key is given twice');
    if (this.state.users.get(name)?.alive) throw exists(`user '${name}'`);
    const passwordHash = spec.password === undefined ? undefined : await hashPassword(checkPasswordText(spec.password), this.scrypt);
    await this.commit(() => {
      if (this.state.users.get(name)?.alive) throw exists(`user '${name}'`);
      for (const k of keys) this.checkKeyFree(k);
      return { type: 'user.add', payload: { name, role: spec.role, keys: keys.map((k) => k.line), ...(passwordHash ? { passwordHash } : {}) } };
    });
    return this.getUser(name);
  }

  /** Removes a user and their keys. Their names stay (names are immutable). The last admin cannot be removed. */
  async removeUser(name: string): Promise<void> {
    this.check();
    await this.commit(() => {
      const u = liveUser(this.state, name);
      if (u.role === 'admin' && this.admins().length === 1) throw permission(`'${name}' is the last admin and cannot be removed`);
      return { type: 'user.remove', payload: { name } };
    });
  }

  /** Live users in name order. */
  listUsers(): UserInfo[] {
    this.check();
    return [...this.state.users.values()].filter((u) => u.alive).sort((a, b) => (a.name < b.name ? -1 : 1)).map(userInfo);
  }

  getUser(name: string): UserInfo {
    this.check();
    return userInfo(liveUser(this.state, name));
  }

  /**
   * Sets a user's password. An ordinary password (the default) ends a one-time one's
   * must-change mark; `temporary` makes the new one one-time itself.
   */
  async setPassword(name: string, password: string, options: { temporary?: boolean } = {}): Promise<void> {
    this.check();
    liveUser(this.state, name);
    const passwordHash = await hashPassword(checkPasswordText(password), this.scrypt);
    await this.commit(() => {
      liveUser(this.state, name);
      return { type: 'user.password', payload: { name, passwordHash, ...(options.temporary ? { temporary: true as const } : {}) } };
    });
    for (const fn of this.passwordWatchers) {
      try { fn(name); } catch (err) { this.log.warn({ user: name, err: reason(err) }, 'a password-change watcher failed'); }
    }
  }

  /**
   * True when the live user's password is a one-time password (the first admin's) that
   * must be changed before anything else; false for unknown users.
   */
  mustChangePassword(name: string): boolean {
    this.check();
    const u = typeof name === 'string' ? this.state.users.get(name) : undefined;
    return u?.alive === true && u.password?.temporary === true;
  }

  /** Calls `fn(name)` after each password set through this catalog; returns the way to stop. */
  onPasswordChange(fn: (name: string) => void): () => void {
    this.passwordWatchers.add(fn);
    return () => { this.passwordWatchers.delete(fn); };
  }

  /**
   * Calls `fn(events)` after events are written and applied, local or from a peer (the
   * replication's push notice); returns the way to stop. `fn` runs inside the write
   * queue: it must be quick and must not wait on the catalog.
   */
  onEvent(fn: (events: CatalogEvent[]) => void): () => void {
    this.eventWatchers.add(fn);
    return () => { this.eventWatchers.delete(fn); };
  }

  private announce(events: CatalogEvent[]): void {
    if (events.length === 0) return;
    for (const fn of this.eventWatchers) {
      try { fn(events); } catch (err) { this.log.warn({ err: reason(err) }, 'an event watcher failed'); }
    }
  }

  /** Adds an OpenSSH public key line. A key can belong to one user only. */
  async addKey(name: string, publicKeyLine: string): Promise<UserKeyInfo> {
    this.check();
    const key = parsePublicKey(publicKeyLine);
    await this.commit(() => {
      liveUser(this.state, name);
      this.checkKeyFree(key);
      return { type: 'user.key', payload: { name, key: key.line } };
    });
    return { line: key.line, type: key.type, comment: key.comment, fingerprint: key.fingerprint };
  }

  /**
   * True when the password is right. Unknown users, users without a password and bad
   * input all cost one scrypt derivation too, so the time taken does not tell them apart.
   */
  async checkPassword(name: string, password: string): Promise<boolean> {
    this.check();
    const u = typeof name === 'string' ? this.state.users.get(name) : undefined;
    const stored = u?.alive ? u.password?.hash : undefined;
    return verifyPassword(password, stored, this.scrypt);
  }

  /**
   * The user holding a key: a raw blob (as an SSH server receives it) or an OpenSSH line.
   * An unparsable blob matches nobody; an unparsable line is COLONY_INVALID.
   */
  userForKey(key: Buffer | string): string | undefined {
    this.check();
    let k: PublicKey;
    if (typeof key === 'string') {
      k = parsePublicKey(key);
    } else {
      try { k = keyOf(key); } catch (err) { if (isColonyError(err, 'COLONY_INVALID')) return undefined; throw err; }
    }
    return userForKeyLine(this.state, k.line);
  }

  /**
   * On first start (no live user) creates `admin` with a random password and returns
   * that password, once. Only its scrypt hash is written, marked one-time: the first
   * login must choose a new one (`mustChangePassword`).
   */
  async ensureAdmin(): Promise<FirstAdmin> {
    this.check();
    // With users present, report an admin (or, failing that, any user) and create nothing.
    const present = (): FirstAdmin | undefined => {
      const live = this.listUsers();
      const pick = live.find((u) => u.role === 'admin') ?? live[0];
      return pick && { created: false, name: pick.name };
    };
    const already = present();
    if (already) return already;
    const password = randomPassword();
    const passwordHash = await hashPassword(password, this.scrypt);
    let made = false;
    await this.commit(() => {
      if (present()) return undefined;
      made = true;
      return { type: 'user.add', payload: { name: FIRST_ADMIN, role: 'admin', keys: [], passwordHash, temporary: true } };
    });
    if (!made) return present() ?? { created: false, name: FIRST_ADMIN };
    this.log.info({ user: FIRST_ADMIN }, 'created the first admin with a one-time password');
    return { created: true, name: FIRST_ADMIN, password };
  }

  // --- names and grants ------------------------------------------------------------

  /** Registers an immutable name. COLONY_EXISTS if (owner, name) is taken. */
  async registerName(spec: NewName): Promise<NameRecord> {
    this.check();
    const owner = checkUserName(spec.owner);
    const name = checkName(spec.name);
    if (!Buffer.isBuffer(spec.root) || spec.root.length !== SCORE_BYTES) throw invalid(`a root score is ${SCORE_BYTES} bytes`);
    const payload = { owner, name, root: formatScore(spec.root), comment: checkComment(spec.comment), meta: checkMeta(spec.meta) };
    await this.commit(() => {
      liveUser(this.state, owner);
      if (this.state.forgotten.has(nameKey(owner, name))) throw forgottenError(owner, name);
      if (this.state.names.has(nameKey(owner, name))) throw exists(`name '${owner}/${name}'`);
      return { type: 'name.register', payload };
    });
    return this.getName(owner, name);
  }

  /**
   * Forgets owner/name for good: a `name.forget` tombstone that replicates, after which
   * (owner, name) can never be registered again, here or on any node (conflicts.ts). The
   * owner may forget their own name; an admin anyone's, with a reason, logged at warn.
   * The users it was granted to lose it too (`grantees` says who: warn before).
   */
  async forgetName(owner: string, name: string, options: { by: string; reason?: string }): Promise<ForgetResult> {
    this.check();
    let plan: ForgetPlan | undefined;
    await this.commit(() => (plan = planForget(this.state, owner, name, options.by, options.reason)).body);
    const { record, grantees, body } = plan!;
    const reason = body.type === 'name.forget' ? body.payload.reason : undefined;
    const fields = { owner, name, by: options.by, root: formatScore(record.root), ...(grantees.length ? { grantees } : {}) };
    if (reason !== undefined) this.log.warn({ ...fields, reason }, 'a name was forgotten by an admin');
    else this.log.info(fields, 'a name was forgotten');
    return { record, grantees, ...(reason !== undefined ? { reason } : {}) };
  }

  /** What forgetName would forget and who would lose it, checked as forgetName checks, without writing: to warn first. */
  checkForget(owner: string, name: string, options: { by: string; reason?: string }): Omit<ForgetResult, 'reason'> {
    this.check();
    const { record, grantees } = planForget(this.state, owner, name, options.by, options.reason);
    return { record, grantees };
  }

  /** Every forgotten name (its earliest tombstone), newest first. */
  forgotten(): ForgottenRecord[] {
    this.check();
    return forgottenRecords(this.state);
  }

  isForgotten(owner: string, name: string): boolean {
    this.check();
    return this.state.forgotten.has(nameKey(owner, name));
  }

  /** The root of every name not forgotten, all users', pending ones included: the garbage collector's live roots. */
  liveRoots(): Score[] {
    this.check();
    return liveRoots(this.state);
  }

  /** The live users owner/name is granted to. */
  grantees(owner: string, name: string): string[] {
    this.check();
    return granteesOf(this.state, owner, name);
  }

  /** The record of (owner, name), with no visibility check; that is canSee's job. */
  getName(owner: string, name: string): NameRecord {
    this.check();
    const n = findName(this.state, owner, name);
    if (!n) throw notFound(`name '${owner}/${name}'`);
    return recordOf(n);
  }

  /** Makes owner/name visible to `to`. Idempotent: false when nothing changed. */
  async grant(owner: string, name: string, to: string): Promise<boolean> {
    this.check();
    let changed = false;
    await this.commit(() => {
      if (!findName(this.state, owner, name)) throw notFound(`name '${owner}/${name}'`);
      liveUser(this.state, to);
      if (to === owner || this.state.grants.get(nameKey(owner, name))?.has(to)) return undefined;
      changed = true;
      return { type: 'name.grant', payload: { owner, name, to } };
    });
    return changed;
  }

  canSee(user: string, record: Pick<NameRecord, 'owner' | 'name'>): boolean {
    this.check();
    return canSee(this.state, user, record.owner, record.name);
  }

  /** What `user` can see (own, granted; admins everything), newest first. See nameMatcher for the filter. */
  scores(user: string, filter?: string): NameRecord[] {
    this.check();
    return visibleNames(this.state, user, filter);
  }

  /** Every name, newest first, with no visibility check: for operator tools on the data directory. */
  allNames(filter?: string): NameRecord[] {
    this.check();
    return listNames(this.state, filter);
  }

  /** `name` or `owner/name` as `user` means it; COLONY_NOT_FOUND when they cannot see it. */
  resolve(user: string, text: string): NameRecord {
    this.check();
    return resolveName(this.state, user, text);
  }

  // --- replication -------------------------------------------------------------------

  /** origin → highest seq held. */
  vector(): Vector {
    this.check();
    return vectorOf(this.state);
  }

  /** The events a replica at `vector` lacks, by origin then seq; at most `limit`, each origin's part contiguous. */
  async eventsSince(vector: Vector, options: { limit?: number } = {}): Promise<CatalogEvent[]> {
    this.check();
    return eventsSince(this.db, this.state, vector, options.limit ?? SINCE_LIMIT);
  }

  /**
   * Applies events from a peer. Idempotent (held events are skipped after checking they
   * are the same bytes) and order-tolerant within an origin; a gap after what is held, or
   * an event not signed by its origin's key (COLONY_AUTH), refuses the whole batch, and
   * nothing is written.
   */
  async applyRemote(events: unknown[]): Promise<ApplyResult> {
    this.check();
    const batch = parseBatch(events);
    return this.exclusive(async () => {
      this.check();
      const { fresh, skipped } = await freshEvents(this.db, this.state, batch);
      await this.db.append(fresh);
      for (const e of fresh) {
        if (e.type === 'name.register' && this.state.registrations.has(nameKey(e.payload.owner, e.payload.name))) {
          this.log.warn({ owner: e.payload.owner, name: e.payload.name, origin: e.origin }, 'a name was registered twice; the earliest keeps it, a later one with another root shows as name@origin');
        }
        if (e.type === 'name.register' && this.state.forgotten.has(nameKey(e.payload.owner, e.payload.name))) {
          this.log.warn({ owner: e.payload.owner, name: e.payload.name, origin: e.origin }, 'a peer registered a forgotten name; the tombstone wins');
        }
        apply(this.state, e);
      }
      this.announce(fresh);
      return { applied: fresh.length, skipped };
    });
  }

  // --- membership -------------------------------------------------------------------

  /** Admits a peer node to the grid (`by`: the admin doing it). Pairing a member again updates its addresses. */
  async pair(peer: string, options: { by: string; addresses?: string[] }): Promise<void> {
    this.check();
    const payload = { peer: checkPeerId(peer), addresses: checkAddresses(options.addresses ?? []), by: checkUserName(options.by) };
    await this.commit(() => ({ type: 'peer.pair', payload }));
  }

  /** Removes a peer from the grid; COLONY_NOT_FOUND when it is not a member. */
  async unpair(peer: string, options: { by: string }): Promise<void> {
    this.check();
    const payload = { peer: checkPeerId(peer), by: checkUserName(options.by) };
    await this.commit(() => {
      if (!this.state.peers.get(peer)?.paired) throw notFound(`member '${peer}'`);
      return { type: 'peer.unpair', payload };
    });
  }

  /** The paired peers, in id order: what the peer layer's connection gater admits. */
  members(): Member[] {
    this.check();
    return members(this.state);
  }

  // --- introspection -----------------------------------------------------------------

  stats(): CatalogStats {
    this.check();
    let grants = 0;
    for (const to of this.state.grants.values()) grants += to.size;
    const live = [...this.state.users.values()].filter((u) => u.alive);
    return {
      nodeId: this.nodeId, users: live.length, admins: live.filter((u) => u.role === 'admin').length, names: this.state.names.size,
      grants, events: this.state.events, origins: this.state.vector.size, seq: this.state.vector.get(this.nodeId) ?? 0,
    };
  }

  /** The whole derived state as plain sorted data; equal snapshots mean equal states. */
  snapshot(): StateSnapshot {
    this.check();
    return snapshot(this.state);
  }

  // --- internals --------------------------------------------------------------------

  private check(): void {
    if (!this.open) throw closed('the catalog');
  }

  private admins() {
    return [...this.state.users.values()].filter((u) => u.alive && u.role === 'admin');
  }

  private checkKeyFree(k: PublicKey): void {
    const id = keyId(k.line);
    if ([...this.state.users.values()].some((u) => u.alive && u.keys.has(id))) throw exists(`key ${k.fingerprint}`);
  }

  /** Runs changes one at a time, so a check and the write it guards see the same state. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => {});
    return run;
  }

  /** Checks (in `build`, against the current state), writes one local event durably, then applies it. */
  private commit(build: () => EventBody | undefined): Promise<void> {
    return this.exclusive(async () => {
      this.check();
      const body = build();
      if (!body) return;
      const seq = (this.state.vector.get(this.nodeId) ?? 0) + 1;
      const e = parseEvent({ origin: this.nodeId, seq, time: nextTime(this.state, this.now()), ...body });
      if (e.type !== body.type) throw internal('an event changed type while being checked');
      const signed = this.signer ? signEvent(e, this.signer) : e;
      await this.db.append([signed]);
      apply(this.state, signed);
      this.announce([signed]);
    });
  }
}
