// The store's write path: the write buffer, the puts waiting for a sync, compaction's drops,
// and the sync that makes them durable and indexed. Everything that changes this state runs
// inside `exclusive`, one operation at a time; reads (`known`, `settled`, `pending`) do not.
import { join } from 'node:path';
import { ColonyError, fromSystemError } from '../errors.js';
import { syncDir } from '../files.js';
import type { Log } from '../log.js';
import { Arena } from './arena.js';
import type { BlockIndex, IndexMeta } from './index-db.js';
import { encodeRecordHeader, logicalLength, logPosition, RECORD_HEADER_BYTES, SEAL_TYPE, type Location } from './record.js';
import type { DiskReserve } from './reserve.js';
import type { Score } from './score.js';

/**
 * A put waiting for the next sync; `data` is kept until its bytes reach the file. A `moved`
 * one is compaction's copy of a block the index already counts.
 */
export interface Pending { score: Score; loc: Location; data: Buffer | undefined; moved: boolean; flags: number }

export interface WriteContext {
  dir: string;
  arenaBytes: number;
  writeBufferBytes: number;
  /** The write buffer is let go after this long without an append. */
  writeBufferIdleMs: number;
  log: Log;
  index: BlockIndex;
  arenas: Map<number, Arena>;
  hash: (b: Uint8Array) => Buffer;
  reserve: DiskReserve;
  /** Called after a sync that moved the durable head, before the sync resolves. */
  synced: (from: number, head: number) => void;
}

export class WritePath {
  readonly pending = new Map<string, Pending>();
  /** Blocks compaction dropped since the last sync: absent now, deleted from the index at the next sync. */
  readonly dropped = new Map<string, { score: Score; length: number }>();
  /** What the pending puts add to the index's counts, in logical bytes (moves add nothing). */
  added = { blocks: 0, bytes: 0 };
  pendingBytes = 0;
  buffered = 0;
  /** Made at the first append and let go once idle (`writeBufferIdleMs`): 4 MiB resident in an idle supervisor otherwise. */
  private writeBuffer: Buffer | undefined;
  private release: NodeJS.Timeout | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private lostWrites: ColonyError | undefined;
  /** A write failed for lack of room and none has succeeded since: its repeats log at debug. */
  private diskFull = false;
  private newArenas = false;

  constructor(private readonly ctx: WriteContext, public active: Arena, public meta: IndexMeta) {
  }

  /** Whether the store holds `score` now: unsynced puts count, dropped blocks do not. */
  known(score: Score): boolean {
    const key = score.toString('hex');
    return this.pending.has(key) || (!this.dropped.has(key) && this.ctx.index.get(score) !== undefined);
  }

  /** The committed location, unless an unsynced put, move or drop has the newer word (then undefined). */
  settled(score: Score): Location | undefined {
    const key = score.toString('hex');
    return this.pending.has(key) || this.dropped.has(key) ? undefined : this.ctx.index.get(score);
  }

