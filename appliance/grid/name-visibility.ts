// No name before its blocks. A name replicated from a peer can arrive before the blocks
// of its tree; until every block of its closure is local it is *pending*: listed apart by
// `scores` and refused by `spawn`. A name saved here is always complete, so the local
// origin's names are never walked: the save synced what it wrote, and `makeWhole` (below)
// fetched the rest first.
//
// Why a save makes its tree whole (rather than walking local names too): on a lazy node an
// environment loads blocks on demand, so the tree it saves points at blocks that may be
// only on a peer. Named as it is, that tree could be read nowhere once the peer leaves,
// and a third node would take this node's "complete" and hit EIO. Fetching the missing
// blocks before the name is registered keeps one invariant everywhere (a node holds
// whole every tree it names) and the shortcut above true; it costs the save the blocks
// not yet read, which is the price of naming a tree here. A save whose base name is
// whole here skips the walk: the new tree is the base's blocks plus the ones just written.
//
// Closure walks are expensive (every directory and pointer block is read), so
// NameCompleteness keeps, per root score, "complete" for good (blocks are not removed
// while a name points at them) or the last progress seen, and re-walks pending roots only
// when the store's durable head has moved since their last walk (store.onAppend), one
// walk at a time. Reads of the cache are synchronous and never wait for a walk.
//
// Lazy replication (peer.replication "lazy"): a node pulls no blocks in bulk, so a name is
// also visible while a connected member holds its whole closure (`consult(elsewhere)`,
// answered by /colony/names/1). What this node tells others (`holdsLocally`) is only what
// its own store holds, never what it heard, so "complete" is not relayed.
import type { NameRecord } from '../catalog/index.js';
import { ColonyError, isColonyError } from '../errors.js';
import type { Log } from '../log.js';
import { closure } from '../snapshot/index.js';
import { formatScore, parseScore, type BlockSource, type Score } from '../store/index.js';

/** How far a pending root is: `total` is unknown while some tree (root, directory, pointer) block is missing. */
export interface Progress { local: number; total?: number }
export interface PendingName { record: NameRecord; progress: Progress }
export interface NameView { visible: NameRecord[]; pending: PendingName[] }

const UNKNOWN: Progress = { local: 0 };

/**
 * Splits names into those that may be shown and spawned and those still waiting for
 * blocks. `status(record)` answers from a cache: true when complete, else the progress
 * (undefined: not walked yet). Pure; keeps the input order in both lists.
 */
export function nameVisibility(names: NameRecord[], status: (r: NameRecord) => true | Progress | undefined, localOrigin: string): NameView {
  const view: NameView = { visible: [], pending: [] };
  for (const r of names) {
    const s = r.origin === localOrigin ? true : status(r);
    if (s === true) view.visible.push(r);
    else view.pending.push({ record: r, progress: s ?? UNKNOWN });
  }
  return view;
}

/** What `scores` prints for a pending name. */
export const pendingText = (p: Progress): string =>
  p.total === undefined ? 'pending: blocks arriving' : `pending: ${p.local} of ${p.total} blocks`;

type LocalBlocks = Pick<BlockSource, 'getBlock' | 'hasMany'>;
const HAS_BATCH = 1024;

/**
 * How many blocks of `root`'s closure are in `store`. A missing tree block stops the walk
 * (its subtree's size is unknown): then `total` is undefined. `store` must be the local
 * store, never one that fetches from peers on a miss.
 */
export async function closureProgress(store: LocalBlocks, root: Score): Promise<Progress> {
  let local = 0;
  let total = 0;
  let batch: Score[] = [];
  const flush = async () => {
    const held = await store.hasMany(batch);
    local += held.filter(Boolean).length;
    total += batch.length;
    batch = [];
  };
  try {
    for await (const s of closure(store, root)) {
      batch.push(s);
      if (batch.length >= HAS_BATCH) await flush();
    }
    await flush();
  } catch (err) {
    if (isColonyError(err, 'COLONY_NOT_FOUND')) return { local: local + (await store.hasMany(batch)).filter(Boolean).length };
    throw err;
  }
  return { local, total };
}

export interface NameCompletenessOptions {
  store: LocalBlocks & { onAppend(listener: () => void): () => void };
  /** The names to keep checked (the catalog's, every origin's). */
  names(): NameRecord[];
  localOrigin: string;
  log: Log;
  /** The walk (tests count calls); closureProgress by default. */
  walk?: (store: LocalBlocks, root: Score) => Promise<Progress>;
}

/** Reads a block, fetching it from the peers on a local miss, and fetches many at once (peer/fetch-source.ts's PeerBlockSource). */
export interface Fetcher {
  getBlock(score: Score): Promise<{ type: number; data: Buffer }>;
  /** Fetches, verifies and stores the scores not held; how many it fetched. */
  fetchMany(scores: Score[]): Promise<number>;
  sync(): Promise<void>;
}

/** What `makeWhole` did: `walked` false when the base was whole here (nothing to check). */
export interface WholeResult { walked: boolean; blocks: number; fetched: number }
const FILL_BATCH = 1024;

/** Another source of "the closure is held": connected peers that said so (lazy mode). */
export interface Elsewhere { holds(root: string): boolean; refresh?(): Promise<void> }

export class NameCompleteness {
  private readonly complete = new Set<string>();
  private elsewhere: Elsewhere | undefined;
  private fetcher: Fetcher | undefined;
  private readonly pending = new Map<string, { progress?: Progress; walkedAt: number }>();
  private generation = 0;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private readonly unsubscribe: () => void;
  private readonly walk: (store: LocalBlocks, root: Score) => Promise<Progress>;

