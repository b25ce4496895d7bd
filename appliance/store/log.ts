// Reading the log as index entries, for replication: from a log position, the records the
// index names, in log order, up to the durable head. Only record headers are read (the
// receiver verifies every block it fetches), and the walk starts where it is asked to, so
// a position near the head costs what lies between it and the head, not the whole log.
import { corruptData, invalid } from '../errors.js';
import type { Log } from '../log.js';
import type { Arena } from './arena.js';
import { ARENA_HEADER_BYTES, arenaOf, decodeRecordHeader, logicalLength, logPosition, offsetOf, RECORD_HEADER_BYTES, SEAL_TYPE, type Location } from './record.js';
import { formatScore, type Score } from './score.js';
import { scanArena } from './scan.js';

/**
 * One index entry of the log: the record at `pos`, which ends at `end` (where the next one
 * starts). `size` is the block's logical length, what `get` returns and a peer receives;
 * `end - pos` is what it takes on disk, header included.
 */
export interface LogEntry { pos: number; end: number; score: Score; type: number; size: number }

/**
 * A page of the log. `next` is where to ask from next time: past the last record looked
 * at, or the head once the walk reached it. The log is read through when `next === head`.
 */
export interface LogPage { entries: LogEntry[]; next: number; head: number }

export interface LogView {
  /** Every arena, by number. Read as it is at the call; arenas past the head are ignored. */
  arenas: ReadonlyMap<number, Arena>;
  /** The durable head: nothing at or past it is returned. */
  head: number;
  /** The index lookup: a record is an entry when the index places its score at its position. */
  locate: (score: Score) => Location | undefined;
  maxBlockBytes: number;
}

export const LOG_PAGE_DEFAULT = 1024;
export const LOG_PAGE_MAX = 65_536;
/** Headers are read in windows of this size: a few pages, many headers when blocks are small. */
const WINDOW = 16 << 10;

/** The entries after `from` (a position returned as an entry's `pos`/`end`, a page's `next`, a head, or 0). */
export async function readLog(view: LogView, from: number, limit = LOG_PAGE_DEFAULT): Promise<LogPage> {
  const { head } = view;
  if (!Number.isSafeInteger(from) || from < 0) throw invalid(`log position ${from} is not a non-negative integer`);
  if (!Number.isInteger(limit) || limit < 1 || limit > LOG_PAGE_MAX) throw invalid(`a log page holds 1..${LOG_PAGE_MAX} entries, not ${limit}`);
  if (from > head) throw invalid(`log position ${from} is beyond the durable head ${head}`);
  const entries: LogEntry[] = [];
  if (from === head) return { entries, next: head, head };
  const headArena = arenaOf(head);
  const bound = (a: Arena) => (a.number === headArena ? offsetOf(head) : a.size);
  // Compaction deletes arenas: a position inside a deleted one continues at the next arena
  // (its live blocks were copied past the head, so the reader meets them again there).
  const numbers = [...view.arenas.keys()].filter((n) => n >= arenaOf(from) && n <= headArena).sort((a, b) => a - b);
  const first = view.arenas.get(arenaOf(from));
  let start = ARENA_HEADER_BYTES;
  try {
    if (first) start = await checkBoundary(view, first, offsetOf(from), bound(first));
  } catch (err) {
    if (!first?.removed) throw err;
  }

  for (const n of numbers) {
    const arena = view.arenas.get(n);
    if (!arena) continue;
    const end = bound(arena);
    let offset = n === first?.number ? start : ARENA_HEADER_BYTES;
    let window: Buffer = Buffer.alloc(0);
    let windowStart = offset;
    while (offset < end) {
      const next = arena.skip(offset);
      if (next !== offset) { offset = next; continue; }
      if (offset + RECORD_HEADER_BYTES > windowStart + window.length) {
        try {
          window = await arena.read(offset, Math.min(WINDOW, end - offset));
        } catch (err) {
          if (arena.removed) break; // deleted under the walk: its blocks now lie past the head
          throw err;
        }
        windowStart = offset;
      }
      const header = decodeRecordHeader(window, offset - windowStart, view.maxBlockBytes);
      const where = `arena ${n} offset ${offset}`;
      if (typeof header === 'string') throw corruptData(`the durable log has ${header} at ${where}`);
      const recEnd = offset + RECORD_HEADER_BYTES + header.length;
      if (recEnd > end) throw corruptData(`the record at ${where} runs past the durable end of its arena`);
      const pos = logPosition(n, offset);
      // Records the index does not name (a duplicate the store never writes, but a damaged
      // log might hold) are not entries; the seal is not one either.
      const loc = header.type === SEAL_TYPE ? undefined : view.locate(header.score);
      if (loc?.pos === pos) {
        // A full page ends at the next entry, a position `checkBoundary` accepts.
        if (entries.length >= limit) return { entries, next: pos, head };
        entries.push({ pos, end: logPosition(n, recEnd), score: header.score, type: header.type, size: logicalLength(loc) });
      }
      offset = recEnd;
    }
    // The end of an arena is a boundary too: stop there with a full page.
    if (entries.length >= limit) return { entries, next: n === headArena ? head : logPosition(n, end), head };
  }
  return { entries, next: head, head };
}

