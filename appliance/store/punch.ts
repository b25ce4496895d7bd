// Freeing in place: the garbage of a sealed arena is given back to the filesystem with
// holes, and its live records stay where they are. Nothing is copied or even read, so it
// costs a pass over the index and a few fallocate calls instead of rewriting the live data
// (SD wear, time). Compaction (compact.ts) remains for what holes cannot free: garbage
// spread in runs too small to punch.
//
// Order, so that a crash anywhere loses nothing and leaves nothing unwalkable:
//   1. decide and drop dead blocks under the write lock, batch by batch (as compaction does);
//   2. sync: the index no longer names any dropped record;
//   3. write the arena's freed ranges (every run of records the index does not place here),
//      durably: from now on every walk skips them;
//   4. punch the holes. A crash before 3 leaves unindexed records that the next run frees;
//      one after 3 leaves ranges recorded but not punched, which the next run punches again
//      (punching is idempotent).
import { join } from 'node:path';
import { ColonyError, invalid } from '../errors.js';
import type { CompactHost } from './compact.js';
import { gapsBetween, mergeRanges, punchable, punchHoles, saveFreed, type Range } from './freed.js';
import type { Arena } from './arena.js';
import { ARENA_HEADER_BYTES, arenaOf, decodeRecordHeader, logicalLength, offsetOf, RECORD_HEADER_BYTES, RECORD_MAGIC, SEAL_TYPE } from './record.js';
import type { Score } from './score.js';

/** Records decided per turn of the write lock: a drop is cheap, so batches are larger than compaction's. */
const BATCH_RECORDS = 8192;

export interface PunchOptions { signal?: AbortSignal }

export interface PunchResult {
  arena: number;
  droppedBlocks: number;
  droppedBytes: number;
  /** Bytes the arena's file gave back to the filesystem (its disk usage before less after). */
  freedBytes: number;
  /** What the arena takes on disk now, and what the index still places in it. */
  diskBytes: number;
  indexedBytes: number;
  /** Freed ranges recorded, and how many of them were punched. */
  ranges: number;
  holes: number;
}

/** A record the index places in an arena; `size` is the block's logical length. */
interface Indexed { score: Score; pos: number; end: number; size: number }

/**
 * Frees the garbage of sealed arenas `numbers` in place. Where the records are comes from
 * one pass over the index, not from reading the arenas: every record of a sealed arena that
 * the index does not place there is garbage, so what lies between the records kept is freed.
 * All arenas share one sync, one directory fsync and one `sh` running the punches.
 */
