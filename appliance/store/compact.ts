// Compaction: empties one sealed arena so its file can be deleted. Records the index still
// places there are copied to the active arena when live (or referenced again during an open
// collection) and dropped from the index otherwise; then everything is synced and only then
// is the file deleted. A crash anywhere leaves the old arena in place with every index entry
// pointing at bytes that exist; a half-emptied arena is garbage the next compaction removes.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ColonyError, corruptBlock, invalid } from '../errors.js';
import { syncDir } from '../files.js';
import type { Log } from '../log.js';
import type { Arena } from './arena.js';
import { recordEpochArena, type Epoch } from './epoch.js';
import type { BlockIndex } from './index-db.js';
import { decodeBlock } from './codec.js';
import { removeFreed } from './freed.js';
import { arenaOf, decodeRecordHeader, logicalLength, logPosition, offsetOf, RECORD_HEADER_BYTES, SEAL_TYPE, type Location } from './record.js';
import { formatScore, type Score } from './score.js';
import { scanArena } from './scan.js';

export const COMPACT_DEFAULT_RATE = 32 << 20;
/** Records decided per turn of the write lock: puts wait at most this long. */
const BATCH_BYTES = 1 << 20;
const BATCH_RECORDS = 1024;

export interface CompactOptions {
  /** Copy rate limit (default 32 MiB/s). Infinity copies as fast as the disk allows. */
  bytesPerSecond?: number;
  /** Stops between batches with the signal's reason; the store is consistent and the arena kept. */
  signal?: AbortSignal;
}

export interface CompactResult { movedBlocks: number; movedBytes: number; droppedBlocks: number; droppedBytes: number; freedBytes: number }

/** What compaction needs from the store's write path. Everything marked locked runs inside `exclusive`. */
export interface CompactHost {
  dir: string;
  arenas: Map<number, Arena>;
  index: BlockIndex;
  hash: (b: Uint8Array) => Buffer;
  maxBlockBytes: number;
  log: Log;
  epoch: Epoch;
  activeNumber(): number;
  checkOpen(): void;
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
  /** The committed location, unless an unsynced put, move or drop has the newer word (then undefined). */
  settled(score: Score): Location | undefined;
  /** Whether the write path has a newer word on this block than the committed index (an unsynced put, move or drop). */
  shadowed(score: Score): boolean;
  /** Whether an open collection keeps this block (a dedup hit, or written after marking began). */
  keeps(score: Score, pos: number): boolean;
  /** Locked: appends a copy of the stored record (compressed or not, as it was) through the normal path, outside the disk reserve. */
  move(type: number, data: Uint8Array, score: Score, flags: number, size: number): Promise<void>;
  /** Locked: forgets the block (of logical `length`) now; the next sync deletes its index entry. */
  drop(score: Score, length: number): void;
  /** Locked: the store's sync (arena data, directory, index batch with the checkpoint). */
  syncLocked(): Promise<void>;
}

/** Milliseconds to wait so that `bytes` copied since `startedMs` stay under `rate` per second. */
export const throttleDelay = (startedMs: number, nowMs: number, bytes: number, rate: number) =>
  (rate === Number.POSITIVE_INFINITY ? 0 : Math.max(0, startedMs + (bytes / rate) * 1000 - nowMs));

/** `data` is the record as stored, copied without recompressing; undefined when it is not intact. */
interface Item { pos: number; score: Score; data: Buffer | undefined; flags: number }

