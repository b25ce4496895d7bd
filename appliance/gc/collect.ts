// The runner: mark what is held, count live bytes per arena, plan, then free the planned
// arenas through the store (holes in place; a copy only where holes cannot free enough).
// Decisions are in plan.ts; this file only orders the effects.
import { ColonyError, isColonyError } from '../errors.js';
import type { Log } from '../log.js';
import type { BlockReader } from '../snapshot/index.js';
import type { PunchResult, Score } from '../store/index.js';
import { markLive, type HeldSet, type MarkProgress } from './mark.js';
import { needsCopy, planCollection, type ArenaLive, type ArenaUsage, type PlannedRewrite } from './plan.js';

/** A collection in progress: blocks a put finds already stored while it runs are live (dedup hits). */
export interface CollectionHandle { touched(score: Score): boolean; end(): void }

export interface CompactResult { movedBlocks: number; movedBytes: number; droppedBlocks: number; droppedBytes: number; freedBytes: number }

/** What the runner needs of the store (BlockStore has it). */
export interface CollectableStore extends BlockReader {
  arenaUsage(): Promise<ArenaUsage[]>;
  indexEntries(): AsyncIterable<{ score: Score; arena: number; bytes: number; type: number }>;
  /** The same pass in batches, when the store has it (a third of the cost). */
  indexEntryBatches?(): AsyncIterable<Array<{ score: Score; arena: number; bytes: number; type: number }>>;
  beginCollection(): CollectionHandle;
  compactArena(number: number, isLive: (score: Score) => boolean, options?: { bytesPerSecond?: number; signal?: AbortSignal }): Promise<CompactResult>;
  /** Frees arenas' garbage in place (holes); absent, or COLONY_UNSUPPORTED, means compact instead. */
  punchArenas?(numbers: readonly number[], isLive: (score: Score) => boolean, options?: { signal?: AbortSignal }): Promise<PunchResult[]>;
  /** Every arena's file sizes, without the index pass arenaUsage makes. */
  arenaFiles?(): Promise<Array<Omit<ArenaUsage, 'indexedBlocks' | 'indexedBytes'>>>;
}

export interface GcReport {
  dryRun: boolean;
  liveBytes: number;
  garbageBytes: number;
  storeBytes: number;
  rewrite: PlannedRewrite[];
  remove: number[];
  bytesToFree: number;
  bytesToWrite: number;
  freedBytes: number;
  writtenBytes: number;
  /** Rewritten arenas whose live records had to be copied out (holes could not free enough). */
  copied: number[];
  seconds: number;
}

export type GcProgress =
  | ({ phase: 'mark' } & MarkProgress)
  | { phase: 'account'; entries: number }
  | { phase: 'compact'; arena: number; done: number; of: number };

export interface CollectOptions {
  store: CollectableStore;
  /** Everything held now: catalog.liveRoots() plus grid.heldRoots(). Called after the collection began. */
  roots: () => Promise<HeldSet>;
  log: Log;
  dryRun?: boolean;
  /** Bounds the compaction's I/O (copying live blocks), so environments keep the disk. */
  bytesPerSecond?: number;
  maxUnusedFraction?: number;
  minArenaGarbageFraction?: number;
  signal?: AbortSignal;
  onProgress?: (p: GcProgress) => void;
}

/** Stores with a collection running: one at a time per store, in this process. */
const running = new WeakSet<object>();

/**
 * One collection. A second one on the same store while this runs is refused with
 * COLONY_LOCKED (a dry run too: its plan would race the real run's deletions).
 */
