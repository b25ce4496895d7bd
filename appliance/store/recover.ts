// Opening a store after any stop, clean or not. The index says up to which log position
// everything is durable and indexed (the checkpoint); only the log after it is scanned.
// Without an index the whole log is scanned, which is what `reindex` relies on.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isColonyError } from '../errors.js';
import type { Log } from '../log.js';
import { Arena, arenaFileName } from './arena.js';
import type { BlockIndex, IndexMeta } from './index-db.js';
import { ARENA_HEADER_BYTES, arenaOf, logicalLength, logPosition, offsetOf, SEAL_TYPE, type Location } from './record.js';
import { formatScore } from './score.js';
import { scanArena, type ScannedRecord } from './scan.js';

const BATCH = 10_000;

export interface RecoveryContext {
  arenaDir: string;
  numbers: number[];
  index: BlockIndex;
  hash: (b: Uint8Array) => Buffer;
  maxBlockBytes: number;
  log: Log;
}

export interface Recovered {
  arenas: Map<number, Arena>;
  meta: IndexMeta;
  /** Records found after the checkpoint and added to the index. */
  reindexed: number;
  /** Bytes cut from a torn tail. */
  cut: number;
  /** Index entries dropped because they pointed past the valid end of the log. */
  dropped: number;
  /** The newest arena is sealed (its successor was torn while being created): writes go to a new arena. */
  lastSealed: boolean;
  /** The log ended before the stored checkpoint: durable records were lost, and their positions will be reused. */
  shortened: boolean;
}

/** Opens every arena, the last one writable. A last arena too short to hold its header was torn while being created. */
async function openArenas(ctx: RecoveryContext): Promise<{ arenas: Map<number, Arena>; removedTorn: boolean }> {
  const arenas = new Map<number, Arena>();
  let removedTorn = false;
  for (const [i, n] of ctx.numbers.entries()) {
    const last = i === ctx.numbers.length - 1;
    try {
      arenas.set(n, await Arena.open(ctx.arenaDir, n, last));
    } catch (err) {
      if (!last || !isColonyError(err, 'COLONY_CORRUPT_DATA')) throw err;
      ctx.log.warn({ arena: n }, 'the newest arena was torn while being created; removing it');
      await rm(join(ctx.arenaDir, arenaFileName(n)));
      removedTorn = true;
    }
  }
  return { arenas, removedTorn };
}

export async function recover(ctx: RecoveryContext): Promise<Recovered> {
  const { arenas, removedTorn } = await openArenas(ctx);
  // An arena is created only after the one before it is sealed.
  let lastSealed = removedTorn && arenas.size > 0;
  const stored = await ctx.index.meta();
  const meta: IndexMeta = stored ? { ...stored } : { checkpoint: 0, blocks: 0, bytes: 0 };
  if (!stored && arenas.size > 0) ctx.log.warn({ arenas: arenas.size }, 'the store has no index; rebuilding it from the arenas');

  let puts = new Map<string, [Buffer, Location]>();
  let reindexed = 0;
  let cut = 0;
  const flush = async () => {
    await ctx.index.commit([...puts.values()], [], meta, false);
    puts = new Map();
  };
  const indexRecord = async (arena: Arena, rec: ScannedRecord) => {
    const key = rec.score.toString('hex');
    if (puts.has(key) || ctx.index.get(rec.score)) return;
    // A corrupt record's prefix may lie: count it at its stored length.
    const size = rec.intact ? rec.size : rec.length;
    const loc: Location = { pos: logPosition(arena.number, rec.offset), length: rec.length, type: rec.type };
    if (size !== rec.length) loc.size = size;
    puts.set(key, [rec.score, loc]);
    meta.blocks++;
    meta.bytes += size;
    reindexed++;
    if (puts.size >= BATCH) await flush();
  };

  const numbers = [...arenas.keys()];
  let startArena = arenaOf(meta.checkpoint);
  let startOffset = Math.max(ARENA_HEADER_BYTES, offsetOf(meta.checkpoint));
  const checkpointArena = arenas.get(startArena);
  if (stored && numbers.length > 0 && (!checkpointArena || (await checkpointArena.fileSize()) < startOffset)) {
    // The log is shorter than the index believes. Record boundaries can only be found
    // from the start of an arena, so rescan the arena that now holds the end of the log.
    startArena = checkpointArena ? startArena : numbers[numbers.length - 1]!;
    startOffset = ARENA_HEADER_BYTES;
    ctx.log.warn({ checkpoint: meta.checkpoint, arena: startArena }, 'the log is shorter than the index says; rescanning its last arena');
  }
  for (const [i, n] of numbers.entries()) {
    if (n < startArena) continue;
    const arena = arenas.get(n)!;
    const last = i === numbers.length - 1;
    const from = n === startArena ? startOffset : ARENA_HEADER_BYTES;
    // A record that fails its hash is a torn tail if nothing whole follows it, and a
    // corrupt block if something does. So each one waits for the next record to decide.
    let suspect: ScannedRecord | undefined;
    const scan = scanArena(arena, ctx.hash, ctx.maxBlockBytes, from);
    let step = await scan.next();
    while (!step.done) {
      const rec = step.value;
      if (suspect) {
        ctx.log.error({ arena: n, offset: suspect.offset, score: formatScore(suspect.score) }, 'corrupt block inside the log; indexed so reads report it');
        await indexRecord(arena, suspect);
        suspect = undefined;
      }
      if (!rec.intact) suspect = { ...rec, data: Buffer.alloc(0), block: Buffer.alloc(0) };
      else if (rec.type !== SEAL_TYPE) await indexRecord(arena, rec);
      else if (last) lastSealed = true; // sealed, then stopped before the next arena existed
      step = await scan.next();
    }
    let end = step.value.end;
    let reason = step.value.torn;
    if (suspect) { end = suspect.offset; reason = `the last record (at offset ${end}) does not match its score`; }
    const fileSize = await arena.fileSize();
    if (end < fileSize) {
      if (last) {
        ctx.log.warn({ arena: n, offset: end, bytes: fileSize - end, reason }, 'cut a torn tail off the log');
        await arena.truncate(end);
        cut += fileSize - end;
      } else {
        ctx.log.error({ arena: n, offset: end, reason }, 'a sealed arena is damaged after this offset; it is left as it is');
      }
    }
    arena.size = Math.min(end, fileSize);
  }

  const lastArena = arenas.get(numbers[numbers.length - 1] ?? -1);
  const tail = lastArena ? logPosition(lastArena.number, lastArena.size) : 0;
  let dropped = 0;
  const dels: Buffer[] = [];
  const shortened = stored !== undefined && stored.checkpoint > tail;
  if (shortened) {
    // The log is shorter than the index believes: someone cut synced data away. Entries
    // that point past the end would name blocks we no longer have.
    for await (const [score, loc] of ctx.index.entries()) {
      if (loc.pos < tail) continue;
      dels.push(score);
      meta.blocks--;
      meta.bytes -= logicalLength(loc);
    }
    dropped = dels.length;
    ctx.log.warn({ checkpoint: stored.checkpoint, tail, dropped }, 'dropped index entries that point past the end of the log');
  }
  meta.checkpoint = tail;
  await ctx.index.commit([...puts.values()], dels, meta, true);
  if (reindexed > 0) ctx.log.info({ reindexed }, 'indexed records found after the checkpoint');
  return { arenas, meta, reindexed, cut, dropped, lastSealed, shortened };
}
