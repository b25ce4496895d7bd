// A disk environment's block cache on disk: one file of fixed-size slots and a slot
// journal (tier-journal.ts) under DATA/envs/NAME/. It holds blocks by score (leaves and
// pointer blocks fetched from the store, leaves the volume spilled or checkpointed), least
// recently used first out, and comes back warm after a restart or a crash. It is a cache:
// nothing in it is needed for correctness, every block is checked against its score when
// read, and a write it cannot keep up with is dropped rather than queued without bound.
//
// Concurrency: every method may be called at any time. Slot writes and journal appends run
// one at a time in a single queue; reads run alongside them. A slot is handed to a new
// block only once it left the map, so a read racing that reuse gets other bytes, fails its
// check and counts as a miss.
import { constants } from 'node:fs';
import { open, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { fromSystemError } from '../errors.js';
import { ensureDir } from '../files.js';
import { silentLog, type Log } from '../log.js';
import { loadHash, type Score } from '../store/index.js';
import { encodeHeader, encodeRecord, replayJournal, HEADER_BYTES, OP_PUT, RECORD_BYTES, type SlotEntry } from './tier-journal.js';

export interface DiskTierOptions {
  /** Bytes of slots on disk; the file never grows past this. */
  capacityBytes: number;
  /** One slot holds one block of at most this many bytes (the volume's block size). */
  slotBytes: number;
  /** Heap held by writes not yet on disk; past it new blocks are not cached. Default 4 MiB. */
  maxPendingBytes?: number;
  log?: Log;
}

export interface DiskTierStats {
  capacitySlots: number;
  usedSlots: number;
  /** Bytes of blocks the tier holds now. */
  bytes: number;
  hits: number;
  hitBytes: number;
  misses: number;
  /** Blocks written into slots, dropped because the queue was full, failing their check on read. */
  written: number;
  dropped: number;
  corrupt: number;
  /** Heap held by queued writes now. */
  pendingBytes: number;
  /** Size of the slot journal, and how many entries its last replay restored. */
  journalBytes: number;
  restored: number;
}

const SLOTS_FILE = 'cache.slots';
const JOURNAL_FILE = 'cache.journal';
type Hash = (input: Uint8Array) => Buffer;

export class DiskTier {
  /** Score (hex) → slot, least recently used first. */
  private readonly map = new Map<string, SlotEntry>();
  private readonly free: number[] = [];
  private highWater = 0;
  private readonly queued = new Set<string>();
  private queue: Promise<void> = Promise.resolve();
  private pendingBytes = 0;
  private heldBytes = 0;
  private journalAt: number;
  private closed = false;
  private failures = 0;
  private readonly counts = { hits: 0, hitBytes: 0, misses: 0, written: 0, dropped: 0, corrupt: 0, restored: 0 };
  private readonly capacity: number;
  private readonly maxPending: number;
  private readonly log: Log;

  private constructor(
    readonly dir: string,
    private readonly slots: FileHandle,
    private journal: FileHandle,
    journalAt: number,
    private readonly hash: Hash,
    readonly opts: DiskTierOptions,
  ) {
    this.journalAt = journalAt;
    this.capacity = Math.floor(opts.capacityBytes / opts.slotBytes);
    this.maxPending = opts.maxPendingBytes ?? 4 << 20;
    this.log = opts.log ?? silentLog;
  }

  /** Opens (or creates) the tier in `dir` and replays its journal. */
  static async open(dir: string, opts: DiskTierOptions): Promise<DiskTier> {
    await ensureDir(dir);
    const { hash } = await loadHash();
    const log = opts.log ?? silentLog;
    const capacity = Math.floor(opts.capacityBytes / opts.slotBytes);
    const jpath = join(dir, JOURNAL_FILE);
    try {
      const old = await readFile(jpath).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? Buffer.alloc(0) : Promise.reject(err)));
      const replay = replayJournal(old, opts.slotBytes, capacity);
      const slots = await open(join(dir, SLOTS_FILE), constants.O_RDWR | constants.O_CREAT, 0o600);
      const journal = await open(jpath, constants.O_RDWR | constants.O_CREAT | (replay.reject ? constants.O_TRUNC : 0), 0o600);
      let at = replay.validBytes;
      if (replay.reject) {
        if (replay.reject !== 'empty') log.warn({ dir, why: replay.reject }, 'disk cache journal unusable; starting the cache empty');
        await journal.write(encodeHeader(opts.slotBytes), 0, HEADER_BYTES, 0);
        at = HEADER_BYTES;
      } else if (at < old.length) {
        log.warn({ dir, cut: old.length - at }, 'disk cache journal had a torn tail; cut off');
      }
      await journal.truncate(at);
      // Sparse: only slots ever written take disk space; a smaller capacity than last time cuts the rest.
      await slots.truncate(capacity * opts.slotBytes);
      const tier = new DiskTier(dir, slots, journal, at, hash, opts);
      tier.restore(replay.entries);
      // A journal much longer than the map it describes is rewritten (one record per slot).
      if (replay.records > 2 * tier.map.size + 1024) await tier.compact();
      return tier;
    } catch (err) {
      throw fromSystemError(err, `opening the disk cache in ${dir}`);
    }
  }

  /** Removes a tier's files (the environment is gone). */
  static async remove(dir: string): Promise<void> {
    await rm(dir, { recursive: true, force: true });
  }

  private restore(entries: SlotEntry[]): void {
    const used = new Set<number>();
    for (const e of entries) {
      this.map.set(e.score.toString('hex'), e);
      used.add(e.slot);
      this.heldBytes += e.length;
      this.highWater = Math.max(this.highWater, e.slot + 1);
    }
    for (let s = 0; s < this.highWater; s++) if (!used.has(s)) this.free.push(s);
    this.counts.restored = entries.length;
  }

  /** The block, checked against its score; undefined on a miss (or a slot that fails its check). */
  async get(score: Score, key = score.toString('hex')): Promise<{ type: number; data: Buffer } | undefined> {
    const e = this.map.get(key);
    if (!e || this.closed) { this.counts.misses++; return undefined; }
    this.map.delete(key);
    this.map.set(key, e);
    const data = Buffer.allocUnsafe(e.length);
    try {
      const { bytesRead } = await this.slots.read(data, 0, e.length, e.slot * this.opts.slotBytes);
      if (bytesRead === e.length && this.hash(data).equals(score)) {
        this.counts.hits++;
        this.counts.hitBytes += e.length;
        return { type: e.type, data };
      }
    } catch (err) {
      if (!this.closed) this.log.warn({ dir: this.dir, err }, 'disk cache read failed; reading the store instead');
    }
    this.counts.corrupt++;
    if (this.map.get(key) === e) { this.map.delete(key); this.heldBytes -= e.length; this.free.push(e.slot); }
    return undefined;
  }

  /**
   * Caches a block in the background. `data` is copied now, so the caller may reuse it,
   * unless `handedOver` says nothing will ever change those bytes. Without a score the tier
   * hashes them itself. Dropped when the queue holds maxPendingBytes already, when the
   * block is too big for a slot, or once closed.
   */
  admit(type: number, data: Uint8Array, score?: Score, handedOver = false): void {
    if (this.closed || this.capacity === 0 || data.length > this.opts.slotBytes) return;
    const s = score ?? this.hash(data);
    const key = s.toString('hex');
    if (this.map.has(key) || this.queued.has(key)) return;
    if (this.pendingBytes + data.length > this.maxPending) { this.counts.dropped++; return; }
    const copy = handedOver ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : Buffer.from(data);
    this.queued.add(key);
    this.pendingBytes += copy.length;
    this.queue = this.queue.then(() => this.place(key, Buffer.from(s), type, copy)).finally(() => {
      this.queued.delete(key);
      this.pendingBytes -= copy.length;
    });
  }

  /**
   * Like `admit` (copying), but first waits, a bounded number of rounds, for the queue to
   * have room: a writer that spills faster than the disk takes slots is slowed down to it
   * instead of leaving its leaves out of the cache.
   */
  async admitWhenRoom(type: number, data: Uint8Array, score: Score): Promise<void> {
    for (let round = 0; round < 64 && !this.closed && this.pendingBytes + data.length > this.maxPending; round++) await this.queue;
    this.admit(type, data, score);
  }

  /** A slot for a new block: a free one, a never used one, or the least recently used one's; -1 if none. */
  private takeSlot(): number {
    const reused = this.free.pop();
    if (reused !== undefined) return reused;
    if (this.highWater < this.capacity) return this.highWater++;
    const oldest = this.map.entries().next().value as [string, SlotEntry] | undefined;
    if (!oldest) return -1;
    this.map.delete(oldest[0]);
    this.heldBytes -= oldest[1].length;
    return oldest[1].slot;
  }

  private async place(key: string, score: Score, type: number, data: Buffer): Promise<void> {
    if (this.closed) return;
    const slot = this.takeSlot();
    if (slot < 0) { this.counts.dropped++; return; }
    const entry: SlotEntry = { slot, score, type, length: data.length };
    try {
      // The bytes first, then the record: a record never names a slot whose bytes were not written.
      await this.slots.write(data, 0, data.length, slot * this.opts.slotBytes);
      await this.journal.write(encodeRecord(OP_PUT, entry), 0, RECORD_BYTES, this.journalAt);
      this.journalAt += RECORD_BYTES;
      this.map.set(key, entry);
      this.heldBytes += entry.length;
      this.counts.written++;
    } catch (err) {
      this.free.push(slot);
      // A full disk fails every write: say so once, then every 1000th time.
      if (!this.closed && this.failures++ % 1000 === 0) this.log.warn({ dir: this.dir, err, failures: this.failures }, 'disk cache write failed; blocks stay in the store only');
      this.counts.dropped++;
    }
  }

  /**
   * Waits for queued writes, then puts slots and journal on stable storage (called at
   * checkpoints). Runs in the write queue, so no append races a compaction.
   */
  async sync(): Promise<void> {
    const run = this.queue.then(async () => {
      if (this.closed) return;
      await this.slots.datasync();
      if (this.journalAt > HEADER_BYTES + RECORD_BYTES * (2 * this.map.size + 1024)) await this.compact();
      else await this.journal.datasync();
    });
    this.queue = run.catch(() => {}); // the queue itself never rejects, so later writes still run
    await run;
  }

  /** Rewrites the journal as one record per cached block: to a temporary file, synced, renamed. Only from the queue (or open). */
  private async compact(): Promise<void> {
    const tmp = join(this.dir, `${JOURNAL_FILE}.tmp`);
    const parts = [encodeHeader(this.opts.slotBytes), ...[...this.map.values()].map((e) => encodeRecord(OP_PUT, e))];
    const fh = await open(tmp, 'w');
    try { await fh.writeFile(Buffer.concat(parts)); await fh.sync(); } finally { await fh.close(); }
    await this.slots.datasync(); // the records name bytes that must already be durable
    await rename(tmp, join(this.dir, JOURNAL_FILE));
    await this.journal.close();
    this.journal = await open(join(this.dir, JOURNAL_FILE), 'r+');
    this.journalAt = HEADER_BYTES + RECORD_BYTES * this.map.size;
  }

  /** Finishes queued writes, syncs and closes. Later calls miss and admit nothing. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.sync().catch((err) => this.log.warn({ dir: this.dir, err }, 'disk cache sync failed at close'));
    this.closed = true;
    await this.slots.close().catch(() => {});
    await this.journal.close().catch(() => {});
  }

  stats(): DiskTierStats {
    return {
      capacitySlots: this.capacity, usedSlots: this.map.size, bytes: this.heldBytes, ...this.counts,
      pendingBytes: this.pendingBytes, journalBytes: this.journalAt,
    };
  }
}
