// The environments of one node: spawn, save, invite, boom, status and scores, each
// checking who is asking. Decisions live in policy.ts, what a boom does in boom.ts; this
// class holds the running environments and does the I/O (volumes, catalog, records).
import { totalmem } from 'node:os';
import { join } from 'node:path';
import { checkName, refuseTakenName, type Catalog, type NameRecord } from '../catalog/index.js';
import { closed, ColonyError, exists, invalid, isColonyError, notFound, permission } from '../errors.js';
import { silentLog, type Log } from '../log.js';
import { formatScore, parseScore, type BlockSource, type Score } from '../store/index.js';
import type { DiskTier } from '../volume/index.js';
import { boomAll, boomAsAdmin, reapOrphans, stopEnvironment, type BoomResult, type BoomState } from './boom.js';
import { EnvCaches } from './caches.js';
import { Environment, newToken, parseAname, type EnvironmentInfo } from './environment.js';
import { heldByEnvironments, type GridHold } from './held.js';
import { addAccount } from './invite.js';
import { pendingText, type NameView, type PendingName } from './name-visibility.js';
import { Notices, type BoomNotice } from './notices.js';
import { alreadyRunning, checkEnvName, diskRoomRefusal, planDiskRoom, isEnvName, checkOwner, checkSpawn, freeSuffix, heapOf, planHeap, resolveLimits, visibleTo, type CacheKind, type GridLimits, type RunningSummary } from './policy.js';
import { settles, timed } from './queue.js';
import { EnvRecords, recordOf } from './records.js';

export type { BoomResult } from './boom.js';

export interface GridOptions {
  /** The data directory; disk environments are recorded in DATA/envs/. */
  data: string;
  store: BlockSource;
  catalog: Catalog;
  log?: Log;
  limits?: Partial<GridLimits>;
  /** How clients reach this node, for the mount line (default HOST) and the 9P port (564). */
  host?: string;
  port?: number;
  /** Which names have all their blocks (a NameCompleteness); without it every name does (one node). */
  names?: { view(names: NameRecord[]): NameView; refresh?(): Promise<void>; makeWhole?(root: Score, base: Score): Promise<unknown> };
  /** Throws COLONY_QUOTA when a user may not store more: asked before a save writes (the supervisor's quotas). */
  quota?: (user: string) => Promise<void>;
}

export interface SpawnOptions { cache: CacheKind; as?: string }
export interface SpawnResult { env: EnvironmentInfo; token: string; aname: string; mount: string }
/** `reason` is required when an admin booms an environment that is not theirs; the owner is shown it. */
export interface BoomOptions { reason?: string }
export interface InviteResult { record: NameRecord; via: 'passwd' | 'meta'; uid?: number; sysGroup?: string }

export class Grid {
  readonly limits: GridLimits;
  private readonly envs = new Map<string, Environment>();
  private readonly caches: EnvCaches;
  /** Names of environments being spawned (reserved before the first await). */
  private readonly starting = new Map<string, RunningSummary>();
  private readonly records: EnvRecords;
  private readonly log: Log;
  private readonly boomHooks = new Set<(env: Environment) => void>();
  private readonly stoppingHooks = new Set<(env: Environment) => Promise<void>>();
  private readonly quota: GridOptions['quota'];
  private notes!: Notices;
  private timer: NodeJS.Timeout | undefined;
  private checkpointing = false;
  private savesRunning = 0;
  /** Saves under way now (the LEDs' busy blink). */
  get saving(): number { return this.savesRunning; }
  private closing: Promise<void> | undefined;
  private readonly host: string;
  private readonly port: number;
  private readonly boomState: BoomState;
  private readonly names: GridOptions['names'];

  private constructor(readonly store: BlockSource, readonly catalog: Catalog, data: string, opts: GridOptions) {
    this.limits = resolveLimits({ memBytes: totalmem(), ...opts.limits });
    this.records = new EnvRecords(join(data, 'envs'));
    this.log = opts.log ?? silentLog;
    this.caches = new EnvCaches(join(data, 'envs'), store, this.limits, this.log);
    this.host = opts.host ?? 'HOST';
    this.port = opts.port ?? 564;
    this.quota = opts.quota;
    this.names = opts.names;
    this.boomState = {
      envs: this.envs, starting: this.starting, hooks: this.boomHooks, stopping: this.stoppingHooks, records: this.records, caches: this.caches,
      log: this.log, limits: this.limits, summaryOf: (e) => this.summaryOf(e.name, e.owner, e.kind),
    };
  }