  /** The log position just past everything put so far, synced or not. */
  get position(): number { return logPosition(this.active.number, this.active.size + this.buffered); }

  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => {});
    return run;
  }

  /** Locked: forgets a block (of logical `length`) now; the next sync deletes its index entry. */
  drop(score: Score, length: number): void {
    this.dropped.set(score.toString('hex'), { score, length });
  }

  /**
   * Locked: buffers a record in the active arena (rolling to the next when it is full).
   * `data` is what is stored (compressed when `flags` says so), `size` the block's length.
   */
  async append(type: number, data: Uint8Array, score: Score, moved: boolean, flags = 0, size = data.length): Promise<void> {
    const total = RECORD_HEADER_BYTES + data.length;
    if (this.active.size + this.buffered + total + RECORD_HEADER_BYTES + 256 > this.ctx.arenaBytes) await this.rollArena();
    if (this.buffered + total > this.ctx.writeBufferBytes) await this.flush();
    const buffer = (this.writeBuffer ??= Buffer.allocUnsafe(this.ctx.writeBufferBytes));
    const at = this.buffered;
    encodeRecordHeader(type, data.length, score, flags).copy(buffer, at);
    buffer.set(data, at + RECORD_HEADER_BYTES);
    this.buffered += total;
    const loc: Location = { pos: logPosition(this.active.number, this.active.size + at), length: data.length, type };
    if (size !== data.length) loc.size = size;
    const copy = buffer.subarray(at + RECORD_HEADER_BYTES, at + total);
    this.pending.set(score.toString('hex'), { score, loc, data: copy, moved, flags });
    this.pendingBytes += data.length;
    if (!moved) { this.added.blocks++; this.added.bytes += size; }
    this.ctx.reserve.wrote(total);
  }

  /** Locked: writes the buffer to the active arena. On failure the tail is cut back and the lost puts are forgotten. */
  async flush(): Promise<void> {
    if (this.buffered === 0 || !this.writeBuffer) return;
    const chunk = this.writeBuffer.subarray(0, this.buffered);
    const start = logPosition(this.active.number, this.active.size);
    const before = this.active.size;
    // The buffer is reused, not replaced: appends wait for this flush (exclusive), and the
    // pending views into it are dropped below once written (or the puts are forgotten).
    // A new buffer per flush was 4 MiB of external memory per 4 MiB stored, for the GC.
    this.buffered = 0;
    try {
      await this.active.append([chunk], chunk.length);
    } catch (err) {
      await this.active.truncate(before).catch(() => {});
      for (const [key, p] of this.pending) {
        if (p.loc.pos < start) continue;
        this.pending.delete(key);
        this.pendingBytes -= p.loc.length;
        if (!p.moved) { this.added.blocks--; this.added.bytes -= logicalLength(p.loc); }
      }
      this.lostWrites = fromSystemError(err, 'writing blocks');
      this.logWriteFailure(this.lostWrites);
      throw this.lostWrites;
    }
    if (this.diskFull) {
      this.diskFull = false;
      this.ctx.log.info({ bytes: chunk.length }, 'a write succeeded again after the disk was full');
    }
    for (const p of this.pending.values()) if (p.loc.pos >= start) p.data = undefined;
    this.releaseWhenIdle();
  }

  /**
   * After a flush nothing points into the buffer (the pending views were just dropped), so
   * once no append has come for `writeBufferIdleMs` it is let go, under the lock like any append.
   */
  private releaseWhenIdle(): void {
    clearTimeout(this.release);
    this.release = setTimeout(() => {
      void this.exclusive(async () => { if (this.buffered === 0) this.writeBuffer = undefined; });
    }, this.ctx.writeBufferIdleMs).unref();
  }

  /** Bytes of write buffer held now: 0 when idle. */
  get bufferBytes(): number { return this.writeBuffer?.length ?? 0; }

  /**
   * A full disk is one episode, not one error per attempt: callers retry (the peer receiver
   * every 10 s), so the first failure warns and the repeats are debug until a write succeeds.
   * Any other write failure is an error every time.
   */
  private logWriteFailure(err: ColonyError): void {
    const what = 'a write failed; unsynced blocks since the last sync were dropped';
    if (err.code !== 'COLONY_NO_SPACE') { this.ctx.log.error({ err: err.message }, what); return; }
    if (this.diskFull) { this.ctx.log.debug({ err: err.message }, `${what} (the disk is still full)`); return; }
    this.diskFull = true;
    this.ctx.log.warn({ err: err.message }, `${what}: the disk is full (repeats are logged at debug until a write succeeds)`);
  }

  /** Locked: the durability barrier (flush, fdatasync, directory, one index batch with the checkpoint). */
  async sync(): Promise<void> {
    await this.flush();
    // Nothing new since the last barrier: no fdatasync, no index batch. A caught-up peer's
    // receiver syncs every 30 s per peer, and an SD card need not hear about it.
    if (!this.lostWrites && this.pending.size === 0 && this.dropped.size === 0 && !this.newArenas
      && logPosition(this.active.number, this.active.size) === this.meta.checkpoint) return;
    await this.active.sync();
    if (this.newArenas) { await syncDir(join(this.ctx.dir, 'arenas')); this.newArenas = false; }
    const entries = [...this.pending.values()];
    const drops = [...this.dropped.entries()];
    const meta = {
      checkpoint: logPosition(this.active.number, this.active.size),
      blocks: this.meta.blocks + this.added.blocks - drops.length,
      bytes: this.meta.bytes + this.added.bytes - drops.reduce((n, [, d]) => n + d.length, 0),
    };
    // A dropped block put again is in `entries`: its put must not be followed by a delete.
    const dels = drops.flatMap(([key, d]) => (this.pending.has(key) ? [] : [d.score]));
    await this.ctx.index.commit(entries.map((p) => [p.score, p.loc]), dels, meta, true);
    const from = this.meta.checkpoint;
    this.meta = meta;
    this.pending.clear();
    this.pendingBytes = 0;
    this.added = { blocks: 0, bytes: 0 };
    for (const [key] of drops) this.dropped.delete(key);
    if (meta.checkpoint > from) this.ctx.synced(from, meta.checkpoint);
    if (this.lostWrites) {
      const err = this.lostWrites;
      this.lostWrites = undefined;
      throw new ColonyError(err.code, `some blocks written since the previous sync were lost: ${err.detail}`, { cause: err });
    }
  }

  /** Seals the active arena with a summary record and starts the next one. */
  private async rollArena(): Promise<void> {
    await this.flush();
    const summary = Buffer.from(JSON.stringify({ sealed: Date.now(), bytes: this.active.size }));
    const seal = Buffer.concat([encodeRecordHeader(SEAL_TYPE, summary.length, this.ctx.hash(summary)), summary]);
    await this.active.append([seal], seal.length);
    await this.active.sync();
    const next = await Arena.create(join(this.ctx.dir, 'arenas'), this.active.number + 1);
    this.ctx.arenas.set(next.number, next);
    this.active = next;
    this.newArenas = true;
    this.ctx.log.info({ arena: next.number }, 'sealed an arena and started the next');
  }
}