/**
 * Checks that `offset` is where an entry starts (or where the arena's records end) and
 * returns where to begin reading. Record boundaries cannot be found backwards, so the
 * record at `offset` must prove itself: the index names it there, or it is the seal that
 * ends the arena. A record's data may itself hold a well-formed record, so a header that
 * decodes, even with data that hashes to its score, proves nothing.
 */
async function checkBoundary(view: LogView, arena: Arena, offset: number, end: number): Promise<number> {
  const pos = logPosition(arena.number, offset);
  if (offset === 0 || offset === ARENA_HEADER_BYTES) return ARENA_HEADER_BYTES;
  if (offset < ARENA_HEADER_BYTES) throw invalid(`log position ${pos} is inside the header of arena ${arena.number}`);
  if (offset === end) return offset;
  if (offset > end) throw invalid(`log position ${pos} is past the end of arena ${arena.number}`);
  // A cursor may name a record that GC has since freed: go on after the freed range, as a
  // cursor inside a deleted arena goes on at the next one.
  const skipped = arena.skip(offset);
  if (skipped !== offset) return skipped;
  const notStart = () => invalid(`log position ${pos} is not the start of a record`);
  const head = await arena.read(offset, Math.min(RECORD_HEADER_BYTES, end - offset));
  const header = decodeRecordHeader(head, 0, view.maxBlockBytes);
  if (typeof header === 'string') throw notStart();
  const recEnd = offset + RECORD_HEADER_BYTES + header.length;
  if (recEnd > end) throw notStart();
  if (header.type === SEAL_TYPE) {
    if (recEnd === arena.size) return offset;
    throw notStart();
  }
  if (view.locate(header.score)?.pos === pos) return offset;
  throw notStart();
}

export interface IterateView {
  arenas: ReadonlyMap<number, Arena>;
  /** The durable head when the walk began: nothing at or past it is yielded. */
  end: number;
  hash: (b: Uint8Array) => Buffer;
  maxBlockBytes: number;
  log: Log;
}

/** Durable blocks in log order from `from`; an arena compaction deletes during the walk is skipped. */
export async function* iterateLog(view: IterateView, from: number): AsyncGenerator<{ pos: number; score: Score; type: number; data: Buffer }> {
  const { end } = view;
  for (const arena of [...view.arenas.values()].sort((a, b) => a.number - b.number)) {
    if (arena.number < arenaOf(from) || logPosition(arena.number, 0) >= end) continue;
    const start = arena.number === arenaOf(from) ? offsetOf(from) : 0;
    const scan = scanArena(arena, view.hash, view.maxBlockBytes, Math.max(start, ARENA_HEADER_BYTES));
    for (;;) {
      let step;
      try {
        step = await scan.next();
      } catch (err) {
        if (arena.removed) break;
        throw err;
      }
      if (step.done) break;
      const rec = step.value;
      const pos = logPosition(arena.number, rec.offset);
      if (pos >= end) break;
      if (rec.type === SEAL_TYPE) continue;
      if (!rec.intact) { view.log.error({ pos, score: formatScore(rec.score) }, 'skipping a corrupt block while iterating the log'); continue; }
      yield { pos, score: rec.score, type: rec.type, data: rec.flags ? rec.block : Buffer.from(rec.block) };
    }
  }
}