  /** Opens the grid and brings back the disk environments recorded under DATA/envs/. */
  static async open(opts: GridOptions): Promise<Grid> {
    const grid = new Grid(opts.store, opts.catalog, opts.data, opts);
    grid.notes = await Notices.open(join(opts.data, 'grid-notices.json'), (err) => grid.log.warn({ err: String(err) }, 'boom notices unreadable; starting without them'));
    await grid.restore();
    await grid.reapOrphans();
    if (grid.limits.checkpointMs > 0) {
      grid.timer = setInterval(() => { void grid.checkpointAll(); }, grid.limits.checkpointMs);
      grid.timer.unref();
    }
    return grid;
  }

  private async restore(): Promise<void> {
    for (const r of await this.records.readAll()) {
      try {
        const volume = await this.caches.open(r.name, 'disk', parseScore(r.head));
        const base = { owner: r.base.owner, name: r.base.name, root: parseScore(r.base.root) };
        const env = new Environment(r.name, r.owner, 'disk', base, volume, r.token, new Date(r.created), r.unsaved);
        for (const u of r.invited ?? []) env.invited.add(u);
        this.envs.set(r.name, env);
        this.log.info({ env: r.name, owner: r.owner, head: r.head }, 'disk environment restored');
      } catch (err) {
        // The record stays on disk, so nothing is lost; the operator sees why. GC keeps its trees.
        this.log.error({ env: r.name, head: r.head, err: String(err) }, 'cannot restore disk environment');
        try { this.unrestored.push(parseScore(r.head), parseScore(r.base.root)); } catch { /* a record too broken to name a root */ }
      }
    }
    // Restored environments are not refused (they hold users' work), but the operator should
    // know when the configuration now promises more heap than the bound allows.
    const heap = planHeap(this.limits, this.summaries(), 'disk');
    if (heap.bounded && heap.promisedBytes > heap.limitBytes) {
      this.log.warn({ promisedBytes: heap.promisedBytes, limitBytes: heap.limitBytes }, 'restored disk environments promise more heap than the bound; new spawns are refused until some are boomed');
    }
  }

  private check(): void { if (this.closing) throw closed('grid'); }

  private isAdmin(user: string): boolean { return this.catalog.getUser(user).role === 'admin'; }

  private summaries(): RunningSummary[] {
    return [...[...this.envs.values()].map((e) => this.summaryOf(e.name, e.owner, e.kind)), ...this.starting.values()];
  }

  /** The cache (heap for ram, disk for disk) and heap share an environment of `kind` is promised. */
  private summaryOf(name: string, owner: string, kind: CacheKind): RunningSummary {
    const cacheBytes = kind === 'ram' ? this.limits.ramCacheBytes : this.limits.diskCacheBytes;
    return { name, owner, kind, cacheBytes, heapBytes: heapOf(this.limits, kind) };
  }

  /** What status shows; a disk environment's cache is its disk tier (the heap share is not shown). */
  private infoOf(env: Environment, now: number, forOwner: boolean): EnvironmentInfo {
    const info = env.info(now, forOwner, this.host, this.port);
    const tier = this.caches.tierOf(env.name);
    if (tier) info.cache = { used: tier.stats().bytes, size: this.limits.diskCacheBytes };
    return info;
  }

  /** The disk tier of a running disk environment (for status and tests). */
  tierOf(name: string): DiskTier | undefined { return this.caches.tierOf(name); }

  private taken = (name: string) => this.envs.has(name) || this.starting.has(name);

  /** The environment `user` owns, for `verb`; COLONY_NOT_FOUND or COLONY_PERMISSION otherwise. */
  environment(user: string, name: string, verb = 'use'): Environment {
    this.check();
    this.catalog.getUser(user);
    const env = this.envs.get(name);
    if (!env) throw notFound(`environment ${name}`);
    checkOwner(user, env, verb);
    return env;
  }

