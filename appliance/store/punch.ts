// Freeing in place: the garbage of a sealed arena is given back to the filesystem with
// holes, and its live records stay where they are. Nothing is copied, so it costs a walk of
// the arena's record headers and a few fallocate calls instead of rewriting the live data
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
import { mergeRanges, punchable, punchHole, saveFreed } from './freed.js';
import { arenaOf, logicalLength, logPosition, RECORD_HEADER_BYTES, SEAL_TYPE } from './record.js';
import type { Score } from './score.js';
import { scanHeaders } from './scan.js';

/** Records decided per turn of the write lock: a drop is cheap, so batches are larger than compaction's. */
const BATCH_RECORDS = 8192;

export interface PunchOptions { signal?: AbortSignal }

export interface PunchResult {
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

export async function punchArena(host: CompactHost, number: number, isLive: (score: Score) => boolean, options: PunchOptions = {}): Promise<PunchResult> {
  const arena = host.arenas.get(number);
  if (!arena || arena.removed) throw invalid(`arena ${number} does not exist`);
  if (number === host.activeNumber()) throw invalid(`arena ${number} is the active arena; only sealed arenas are freed`);
  const { signal } = options;
  const diskBefore = await arena.diskBytes();
  const result: PunchResult = { droppedBlocks: 0, droppedBytes: 0, freedBytes: 0, diskBytes: diskBefore, indexedBytes: 0, ranges: 0, holes: 0 };
  // Every data record walked, as (offset, end, kept) triples. Only GC drops blocks and only
  // one GC runs, so what is decided here is still true after the sync.
  const spans: number[] = [];
  const dropped: Score[] = [];
  let batch: Array<{ pos: number; score: Score; span: number }> = [];

  const apply = async () => {
    const items = batch;
    batch = [];
    signal?.throwIfAborted();
    host.checkOpen();
    await host.exclusive(async () => {
      host.checkOpen();
      for (const it of items) {
        // As in compaction: decide and drop with no await between, so a racing put either
        // finds the block (before) or finds nothing and writes it again (after).
        const loc = host.settled(it.score);
        if (loc?.pos !== it.pos) { spans[it.span + 2] = 0; continue; }
        if (isLive(it.score) || host.keeps(it.score, it.pos)) continue;
        host.drop(it.score, logicalLength(loc));
        spans[it.span + 2] = 0;
        dropped.push(it.score);
        result.droppedBlocks++;
        result.droppedBytes += RECORD_HEADER_BYTES + loc.length;
      }
    });
  };

  const scan = scanHeaders(arena, host.maxBlockBytes);
  let step = await scan.next();
  while (!step.done) {
    const rec = step.value;
    if (rec.type !== SEAL_TYPE) {
      const pos = logPosition(number, rec.offset);
      const indexedHere = host.settled(rec.score)?.pos === pos;
      if (indexedHere) batch.push({ pos, score: rec.score, span: spans.length });
      spans.push(rec.offset, rec.offset + RECORD_HEADER_BYTES + rec.length, indexedHere ? 1 : 0);
      if (batch.length >= BATCH_RECORDS) await apply();
    }
    step = await scan.next();
  }
  // A damaged arena cannot be walked past the damage, so what lies beyond is unknown: leave
  // it to compaction, which finds the rest through the index.
  if (step.value.torn) throw new ColonyError('COLONY_CORRUPT_DATA', `arena ${number} is damaged at offset ${step.value.end} (${step.value.torn}); compact it instead of freeing it in place`);
  await apply();

  const freed = await host.exclusive(async () => {
    host.checkOpen();
    await host.syncLocked();
    // Check, rather than trust, that the index no longer places a dropped block here.
    const lingering = dropped.filter((s) => { const loc = host.index.get(s); return loc !== undefined && arenaOf(loc.pos) === number; }).length;
    if (lingering > 0) throw new ColonyError('COLONY_IO', `freeing arena ${number}: ${lingering} dropped blocks are still indexed there (a sync failed); nothing is freed`);
    const runs: Array<[number, number]> = [];
    for (let i = 0; i < spans.length; i += 3) {
      const [start, end, kept] = [spans[i]!, spans[i + 1]!, spans[i + 2]!];
      if (kept) { result.indexedBytes += end - start; continue; }
      const last = runs.at(-1);
      if (last && last[1] === start) last[1] = end;
      else runs.push([start, end]);
    }
    const all = mergeRanges([...arena.freed, ...runs]);
    if (runs.length > 0) {
      await saveFreed(join(host.dir, 'arenas'), number, all);
      arena.freed = all; // before any hole exists, so no walk meets one unawares
    }
    return all;
  });

  // Outside the write lock: the holes touch only bytes no index entry or walk can reach.
  // Every recorded range is punched again, since a crash may have left some unpunched.
  for (const r of freed) {
    signal?.throwIfAborted();
    const hole = punchable(r);
    if (!hole) continue;
    await punchHole(arena.path, hole);
    result.holes++;
  }
  result.ranges = freed.length;
  result.diskBytes = await arena.diskBytes();
  result.freedBytes = Math.max(0, diskBefore - result.diskBytes);
  host.log.info({ arena: number, ...result }, 'freed garbage in an arena in place');
  return result;
}
