// The block store: venti's write-once blocks named by their BLAKE3 score, in append-only
// arenas with a LevelDB index that can always be rebuilt. See README.md for the contract.
import { join } from 'node:path';
import { closed, ColonyError, invalid, isColonyError, notFound, tooLarge } from '../errors.js';
import { ensureDir, syncDir } from '../files.js';
import { silentLog, type Log } from '../log.js';
import { Arena, listArenas } from './arena.js';
import { arenaFiles, arenaUsage, Collections, indexEntries, indexEntryBatches, type ArenaUsage, type Collection, type IndexEntry, type IndexView } from './collect.js';
import { compactArena, type CompactHost, type CompactOptions, type CompactResult } from './compact.js';
import { BlockCache } from './cache.js';
import { punchedBytes } from './freed.js';
import { punchArenas, type PunchOptions, type PunchResult } from './punch.js';
import { CODEC_NAMES, decodeBlock, encodeBlock, flagsCodec, knownFlags, logicalSize, pickCodec } from './codec.js';
import { loadHash, type HashBackend } from './hash.js';
import { loadEpoch, type Epoch } from './epoch.js';
import { BlockIndex, type IndexMeta } from './index-db.js';
import { arenaOf, logPosition, MAX_BLOCK_TYPE, offsetOf, RECORD_HEADER_BYTES, type Location } from './record.js';
import { iterateLog, readLog, type LogPage } from './log.js';
import { decodedOrCorrupt, readVerified } from './read.js';
import { recover } from './recover.js';
import { formatScore, SCORE_BYTES, type Score } from './score.js';
import { DiskReserve, type ReserveStats } from './reserve.js';
import { MiB, STORE_DEFAULTS, type AppendEvent, type AppendListener, type StoreOptions, type StoreStats, type StoredBlock } from './options.js';
import { verifyStore, type VerifyProgress, type VerifyReport } from './verify.js';
import { WritePath } from './write-path.js';

export { STORE_DEFAULTS, type AppendEvent, type AppendListener, type StoreOptions, type StoreStats, type StoredBlock } from './options.js';
export type { ArenaUsage, Collection, CompactOptions, CompactResult, IndexEntry, ReserveStats };

export class BlockStore {
  private readonly w: WritePath;
  private readonly collections = new Collections();
  private readonly reserve: DiskReserve;
  /** Compactions and verify run one at a time: each needs the arena set to hold still. */
  private maintenance: Promise<unknown> = Promise.resolve();
  private isClosed = false;
  private readonly cache: BlockCache;
  private readonly appendListeners = new Set<AppendListener>();
  private readonly io = { blocksWritten: 0, bytesWritten: 0, blocksRead: 0, bytesRead: 0, corruptReads: 0 };
  private readonly codec: number;

  private constructor(
    readonly dir: string,
    private readonly opts: typeof STORE_DEFAULTS,
    private readonly log: Log,
    private readonly index: BlockIndex,
    private readonly arenas: Map<number, Arena>,
    active: Arena,
    meta: IndexMeta,
    private readonly hash: (b: Uint8Array) => Buffer,
    readonly hashBackend: HashBackend,
    private readonly epochState: Epoch,
  ) {
    this.cache = new BlockCache(opts.cacheBytes, { admitOnSecondTouch: true });
    this.codec = pickCodec(opts.compress);
    this.reserve = new DiskReserve(opts.reserveBytes, dir);
    const ctx = { dir, arenaBytes: opts.arenaBytes, writeBufferBytes: opts.writeBufferBytes, writeBufferIdleMs: opts.writeBufferIdleMs, log, index, arenas, hash, reserve: this.reserve, synced: (from: number, head: number) => this.notifyAppend({ from, head }) };
    this.w = new WritePath(ctx, active, meta);
  }

  /** Names this log (32 hex digits); replication cursors are (epoch, log position). See epoch.ts. */
  get epoch(): string { return this.epochState.epoch; }