  async spawn(user: string, nameText: string, opts: SpawnOptions): Promise<SpawnResult> {
    this.check();
    this.catalog.getUser(user);
    const kind = opts.cache;
    if (kind !== 'ram' && kind !== 'disk') throw invalid(`cache must be ram or disk, got ${String(kind)}`);
    const rec = this.catalog.resolve(user, nameText);
    let waiting = this.names?.view([rec]).pending[0];
    if (waiting && this.names?.refresh) { // its blocks may have come since the last walk: look now
      await this.names.refresh();
      this.check();
      waiting = this.names.view([rec]).pending[0];
    }
    if (waiting) throw new ColonyError('COLONY_NOT_FOUND', `${rec.owner}/${rec.name} is not here yet: its blocks are still arriving (${pendingText(waiting.progress)})`);
    if (opts.as === undefined && !isEnvName(rec.name)) {
      throw invalid(`${rec.name} cannot name an environment; use \`${kind === 'disk' ? 'spawndisk' : 'spawn'} ${nameText} as ENV\``);
    }
    const envName = checkEnvName(opts.as ?? rec.name);
    if (kind === 'disk') {
      // Before the checks below, which must not be separated from the reservation by an await.
      const { freeBytes, unfilledBytes } = await this.caches.diskRoom();
      const room = planDiskRoom(this.limits, freeBytes, unfilledBytes);
      if (!room.fits) throw diskRoomRefusal(room);
      this.check();
    }
    if (this.taken(envName)) throw alreadyRunning(envName, nameText, freeSuffix(envName, this.taken), kind === 'disk');
    checkSpawn(this.limits, this.summaries(), user, kind);
    this.starting.set(envName, this.summaryOf(envName, user, kind));
    let opened = false;
    try {
      const volume = await this.caches.open(envName, kind, rec.root);
      opened = true;
      this.check();
      const env = new Environment(envName, user, kind, { owner: rec.owner, name: rec.name, root: rec.root }, volume, newToken(), new Date());
      if (kind === 'disk') await this.records.write(recordOf(env));
      this.envs.set(envName, env);
      this.log.info({ env: envName, owner: user, base: `${rec.owner}/${rec.name}`, kind }, 'spawned');
      const info = this.infoOf(env, Date.now(), true);
      return { env: info, token: env.token, aname: info.aname!, mount: info.mount! };
    } finally {
      if (opened && !this.envs.has(envName)) await this.caches.drop(envName, true);
      this.starting.delete(envName);
    }
  }

  /**
   * Saves the environment as NEWNAME, owned by `user`: point-in-time, and the name is
   * registered only after the tree is written and synced. The environment carries on
   * over the saved tree. `savedisk` is the same verb.
   */
  async save(user: string, envName: string, newName: string, opts: { comment?: string } = {}): Promise<NameRecord> {
    const env = this.environment(user, envName, 'save');
    checkName(newName);
    if (this.catalog.isForgotten(user, newName)) refuseTakenName(this.catalog, user, newName); // says it was forgotten, before anything is written
    if (this.nameTaken(user, newName)) throw exists(`name '${user}/${newName}'`);
    await this.quota?.(user);
    let at = 0;
    this.savesRunning++;
    const root = await this.timed(env, `saving ${envName} as ${newName}`, async () => {
      at = env.volume.changeCount;
      const saved = (await env.volume.save({ comment: opts.comment ?? `saved from environment ${envName}` })).root;
      await this.names?.makeWhole?.(saved, env.base.root); // a lazy node fetches what the tree lacks here: a name here is whole here
      return saved;
    }).finally(() => { this.savesRunning--; });
    const record = await this.catalog.registerName({ owner: user, name: newName, root, comment: opts.comment ?? `saved from environment ${envName}` });
    env.base = { owner: user, name: newName, root };
    env.head = root;
    env.savedChange = at;
    env.checkpointChange = Math.max(env.checkpointChange, at);
    env.carried = false;
    await this.persist(env);
    this.log.info({ env: envName, owner: user, name: newName, root: formatScore(root) }, 'saved');
    return record;
  }

