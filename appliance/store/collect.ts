// What garbage collection reads from the store: per-arena usage, one pass over the index,
// and the collections that remember which stored blocks were referenced again (dedup
// hits) while a collection marks, so compaction never drops a block someone just used.
import type { Arena } from './arena.js';
import type { BlockIndex } from './index-db.js';
import { arenaOf, RECORD_HEADER_BYTES, type Location } from './record.js';
import type { Score } from './score.js';

export interface ArenaUsage {
  number: number;
  /** Every arena but the active one is sealed, and only a sealed arena is compacted. */
  sealed: boolean;
  /** The file's size. */
  fileBytes: number;
  /** What the file takes on disk (less the holes punched in it): what deleting it frees. */
  diskBytes: number;
  /** Records the index places inside this arena, and their bytes (record header included). */
  indexedBlocks: number;
  indexedBytes: number;
}

export interface IndexEntry { score: Score; arena: number; bytes: number; type: number }

export interface Collection {
  /** Whether `score` was put again (a dedup hit, nothing written) since this collection began. */
  touched(score: Score): boolean;
  /** Stops remembering. Call it once the collection's compactions are done. */
  end(): void;
}

interface Open { since: number; scores: Set<string> }

/** The open collections. The store notes every dedup hit here; compaction asks `keeps`. */
export class Collections {
  private readonly open = new Set<Open>();

  /** `since` is the log position at the call: records at or past it were written after marking began. */
  begin(since: number): Collection {
    const c: Open = { since, scores: new Set() };
    this.open.add(c);
    return { touched: (score) => c.scores.has(score.toString('hex')), end: () => { this.open.delete(c); } };
  }

  hit(key: string): void {
    for (const c of this.open) c.scores.add(key);
  }

  /** Whether some open collection must keep the block `key` at `pos`, whatever the live set says. */
  keeps(key: string, pos: number): boolean {
    for (const c of this.open) if (pos >= c.since || c.scores.has(key)) return true;
    return false;
  }
}

/** The index as the write path sees it: the committed entries, shadowed by unsynced puts and drops. */
export interface IndexView {
  arenas: ReadonlyMap<number, Arena>;
  activeNumber: number;
  index: BlockIndex;
  /** Whether the write path holds a newer word on `key` (an unsynced put, move or drop). */
  shadowed: (key: string) => boolean;
  /** Unsynced puts and moves, read after the index pass. */
  pending: () => Iterable<{ score: Score; loc: Location }>;
}

/** One pass over the index, then the unsynced entries. Puts during the pass may or may not appear. */
export async function* indexEntries(view: IndexView): AsyncGenerator<IndexEntry> {
  for await (const batch of indexEntryBatches(view)) yield* batch;
}

/** The same pass, a few thousand entries at a time (a third of the cost of one promise each). */
export async function* indexEntryBatches(view: IndexView): AsyncGenerator<IndexEntry[]> {
  for await (const batch of view.index.entryBatches()) {
    const out: IndexEntry[] = [];
    for (const [score, loc] of batch) {
      if (view.shadowed(score.toString('hex'))) continue;
      out.push({ score, arena: arenaOf(loc.pos), bytes: RECORD_HEADER_BYTES + loc.length, type: loc.type });
    }
    yield out;
  }
  yield [...view.pending()].map(({ score, loc }) => ({ score, arena: arenaOf(loc.pos), bytes: RECORD_HEADER_BYTES + loc.length, type: loc.type }));
}

/** Every arena's sizes, without reading the index. */
export async function arenaFiles(view: Pick<IndexView, 'arenas' | 'activeNumber'>): Promise<Array<Omit<ArenaUsage, 'indexedBlocks' | 'indexedBytes'>>> {
  const out = [];
  for (const arena of [...view.arenas.values()].sort((a, b) => a.number - b.number)) {
    const sizes = await Promise.all([arena.fileSize(), arena.diskBytes()]).catch(() => undefined);
    if (sizes === undefined) continue; // removed by a compaction meanwhile
    out.push({ number: arena.number, sealed: arena.number !== view.activeNumber, fileBytes: sizes[0], diskBytes: sizes[1] });
  }
  return out;
}

export async function arenaUsage(view: IndexView): Promise<ArenaUsage[]> {
  const counts = new Map<number, { blocks: number; bytes: number }>();
  for await (const e of indexEntries(view)) {
    const c = counts.get(e.arena) ?? { blocks: 0, bytes: 0 };
    c.blocks++;
    c.bytes += e.bytes;
    counts.set(e.arena, c);
  }
  return (await arenaFiles(view)).map((a) => {
    const c = counts.get(a.number) ?? { blocks: 0, bytes: 0 };
    return { ...a, indexedBlocks: c.blocks, indexedBytes: c.bytes };
  });
}