export async function punchArenas(host: CompactHost, numbers: readonly number[], isLive: (score: Score) => boolean, options: PunchOptions = {}): Promise<PunchResult[]> {
  const { signal } = options;
  const records = new Map<number, Indexed[]>();
  for (const n of numbers) {
    const arena = host.arenas.get(n);
    if (!arena || arena.removed) throw invalid(`arena ${n} does not exist`);
    if (n === host.activeNumber()) throw invalid(`arena ${n} is the active arena; only sealed arenas are freed`);
    records.set(n, []);
  }
  // Sealed arenas take no puts, and only GC (one at a time) moves or drops their records, so
  // an entry the pass finds stays as it is unless the write path has a newer word on it.
  for await (const batch of host.index.entryBatches()) {
    for (const [score, loc] of batch) {
      const list = records.get(arenaOf(loc.pos));
      if (list) list.push({ score, pos: loc.pos, end: loc.pos + RECORD_HEADER_BYTES + loc.length, size: logicalLength(loc) });
    }
  }

  // 1. Decide and drop, batch by batch under the write lock.
  const results = new Map<number, PunchResult & { kept: Indexed[]; sealAt: number | undefined }>();
  const dropped: Score[] = [];
  for (const n of numbers) {
    const arena = host.arenas.get(n)!;
    const r = { arena: n, droppedBlocks: 0, droppedBytes: 0, freedBytes: 0, diskBytes: await arena.diskBytes(), indexedBytes: 0, ranges: 0, holes: 0, kept: [] as Indexed[], sealAt: await findSeal(arena, host.hash) };
    if (r.sealAt === undefined) host.log.warn({ arena: n }, 'no seal found at the end of a sealed arena; its tail is not freed');
    results.set(n, r);
    const list = records.get(n)!.sort((a, b) => a.pos - b.pos);
    for (let i = 0; i < list.length; i += BATCH_RECORDS) {
      signal?.throwIfAborted();
      host.checkOpen();
      const batch = list.slice(i, i + BATCH_RECORDS);
      await host.exclusive(async () => {
        host.checkOpen();
        for (const rec of batch) {
          // As in compaction: decide and drop with no await between, so a racing put either
          // finds the block (before) or finds nothing and writes it again (after).
          if (host.shadowed(rec.score)) continue;
          if (isLive(rec.score) || host.keeps(rec.score, rec.pos)) { r.kept.push(rec); continue; }
          host.drop(rec.score, rec.size);
          dropped.push(rec.score);
          r.droppedBlocks++;
          r.droppedBytes += rec.end - rec.pos;
        }
      });
    }
  }

  // 2. One sync, then the freed ranges of every arena, durably, before any hole exists.
  const freed = await host.exclusive(async () => {
    host.checkOpen();
    await host.syncLocked();
    // Check, rather than trust, that the index no longer places a dropped block in these arenas.
    const lingering = dropped.filter((s) => { const loc = host.index.get(s); return loc !== undefined && results.has(arenaOf(loc.pos)); }).length;
    if (lingering > 0) throw new ColonyError('COLONY_IO', `freeing arenas ${numbers.join(', ')}: ${lingering} dropped blocks are still indexed there (a sync failed); nothing is freed`);
    const changed = new Map<number, Range[]>();
    const all = new Map<number, Range[]>();
    for (const [n, r] of results) {
      const arena = host.arenas.get(n)!;
      // The gaps between the records kept are whole records nothing indexes: garbage.
      const kept = r.kept.map((rec): Range => [offsetOf(rec.pos), offsetOf(rec.end)]);
      r.indexedBytes = kept.reduce((n, [start, end]) => n + end - start, 0);
      const runs = gapsBetween(kept, ARENA_HEADER_BYTES, r.sealAt);
      const merged = mergeRanges([...arena.freed, ...runs]);
      all.set(n, merged);
      if (merged.length !== arena.freed.length || merged.some((x, i) => x[0] !== arena.freed[i]![0] || x[1] !== arena.freed[i]![1])) changed.set(n, merged);
    }
    await saveFreed(join(host.dir, 'arenas'), changed);
    for (const [n, merged] of changed) host.arenas.get(n)!.freed = merged; // walks skip them from now on
    return all;
  });

  // 3. Outside the write lock: the holes touch only bytes no index entry or walk can reach.
  // Every recorded range is punched again, since a crash may have left some unpunched.
  const holes = [...freed].flatMap(([n, ranges]) => ranges.flatMap((range) => { const hole = punchable(range); return hole ? [{ n, path: host.arenas.get(n)!.path, range: hole }] : []; }));
  signal?.throwIfAborted();
  await punchHoles(holes);
  for (const h of holes) results.get(h.n)!.holes++;
  const out: PunchResult[] = [];
  for (const [n, { kept: _kept, sealAt: _sealAt, ...r }] of results) {
    const diskBefore = r.diskBytes;
    r.ranges = freed.get(n)!.length;
    r.diskBytes = await host.arenas.get(n)!.diskBytes();
    r.freedBytes = Math.max(0, diskBefore - r.diskBytes);
    host.log.info({ ...r }, 'freed garbage in an arena in place');
    out.push(r);
  }
  return out;
}

/**
 * Where the seal record of a sealed arena starts. It is the last record and its summary
 * names its own offset (`bytes`), so it is found from the file's tail without a walk.
 */
async function findSeal(arena: Arena, hash: (b: Uint8Array) => Buffer): Promise<number | undefined> {
  const size = arena.size;
  const from = Math.max(ARENA_HEADER_BYTES, size - SEAL_SEARCH_BYTES);
  const tail = await arena.read(from, size - from);
  for (let i = tail.length - RECORD_HEADER_BYTES; i >= 0; i--) {
    if (tail.readUInt32LE(i) !== RECORD_MAGIC || tail[i + 4] !== SEAL_TYPE) continue;
    const header = decodeRecordHeader(tail, i, SEAL_SEARCH_BYTES);
    if (typeof header === 'string' || from + i + RECORD_HEADER_BYTES + header.length !== size) continue;
    const data = tail.subarray(i + RECORD_HEADER_BYTES);
    if (!hash(data).equals(header.score)) continue;
    try {
      if ((JSON.parse(data.toString('utf8')) as { bytes?: number }).bytes === from + i) return from + i;
    } catch { /* not the seal */ }
  }
  return undefined;
}

/** A seal's summary is a short JSON object: it lies within the file's last few hundred bytes. */
const SEAL_SEARCH_BYTES = 1024;