  /**
   * Adds `toUser` to the environment's user database (or its metadata), saves, and
   * registers the snapshot for `toUser` alone: as ENV, or ENV-INVITER when taken.
   */
  async invite(user: string, toUser: string, envName: string): Promise<InviteResult> {
    const env = this.environment(user, envName, 'invite into');
    this.catalog.getUser(toUser);
    if (toUser === user) throw invalid('you cannot invite yourself');
    const candidates = [envName, `${envName}-${user}`];
    let target = candidates.find((n) => !this.nameTaken(toUser, n));
    target ??= freeSuffix(`${envName}-${user}`, (n) => this.nameTaken(toUser, n), 100);
    if (!target) throw exists(`every name ${toUser} could get for ${envName}`);
    await this.quota?.(toUser); // the name, so its bytes, will be the invitee's
    let via: InviteResult['via'] = 'meta';
    let uid: number | undefined;
    let sysGroup: string | undefined;
    const comment = `invited by ${user} from environment ${envName}`;
    const root = await this.timed(env, `inviting ${toUser} into ${envName}`, async () => {
      const plan = await addAccount(env.volume, toUser);
      if (plan) { via = 'passwd'; uid = plan.uid; sysGroup = plan.sysGroup; }
      const meta = plan ? {} : { [`invited.${toUser}`]: `${user} ${new Date().toISOString()}` };
      const saved = (await env.volume.save({ comment, meta })).root;
      await this.names?.makeWhole?.(saved, env.base.root); // as in save
      return saved;
    });
    const record = await this.catalog.registerName({ owner: toUser, name: target, root, comment, meta: { 'invited-by': user } });
    env.head = root;
    env.invited.add(toUser);
    await this.persist(env);
    this.log.info({ env: envName, owner: user, invitee: toUser, name: target, via }, 'invited');
    return { record, via, ...(uid !== undefined ? { uid } : {}), ...(sysGroup ? { sysGroup } : {}) };
  }

  /**
   * Stops the environment: its cache is freed, its token revoked; the snapshot stays. An
   * admin may boom anyone's environment with a reason, which is logged and shown to the owner
   * in their `status` (for a week); anyone else may boom only their own.
   */
  async boom(user: string, envName: string, opts: BoomOptions = {}): Promise<BoomResult> {
    this.check();
    this.catalog.getUser(user);
    const env = this.envs.get(envName);
    if (!env) throw notFound(`environment ${envName}`);
    if (env.owner === user || !this.isAdmin(user)) {
      checkOwner(user, env, 'boom');
      return this.stop(env, true);
    }
    return boomAsAdmin(this.boomState, this.notes, env, user, opts.reason);
  }

  /** The names of `owner`'s running environments (for an admin about to remove them). */
  ownedBy(owner: string): string[] {
    this.check();
    return [...this.envs.values()].filter((e) => e.owner === owner).map((e) => e.name).sort();
  }

  /**
   * Booms every environment of `owner`, for admin `by` (removing a user): their tokens die
   * with them and their 9P clients are cut off. Logged with the reason; no notice is kept,
   * since the owner is being removed.
   */
  async boomAllOf(by: string, owner: string, reason: string): Promise<BoomResult[]> {
    this.check();
    if (!this.isAdmin(by)) throw permission('only an admin may boom every environment of a user');
    return boomAll(this.boomState, this.notes, by, owner, reason);
  }

  /** What admins told `user` about booming their environments, newest first (for `status`). */
  notices(user: string): BoomNotice[] {
    this.check();
    return this.notes.of(user);
  }

  /** Booms environments whose owner is no longer a user (removed while the grid was down, or elsewhere). */
  private reapOrphans(): Promise<void> { return reapOrphans(this.boomState, () => this.closing !== undefined, (u) => this.isUser(u)); }

  private isUser(name: string): boolean {
    try { this.catalog.getUser(name); return true; } catch { return false; }
  }

  private stop(env: Environment, discard: boolean): Promise<BoomResult> { return stopEnvironment(this.boomState, env, discard); }

  /** The running environments `user` may see: their own; an admin sees all (tokens only for their own). */
  status(user: string): EnvironmentInfo[] {
    this.check();
    const admin = this.isAdmin(user);
    const now = Date.now();
    return visibleTo(user, admin, [...this.envs.values()])
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .map((e) => this.infoOf(e, now, e.owner === user));
  }

  /**
   * Every running environment's base root, head and what its volume holds (held.ts), for
   * garbage collection. Synchronous: one instant of the grid.
   */
  heldRoots(): GridHold { return heldByEnvironments(this.envs.values(), this.unrestored); }

  /** Heads and bases of disk environments whose records could not be restored (kept for GC). */
  private readonly unrestored: Score[] = [];

  scores(user: string, filter?: string): NameRecord[] {
    this.check();
    const all = this.catalog.scores(user, filter);
    return this.names ? this.names.view(all).visible : all;
  }

  /** The names `user` could see whose blocks have not all arrived yet (replicated before their blocks). */
  pendingScores(user: string, filter?: string): PendingName[] {
    this.check();
    return this.names ? this.names.view(this.catalog.scores(user, filter)).pending : [];
  }