export async function collectGarbage(opts: CollectOptions): Promise<GcReport> {
  const { store, log } = opts;
  if (running.has(store)) throw new ColonyError('COLONY_LOCKED', 'a garbage collection is already running on this store; wait for it to end');
  running.add(store);
  const started = performance.now();
  // First: from here on a put that finds its block stored marks it live, so a save that
  // reuses a block the roots below do not reach yet cannot lose it.
  let collection: CollectionHandle | undefined;
  try {
    collection = store.beginCollection();
    const c = collection;
    const touched = (s: Score) => c.touched(s);
    await Promise.resolve();
    const held = await opts.roots();
    opts.signal?.throwIfAborted();
    const marked = await markLive(store, held, { signal: opts.signal, onProgress: (p) => opts.onProgress?.({ phase: 'mark', ...p }) });
    if (marked.missing > 0) {
      log.warn({ missing: marked.missing, incompleteRoots: marked.incompleteRoots.length }, 'gc: some held trees are not all here (still replicating); what is here of them is kept');
    }
    const isLive = (s: Score) => marked.live.has(s) || touched(s);
    const arenas = await liveByArena(store, isLive, opts);
    const plan = planCollection(arenas, { maxUnusedFraction: opts.maxUnusedFraction, minArenaGarbageFraction: opts.minArenaGarbageFraction });
    log.info({
      dryRun: !!opts.dryRun, live: marked.live.size, liveBytes: plan.liveBytes, garbageBytes: plan.garbageBytes,
      rewrite: plan.rewrite.map((r) => r.arena), remove: plan.remove, bytesToFree: plan.bytesToFree, bytesToWrite: plan.bytesToWrite,
    }, 'gc: plan');
    let freedBytes = 0;
    let writtenBytes = 0;
    const copied: number[] = [];
    if (!opts.dryRun) {
      // Holes first: they free the garbage without writing the live data again. Arenas with
      // nothing live go through it too: their records are then dropped from the index alone,
      // and compaction, which walks only what is not freed, just deletes the file.
      const rewrite = plan.rewrite.map((r) => r.arena);
      const order = [...plan.remove, ...rewrite];
      if (order.length) opts.onProgress?.({ phase: 'compact', arena: order[0]!, done: 0, of: order.length });
      const punched = new Map((await freeInPlace(store, order, isLive, opts)).map((r) => [r.arena, r]));
      const removing = new Set(plan.remove);
      for (const [i, arena] of order.entries()) {
        opts.signal?.throwIfAborted();
        opts.onProgress?.({ phase: 'compact', arena, done: i, of: order.length });
        const p = punched.get(arena);
        if (p) freedBytes += p.freedBytes;
        if (!removing.has(arena)) {
          if (p) {
            if (!needsCopy(p, opts.minArenaGarbageFraction)) continue;
            log.info({ arena, diskBytes: p.diskBytes, indexedBytes: p.indexedBytes }, 'gc: holes could not free enough of this arena; copying its live records');
          }
          copied.push(arena);
        }
        const r = await store.compactArena(arena, isLive, { bytesPerSecond: opts.bytesPerSecond, signal: opts.signal });
        // Net, as bytesToFree is: the arena's file went, its live records went to the active arena.
        freedBytes += r.freedBytes - r.movedBytes;
        writtenBytes += r.movedBytes;
        log.info({ arena, ...r }, 'gc: arena compacted');
      }
    }
    const report: GcReport = {
      dryRun: !!opts.dryRun, liveBytes: plan.liveBytes, garbageBytes: plan.garbageBytes, storeBytes: plan.storeBytes,
      rewrite: plan.rewrite, remove: plan.remove, bytesToFree: plan.bytesToFree, bytesToWrite: plan.bytesToWrite,
      freedBytes, writtenBytes, copied, seconds: (performance.now() - started) / 1000,
    };
    log.info({ freedBytes, writtenBytes, seconds: report.seconds }, 'gc: done');
    return report;
  } finally {
    collection?.end();
    running.delete(store);
  }
}

/** The arenas' garbage freed with holes; none where the store cannot (then they are compacted). */
async function freeInPlace(store: CollectableStore, arenas: number[], isLive: (s: Score) => boolean, opts: CollectOptions): Promise<PunchResult[]> {
  if (!store.punchArenas || arenas.length === 0) return [];
  try {
    return await store.punchArenas(arenas, isLive, { signal: opts.signal }); // the store logs each arena
  } catch (err) {
    if (!isColonyError(err, 'COLONY_UNSUPPORTED')) throw err;
    opts.log.warn({ err, arenas }, 'gc: cannot free arenas in place; compacting them');
    return [];
  }
}

/** Every arena's usage with the live blocks and bytes in it, from one pass over the index. */
async function liveByArena(store: CollectableStore, isLive: (s: Score) => boolean, opts: CollectOptions): Promise<ArenaLive[]> {
  // With arenaFiles, the index is read once here (the indexed counts too), not twice.
  const files = store.arenaFiles ? await store.arenaFiles() : undefined;
  const usage: ArenaUsage[] = files ? files.map((f) => ({ ...f, indexedBlocks: 0, indexedBytes: 0 })) : await store.arenaUsage();
  const counts = new Map<number, ArenaLive>(usage.map((a) => [a.number, { ...a, liveBlocks: 0, liveBytes: 0 }]));
  let entries = 0;
  const batches = store.indexEntryBatches?.() ?? oneByOne(store.indexEntries());
  for await (const batch of batches) {
    for (const e of batch) {
      if (++entries % 65536 === 0) { opts.signal?.throwIfAborted(); opts.onProgress?.({ phase: 'account', entries }); }
      const a = counts.get(e.arena);
      if (!a) continue;
      if (files) { a.indexedBlocks++; a.indexedBytes += e.bytes; }
      if (isLive(e.score)) { a.liveBlocks++; a.liveBytes += e.bytes; }
    }
  }
  return [...counts.values()];
}

async function* oneByOne<T>(items: AsyncIterable<T>): AsyncGenerator<T[]> {
  for await (const item of items) yield [item];
}