export async function compactArena(host: CompactHost, number: number, isLive: (score: Score) => boolean, options: CompactOptions = {}): Promise<CompactResult> {
  const rate = options.bytesPerSecond ?? COMPACT_DEFAULT_RATE;
  if (!(rate > 0)) throw invalid(`a compaction rate of ${rate} bytes per second`);
  const arena = host.arenas.get(number);
  if (!arena || arena.removed) throw invalid(`arena ${number} does not exist`);
  if (number === host.activeNumber()) throw invalid(`arena ${number} is the active arena; only sealed arenas are compacted`);
  const { signal } = options;
  const result: CompactResult = { movedBlocks: 0, movedBytes: 0, droppedBlocks: 0, droppedBytes: 0, freedBytes: 0 };
  /** Every block decided here: after the final sync none of them may still be indexed in this arena. */
  const decided: Score[] = [];
  const started = Date.now();
  let batch: Item[] = [];
  let batchBytes = 0;

  const apply = async () => {
    const items = batch;
    batch = [];
    batchBytes = 0;
    signal?.throwIfAborted();
    host.checkOpen();
    await host.exclusive(async () => {
      host.checkOpen();
      for (const it of items) {
        // Decide and act with no await in between for a drop, so a racing put either sees
        // the block (before) or sees nothing and writes it again (after).
        const loc = host.settled(it.score);
        if (loc?.pos !== it.pos) continue; // moved, dropped or put again since the scan
        decided.push(it.score);
        const bytes = RECORD_HEADER_BYTES + loc.length;
        if (isLive(it.score) || host.keeps(it.score, it.pos)) {
          if (!it.data) throw corruptBlock(formatScore(it.score), `arena ${number} offset ${offsetOf(it.pos)}; it is live, so the arena is kept`);
          await host.move(loc.type, it.data, it.score, it.flags, logicalLength(loc));
          result.movedBlocks++;
          result.movedBytes += bytes;
        } else {
          host.drop(it.score, logicalLength(loc));
          result.droppedBlocks++;
          result.droppedBytes += bytes;
        }
      }
    });
    const wait = throttleDelay(started, Date.now(), result.movedBytes, rate);
    if (wait > 0) await sleep(wait, undefined, signal ? { signal } : {});
  };
  const add = async (item: Item, length: number) => {
    batch.push(item);
    batchBytes += RECORD_HEADER_BYTES + length;
    if (batch.length >= BATCH_RECORDS || batchBytes >= BATCH_BYTES) await apply();
  };

  const scan = scanArena(arena, host.hash, host.maxBlockBytes);
  let step = await scan.next();
  while (!step.done) {
    const rec = step.value;
    const pos = logPosition(number, rec.offset);
    if (rec.type !== SEAL_TYPE && host.settled(rec.score)?.pos === pos) {
      await add({ pos, score: rec.score, data: rec.intact ? rec.data : undefined, flags: rec.flags ?? 0 }, rec.length);
    }
    step = await scan.next();
  }
  if (step.value.torn) {
    // The arena is damaged: records past the damage cannot be walked to, so find the
    // index entries that still name this arena and read each one where it says.
    host.log.warn({ arena: number, offset: step.value.end, reason: step.value.torn }, 'compacting a damaged arena: looking up its remaining blocks in the index');
    await apply();
    for await (const [score, loc] of host.index.entries()) {
      if (arenaOf(loc.pos) !== number || host.settled(score)?.pos !== loc.pos) continue;
      const rec = await readRecord(host, arena, score, loc);
      await add({ pos: loc.pos, score, data: rec?.data, flags: rec?.flags ?? 0 }, loc.length);
    }
  }
  await apply();

  return host.exclusive(async () => {
    host.checkOpen();
    await host.syncLocked();
    // A failed write forgets unsynced copies, and another caller's sync may have reported
    // it: so check, rather than trust, that nothing indexed is left here before deleting.
    const left = decided.filter((s) => { const loc = host.index.get(s); return loc !== undefined && arenaOf(loc.pos) === number; });
    if (left.length > 0) throw new ColonyError('COLONY_IO', `compacting arena ${number}: ${left.length} blocks were not copied (a write failed); the arena is kept`);
    result.freedBytes = await arena.diskBytes();
    await removeArena(host, arena);
    host.log.info({ arena: number, ...result }, 'compacted an arena');
    return result;
  });
}

/** The record the index places at `loc` as stored, verified, or undefined when it is not intact. */
async function readRecord(host: CompactHost, arena: Arena, score: Score, loc: Location): Promise<{ data: Buffer; flags: number } | undefined> {
  const buf = await arena.read(offsetOf(loc.pos), RECORD_HEADER_BYTES + loc.length);
  if (buf.length !== RECORD_HEADER_BYTES + loc.length || !buf.subarray(12, RECORD_HEADER_BYTES).equals(score)) return undefined;
  const header = decodeRecordHeader(buf, 0, host.maxBlockBytes);
  if (typeof header === 'string') return undefined;
  const data = buf.subarray(RECORD_HEADER_BYTES);
  const flags = header.flags ?? 0;
  const block = decodeBlock(flags, data, host.maxBlockBytes);
  return typeof block !== 'string' && host.hash(block).equals(score) ? { data, flags } : undefined;
}

/**
 * Deletes an emptied arena. The epoch file must keep naming an arena of this log, so when
 * it names this one it is moved to the next surviving arena first: a crash between the two
 * leaves both arenas on disk, and the epoch still matches.
 */
async function removeArena(host: CompactHost, arena: Arena): Promise<void> {
  if (host.epoch.names.firstArena === arena.number) {
    const next = [...host.arenas.values()].filter((a) => a !== arena).reduce((a, b) => (b.number < a.number ? b : a));
    const names = { firstArena: next.number, created: next.created };
    await recordEpochArena(host.dir, { epoch: host.epoch.epoch, names });
    host.epoch.names = names;
  }
  host.arenas.delete(arena.number);
  arena.retire();
  await rm(arena.path);
  // After the arena: a freed-ranges file without its arena is harmless, the reverse is not.
  await removeFreed(join(host.dir, 'arenas'), arena.number);
  await syncDir(join(host.dir, 'arenas'));
}