  /**
   * Writes a disk environment's whole tree as an unnamed snapshot and records it as the
   * head to restart from (for 9P Tfsync and the timer). A no-op for ram environments.
   */
  async checkpoint(envName: string): Promise<Score> {
    const env = this.envs.get(envName);
    if (!env) throw notFound(`environment ${envName}`);
    return this.checkpointEnv(env);
  }

  private async checkpointEnv(env: Environment): Promise<Score> {
    if (env.kind === 'ram') return env.head; // nothing of a ram environment outlives the process
    const root = await this.timed(env, `checkpointing ${env.name}`, async () => {
      if (!env.changedSinceCheckpoint) return env.volume.rootScore;
      const at = env.volume.changeCount;
      const saved = await env.volume.save({ comment: `checkpoint of environment ${env.name}` });
      env.checkpointChange = at;
      await this.caches.sync(env.name);
      return saved.root;
    });
    env.head = root;
    await this.persist(env);
    return root;
  }

  private async checkpointAll(): Promise<void> {
    if (this.checkpointing) return;
    this.checkpointing = true;
    try { await this.reapOrphans(); await this.checkpointChanged(); } finally { this.checkpointing = false; }
  }

  private async checkpointChanged(): Promise<void> {
    for (const env of [...this.envs.values()]) {
      if (env.kind !== 'disk' || !env.changedSinceCheckpoint) continue;
      await this.checkpointEnv(env).catch((err) => this.log.error({ env: env.name, err: String(err) }, 'checkpoint failed'));
    }
  }

  // ---- for the 9P layer ----

  /** The environment an aname `env/NAME/TOKEN` reaches, counted as one more client; COLONY_AUTH on a wrong token. */
  attach(aname: string): Environment {
    this.check();
    const parsed = parseAname(aname);
    const env = parsed && this.envs.get(parsed.env);
    // A removed owner's environments are boomed; until then their tokens reach nothing.
    if (!parsed || !env || !env.tokenMatches(parsed.token) || !this.isUser(env.owner)) throw new ColonyError('COLONY_AUTH', 'no environment answers to that aname (wrong or revoked token)');
    env.clients++;
    return env;
  }

  detach(env: Environment): void { env.clients = Math.max(0, env.clients - 1); }

  /**
   * Awaited when an environment stops (boom, or the grid closing), after it is forgotten (no
   * verb finds it) and before its token is revoked and its volume closed; bounded by
   * STOPPING_MS. The executor kills the environment's processes and unmounts it here.
   */
  onStopping(hook: (env: Environment) => Promise<void>): () => void {
    this.stoppingHooks.add(hook);
    return () => this.stoppingHooks.delete(hook);
  }

  /** A running environment by name, whoever owns it (the executor decides who may use it); undefined when none. */
  running(name: string): Environment | undefined {
    this.check();
    return this.envs.get(name);
  }

  /** Called for every environment that is boomed; returns a function that unsubscribes. */
  onBoom(hook: (env: Environment) => void): () => void {
    this.boomHooks.add(hook);
    return () => this.boomHooks.delete(hook);
  }

  /** Checkpoints disk environments, revokes every token, and lets go of the volumes. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.timer) clearInterval(this.timer);
      for (const env of [...this.envs.values()]) {
        if (env.kind === 'disk') await this.checkpointEnv(env).catch((err) => this.log.error({ env: env.name, err: String(err) }, 'final checkpoint failed'));
        else await settles(env.idle(), this.limits.saveTimeoutMs);
        await this.stop(env, false);
        await this.caches.drop(env.name, false);
      }
    })();
    return this.closing;
  }

  // ---- helpers ----

  /** Bound, or forgotten (never bound again). */
  private nameTaken(owner: string, name: string): boolean {
    if (this.catalog.isForgotten(owner, name)) return true;
    try { this.catalog.getName(owner, name); return true; } catch (err) {
      if (isColonyError(err, 'COLONY_NOT_FOUND')) return false;
      throw err;
    }
  }

  private timed<T>(env: Environment, what: string, fn: () => Promise<T>): Promise<T> { return timed(env, what, this.limits.saveTimeoutMs, fn); }

  /** Writes a disk environment's record, in its queue, unless it was boomed meanwhile (boom waits for the queue, then removes it). */
  private persist(env: Environment): Promise<void> {
    return env.exclusive(async () => {
      if (env.kind === 'disk' && !env.boomed) await this.records.write(recordOf(env));
    });
  }
}