  constructor(private readonly opts: NameCompletenessOptions) {
    this.walk = opts.walk ?? closureProgress;
    this.unsubscribe = opts.store.onAppend(() => { this.generation++; void this.walkPending(); });
  }

  /** Lazy mode: a name whose closure `elsewhere` holds is visible too (see the top of this file). */
  consult(elsewhere: Elsewhere | undefined): void { this.elsewhere = elsewhere; }

  /** With the peer network: where `makeWhole` fetches what a saved tree lacks here. */
  fetchThrough(fetcher: Fetcher | undefined): void { this.fetcher = fetcher; }

  /**
   * Before a tree saved here is named: makes `root`'s closure whole in the local store,
   * fetching the missing blocks through the fetcher, then syncs, and records `root` as
   * complete. Skipped when `base` (the tree the environment started from) is whole here,
   * or without a fetcher (one node: everything the save read was local). Rejects (nothing
   * to name) when a block cannot be fetched.
   */
  async makeWhole(root: Score, base: Score): Promise<WholeResult> {
    const key = formatScore(root);
    if (!this.fetcher || this.isWhole(formatScore(base)) || this.complete.has(key)) return this.markWhole(key, { walked: false, blocks: 0, fetched: 0 });
    const fetcher = this.fetcher;
    let blocks = 0;
    let fetched = 0;
    let batch: Score[] = [];
    // The walk reads tree blocks here, or through the fetcher (one at a time); leaves are
    // only listed, and those the store lacks are fetched in batches.
    const reader = {
      getBlock: async (s: Score) => {
        try { return await this.opts.store.getBlock(s); } catch (err) { if (!isColonyError(err, 'COLONY_NOT_FOUND')) throw err; }
        fetched++;
        return fetcher.getBlock(s);
      },
    };
    try {
      for await (const s of closure(reader, root)) {
        batch.push(s);
        blocks++;
        if (batch.length >= FILL_BATCH) { fetched += await fetcher.fetchMany(batch); batch = []; }
      }
      fetched += await fetcher.fetchMany(batch);
      await fetcher.sync();
    } catch (err) {
      throw new ColonyError('COLONY_IO', `the saved tree is not all here and its missing blocks could not be fetched from the peers (${(err as Error).message}); nothing was named`, { cause: err });
    }
    this.opts.log.info({ root: key, blocks, fetched }, 'fetched the blocks a saved tree lacked here');
    return this.markWhole(key, { walked: true, blocks, fetched });
  }

  /** Whole here: walked complete, or a local name's root (see the top of this file). */
  private isWhole(key: string): boolean {
    return this.complete.has(key) || this.opts.names().some((r) => r.origin === this.opts.localOrigin && formatScore(r.root) === key);
  }

  private markWhole(key: string, result: WholeResult): WholeResult {
    this.pending.delete(key);
    this.complete.add(key);
    return result;
  }

  /** Cached only: true when complete (here, or held by a connected peer in lazy mode), the last progress when pending, undefined before the first walk. */
  status(r: NameRecord): true | Progress | undefined {
    const key = formatScore(r.root);
    if (this.complete.has(key)) return true;
    const p = this.pending.get(key);
    if (!p) { this.pending.set(key, { walkedAt: -1 }); void this.walkPending(); }
    if (this.elsewhere?.holds(key)) return true;
    return p?.progress;
  }

  /** The roots among `roots` whose whole closure is in the local store (a local name's, or walked complete). */
  holdsLocally(roots: string[]): string[] {
    const local = new Set(this.opts.names().filter((r) => r.origin === this.opts.localOrigin).map((r) => formatScore(r.root)));
    return roots.filter((k) => this.complete.has(k) || local.has(k));
  }

  /** The roots of other origins' names not known complete here: what lazy mode asks the peers about. */
  pendingRoots(): string[] {
    const out = new Set<string>();
    for (const r of this.opts.names()) {
      const key = formatScore(r.root);
      if (r.origin !== this.opts.localOrigin && !this.complete.has(key)) out.add(key);
    }
    return [...out];
  }

  view(names: NameRecord[]): NameView {
    return nameVisibility(names, (r) => this.status(r), this.opts.localOrigin);
  }

  /** Walks the pending roots (and, in lazy mode, asks the connected peers about them); resolves when both are done. */
  async refresh(): Promise<void> {
    await Promise.all([this.walkPending(), this.elsewhere?.refresh?.()]);
  }

  /** Walks the pending roots the store has moved under since their last walk; coalesced, one pass at a time. */
  private walkPending(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.running) { this.again = true; return this.running; }
    this.running = (async () => {
      try {
        for (let pass = 0; pass < 100 && !this.stopped; pass++) { // bounded: a pass per head move
          this.again = false;
          await this.pass();
          if (!this.again) break;
        }
      } catch (err) {
        this.opts.log.warn({ err: (err as Error).message }, 'checking which names have all their blocks failed');
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  private async pass(): Promise<void> {
    for (const r of this.opts.names()) {
      const key = formatScore(r.root);
      if (r.origin !== this.opts.localOrigin && !this.complete.has(key) && !this.pending.has(key)) this.pending.set(key, { walkedAt: -1 });
    }
    for (const [key, p] of [...this.pending]) {
      if (this.stopped) return;
      if (p.walkedAt === this.generation) continue;
      const at = this.generation;
      const progress = await this.walk(this.opts.store, parseScore(key));
      if (progress.total !== undefined && progress.local === progress.total) {
        this.pending.delete(key);
        this.complete.add(key);
      } else {
        this.pending.set(key, { progress, walkedAt: at });
      }
    }
  }

  stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe();
    return this.running ?? Promise.resolve();
  }
}