  /**
   * Changes whenever a collection may have dropped blocks (an arena deleted, a range freed):
   * the arenas missing below the newest, and the bytes freed in place. Between two equal
   * marks no block left the store, so a tree that was whole then is whole now (the import
   * cache trusts its content only then).
   */
  dropMark(): string {
    let newest = -1;
    let freed = 0;
    for (const [n, a] of this.arenas) {
      newest = Math.max(newest, n);
      for (const [start, end] of a.freed) freed += end - start;
    }
    return `${this.epochState.epoch}:${newest + 1 - this.arenas.size}:${freed}`;
  }

  /** Opens (or creates) the store in `dir`, repairing whatever a crash left behind. */
  static async open(dir: string, options: StoreOptions = {}): Promise<BlockStore> {
    const { log = silentLog, ...rest } = options;
    const opts = { ...STORE_DEFAULTS, ...Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) };
    if (opts.maxBlockBytes > 16 * MiB) throw invalid('the block size limit is at most 16 MiB');
    if (opts.compress !== 'auto' && opts.compress !== 'off') throw invalid(`store compression '${String(opts.compress)}' (expected 'auto' or 'off')`);
    if (opts.arenaBytes < 4 * opts.maxBlockBytes || opts.arenaBytes >= 2 ** 36) throw invalid('arenaBytes must hold at least four maximal blocks and be under 64 GiB');
    opts.writeBufferBytes = Math.max(opts.writeBufferBytes, opts.maxBlockBytes + RECORD_HEADER_BYTES);
    const arenaDir = join(dir, 'arenas');
    await ensureDir(arenaDir);
    const { name, hash } = await loadHash();
    const index = await BlockIndex.open(join(dir, 'index'));
    try {
      const got = await recover({ arenaDir, numbers: await listArenas(arenaDir), index, hash, maxBlockBytes: opts.maxBlockBytes, log });
      let active = [...got.arenas.values()].at(-1);
      if (!active || got.lastSealed) {
        // A sealed arena is never written again: start the next one.
        const next = active ? active.number + 1 : 0;
        active = await Arena.create(arenaDir, next);
        got.arenas.set(next, active);
        await syncDir(arenaDir);
      }
      const identities = [...got.arenas.values()].map((a) => ({ firstArena: a.number, created: a.created }));
      const epoch = await loadEpoch(dir, identities, got.shortened, log);
      return new BlockStore(dir, opts, log, index, got.arenas, active, got.meta, hash, name, epoch);
    } catch (err) {
      await index.close();
      throw err;
    }
  }

  /** Deletes the index and rebuilds it from the arenas alone. */
  static async reindex(dir: string, options: StoreOptions = {}): Promise<BlockStore> {
    await BlockIndex.destroy(join(dir, 'index'));
    return BlockStore.open(dir, options);
  }

  get maxBlockBytes() { return this.opts.maxBlockBytes; }

  /** Stores `data` and returns its score. Bytes the store already has are not written again. */
  async put(type: number, data: Uint8Array): Promise<Score> {
    this.checkPut(type, data.length);
    return this.putHashed(type, data, this.hash(data));
  }

  /** The codec new blocks are written with: what a caller encoding for `putEncoded` must pass to codec.ts's encodeBlock. */
  get writeCodec(): number { return this.codec; }

  /**
   * `put` for a block hashed and encoded elsewhere (the import's worker threads, which take
   * both off the event loop): `score` is the BLAKE3 of the `size` bytes, and `flags` and
   * `stored` are what codec.ts's `encodeBlock(writeCodec, bytes)` gave for them. Dedups,
   * locks and appends as `put` does.
   */
  async putEncoded(type: number, score: Score, flags: number, stored: Uint8Array, size: number): Promise<Score> {
    this.checkPut(type, size);
    if (score.length !== SCORE_BYTES) throw invalid(`a score of ${score.length} bytes (a score has ${SCORE_BYTES})`);
    if (flags === 0 ? stored.length !== size : flagsCodec(flags) !== this.codec || !knownFlags(flags) || logicalSize(flags, stored) !== size) {
      throw invalid(`an encoded block with flags ${flags} and ${stored.length} stored bytes for ${size} (this store writes ${CODEC_NAMES[this.codec]})`);
    }
    if (this.dedup(score)) return score;
    return this.append(type, score, flags, stored, size);
  }

  /**
   * `put` for bytes that must be the block `expected` (a block from a peer): when they hash
   * to anything else, COLONY_CORRUPT_BLOCK and nothing is stored.
   */
  async putVerified(type: number, data: Uint8Array, expected: Score): Promise<Score> {
    this.checkPut(type, data.length);
    if (expected.length !== SCORE_BYTES) throw invalid(`an expected score of ${expected.length} bytes (a score has ${SCORE_BYTES})`);
    const score = this.hash(data);
    if (!score.equals(expected)) throw new ColonyError('COLONY_CORRUPT_BLOCK', `block ${formatScore(expected)} was given bytes that hash to ${formatScore(score)}; not stored`);
    return this.putHashed(type, data, score);
  }

  private checkPut(type: number, size: number): void {
    this.checkOpen();
    if (!Number.isInteger(type) || type < 0 || type > MAX_BLOCK_TYPE) throw invalid(`block type ${type} is out of range 0..${MAX_BLOCK_TYPE}`);
    if (size > this.opts.maxBlockBytes) throw tooLarge(`a block of ${size} bytes is over the limit of ${this.opts.maxBlockBytes}`);
  }

  private async putHashed(type: number, data: Uint8Array, score: Score): Promise<Score> {
    if (this.dedup(score)) return score;
    const { flags, stored } = encodeBlock(this.codec, data); // inline: the thread pool measured slower (README)
    return this.append(type, score, flags, stored, data.length);
  }

  /** The locked half of a put: the block as it is stored, appended unless a racing put got there first. */
  private append(type: number, score: Score, flags: number, stored: Uint8Array, size: number): Promise<Score> {
    return this.w.exclusive(async () => {
      if (this.dedup(score)) return score;
      await this.reserve.check();
      await this.w.append(type, stored, score, false, flags, size);
      this.io.blocksWritten++;
      this.io.bytesWritten += stored.length;
      if (this.w.pendingBytes >= this.opts.autoSyncBytes) await this.w.sync();
      return score;
    });
  }

  /** The block's bytes, checked against the score. Treat the buffer as read-only. */
  async get(score: Score): Promise<Buffer> {
    return (await this.getBlock(score)).data;
  }

  async getBlock(score: Score): Promise<{ type: number; data: Buffer }> {
    this.checkOpen();
    const key = score.toString('hex');
    const cached = this.cache.get(key);
    if (cached) return cached;
    // A compaction may delete the arena under a read: the index then names the new place.
    for (let attempt = 0; ; attempt++) {
      const pending = this.w.pending.get(key);
      if (pending?.data) return { type: pending.loc.type, data: decodedOrCorrupt(score, decodeBlock(pending.flags, Buffer.from(pending.data), this.opts.maxBlockBytes), 'the write buffer') };
      const loc = pending?.loc ?? (this.w.dropped.has(key) ? undefined : this.index.get(score));
      if (!loc) throw notFound(`block ${formatScore(score)}`);
      try {
        const block = { type: loc.type, data: await readVerified(this.arenas.get(arenaOf(loc.pos)), score, loc, this.hash, this.opts.maxBlockBytes) };
        this.cache.set(key, block);
        this.io.blocksRead++;
        this.io.bytesRead += loc.length;
        return block;
      } catch (err) {
        // Lost a race with GC: the arena was deleted, or the record freed in place.
        const arena = this.arenas.get(arenaOf(loc.pos));
        const raced = arena === undefined || arena.removed || arena.skip(offsetOf(loc.pos)) !== offsetOf(loc.pos);
        if (attempt >= 3 || !raced) {
          if (isColonyError(err, 'COLONY_CORRUPT_BLOCK')) this.io.corruptReads++;
          throw err;
        }
      }
    }
  }

  async has(score: Score): Promise<boolean> {
    this.checkOpen();
    return this.w.known(score);
  }

  /** Batched `has`: one index round trip for all scores the write path does not know. */
  async hasMany(scores: Score[]): Promise<boolean[]> {
    this.checkOpen();
    const { pending, dropped } = this.w;
    // A re-import asks for tens of thousands at once: with nothing unsynced, no key strings.
    if (pending.size === 0 && dropped.size === 0) return this.index.hasMany(scores);
    const out = scores.map((s) => pending.has(s.toString('hex')));
    const ask = scores.flatMap((s, i) => (out[i] ? [] : [i]));
    const found = await this.index.hasMany(ask.map((i) => scores[i]!));
    ask.forEach((i, j) => { out[i] = found[j]! && !dropped.has(scores[i]!.toString('hex')); });
    return out;
  }

  /** The durability barrier: returns once every earlier put is on stable storage and indexed. */
  async sync(): Promise<void> {
    this.checkOpen();
    await this.w.exclusive(() => this.w.sync());
  }

  /** Durable blocks in log order, from log position `from`. Replication cursors are log positions. */
  iterate(from = 0): AsyncGenerator<StoredBlock> {
    this.checkOpen();
    return iterateLog({ arenas: this.arenas, end: this.w.meta.checkpoint, hash: this.hash, maxBlockBytes: this.opts.maxBlockBytes, log: this.log }, from);
  }

  /**
   * The durable head: the log position just past the last record that `sync` made durable.
   * Records past it (put, not yet synced) are never handed to replication.
   */
  logHead(): number {
    this.checkOpen();
    return this.w.meta.checkpoint;
  }

  /**
   * Index entries (pos, end, score, type, size) in log order from `position` (0, a head, an
   * entry's `pos` or `end`, or a page's `next`), at most `limit`, all before the durable
   * head read at the call. A position inside a record or past the head is COLONY_INVALID.
   * Runs alongside puts and syncs; see log.ts.
   */
  async entriesSince(position: number, options: { limit?: number } = {}): Promise<LogPage> {
    this.checkOpen();
    const view = { arenas: this.arenas, head: this.w.meta.checkpoint, locate: (s: Score) => this.index.get(s), maxBlockBytes: this.opts.maxBlockBytes };
    return readLog(view, position, options.limit);
  }

  /**
   * Calls `listener` after every sync that moved the durable head (explicit, automatic or
   * at close), with the head before and after, before that sync resolves. Listeners run
   * synchronously in the write path and in registration order: they must only note the new
   * head and schedule their work (a throw is logged and ignored). Returns the unsubscribe.
   */
  onAppend(listener: AppendListener): () => void {
    this.checkOpen();
    this.appendListeners.add(listener);
    return () => { this.appendListeners.delete(listener); };
  }

  /** A full scan: every record against its score, every index entry against its record. */
  async verify(progress?: (p: VerifyProgress) => void): Promise<VerifyReport> {
    this.checkOpen();
    return this.maintain(async () => {
      await this.sync();
      return verifyStore({ arenas: [...this.arenas.values()], index: this.index, hash: this.hash, maxBlockBytes: this.opts.maxBlockBytes, progress });
    });
  }

  // ---- garbage collection's primitives; see compact.ts and collect.ts ----

  /** Every arena by number, with the records the index places in it. */
  async arenaUsage(): Promise<ArenaUsage[]> {
    this.checkOpen();
    return arenaUsage(this.indexView());
  }

  /** Every arena by number with its sizes (`arenaUsage` without the index pass). */
  async arenaFiles(): Promise<Array<Omit<ArenaUsage, 'indexedBlocks' | 'indexedBytes'>>> {
    this.checkOpen();
    return arenaFiles(this.indexView());
  }

  /** `indexEntries`, a few thousand at a time: the cheap way through a large index. */
  indexEntryBatches(): AsyncIterable<IndexEntry[]> {
    this.checkOpen();
    return indexEntryBatches(this.indexView());
  }

  /** One pass over the index (with unsynced puts and drops applied): score, arena, record bytes, type. */
  indexEntries(): AsyncIterable<IndexEntry> {
    this.checkOpen();
    return indexEntries(this.indexView());
  }

  /**
   * Starts remembering dedup hits (puts of blocks already stored) and the log position, so
   * compaction keeps what was referenced or written after marking began. Call `end()` after
   * the collection's compactions.
   */
  beginCollection(): Collection {
    this.checkOpen();
    return this.collections.begin(this.w.position);
  }

  /**
   * Empties sealed arena `number` into the active arena, keeping blocks `isLive` accepts or
   * an open collection keeps, and deletes its file. Runs alongside puts and gets; see README.
   */
  async compactArena(number: number, isLive: (score: Score) => boolean, options: CompactOptions = {}): Promise<CompactResult> {
    this.checkOpen();
    return this.maintain(() => compactArena(this.compactHost(), number, isLive, options));
  }

  /**
   * Frees sealed arenas' garbage in place: drops the blocks `isLive` rejects (and no open
   * collection keeps), records each arena's freed ranges and punches holes in them. Live
   * records stay where they are. One pass over the index for all of them. COLONY_UNSUPPORTED
   * where holes cannot be punched: compact those instead. See punch.ts.
   */
  async punchArenas(numbers: readonly number[], isLive: (score: Score) => boolean, options: PunchOptions = {}): Promise<PunchResult[]> {
    this.checkOpen();
    return this.maintain(() => punchArenas(this.compactHost(), numbers, isLive, options));
  }

  async stats(): Promise<StoreStats> {
    this.checkOpen();
    const arenas = [...this.arenas.values()];
    return {
      blocks: this.w.meta.blocks + this.w.added.blocks - this.w.dropped.size,
      bytes: this.w.meta.bytes + this.w.added.bytes - [...this.w.dropped.values()].reduce((n, d) => n + d.length, 0),
      diskBytes: arenas.reduce((n, a) => n + a.size - punchedBytes(a.freed), 0) + this.w.buffered,
      compression: CODEC_NAMES[this.codec]!,
      arenas: arenas.length,
      sealedArenas: arenas.length - 1,
      arenaBytes: this.opts.arenaBytes,
      maxBlockBytes: this.opts.maxBlockBytes,
      logPosition: this.w.position,
      durablePosition: this.w.meta.checkpoint,
      unsyncedBlocks: this.w.pending.size,
      cache: { bytes: this.cache.bytes, capacity: this.cache.capacityBytes, blocks: this.cache.size, hits: this.cache.hits, misses: this.cache.misses },
      writeBufferBytes: this.w.bufferBytes,
      hash: this.hashBackend,
      reserve: await this.reserve.stats(),
      io: { ...this.io },
    };
  }

  /** Syncs and closes. Unsynced puts are made durable first, so a clean close loses nothing. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    try {
      await this.w.exclusive(() => this.w.sync());
    } finally {
      this.isClosed = true;
      this.appendListeners.clear();
      for (const arena of this.arenas.values()) await arena.close();
      await this.index.close();
    }
  }

  // ---- helpers ----

  /** `known`, noting a hit for open collections: the caller now holds a reference to the block. */
  private dedup(score: Score): boolean {
    if (!this.w.known(score)) return false;
    this.collections.hit(score.toString('hex'));
    return true;
  }

  private maintain<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.maintenance.then(fn, fn);
    this.maintenance = run.catch(() => {});
    return run;
  }

  private indexView(): IndexView {
    const w = this.w;
    return {
      arenas: this.arenas,
      get activeNumber() { return w.active.number; },
      index: this.index,
      shadowed: (key) => w.pending.has(key) || w.dropped.has(key),
      pending: () => [...w.pending.values()],
    };
  }

  private compactHost(): CompactHost {
    const w = this.w;
    return {
      dir: this.dir, arenas: this.arenas, index: this.index, hash: this.hash, maxBlockBytes: this.opts.maxBlockBytes, log: this.log, epoch: this.epochState,
      activeNumber: () => w.active.number,
      checkOpen: () => this.checkOpen(),
      exclusive: (fn) => w.exclusive(fn),
      settled: (score) => w.settled(score),
      shadowed: (score) => { const key = score.toString('hex'); return w.pending.has(key) || w.dropped.has(key); },
      keeps: (score, pos) => this.collections.keeps(score.toString('hex'), pos),
      move: async (type, data, score, flags, size) => {
        await w.append(type, data, score, true, flags, size);
        if (w.pendingBytes >= this.opts.autoSyncBytes) await w.sync();
      },
      drop: (score, length) => { w.drop(score, length); this.cache.delete(score.toString('hex')); },
      syncLocked: () => w.sync(),
    };
  }



  private notifyAppend(event: AppendEvent): void {
    for (const listener of [...this.appendListeners]) {
      try { listener(event); } catch (err) { this.log.error({ err: String(err) }, 'an append listener threw; ignored'); }
    }
  }

  private checkOpen(): void {
    if (this.isClosed) throw closed('the block store');
  }
}
