// Writers that have not named their tree yet (an import, a peer's transfer of a whole name):
// every block they put is held until they release, so a collection that starts half-way
// through keeps what they wrote before it began, including what now sits in sealed arenas.
// (Blocks written after the collection began are the store's to keep.)
import type { Score } from '../store/index.js';
import type { HeldSet, HeldTree } from './mark.js';

type Putter = { put(type: number, data: Uint8Array): Promise<Score> };
/** The store's methods that write a block and answer its score. */
const PUTS = new Set<string | symbol>(['put', 'putVerified', 'putEncoded']);

/** One writer's hold: the blocks it put, and the stored trees it reuses without putting them. */
interface Hold { scores: Map<string, Score>; trees: HeldTree[] }

/**
 * Concurrency contract: one event loop. `hold`, `release`, `collecting` and the gather
 * (`scores`, `trees`) may interleave at any await; `holdTrees` is the one check-then-act
 * across an await, and it registers in the same tick as its last check.
 */
export class WriteHolds {
  private readonly open = new Set<Hold>();
  /** Collections running under `collecting`; once one has gathered, trees held now come too late for its mark. */
  private readonly runs = new Set<{ ended: Promise<void>; gathered: boolean }>();

  /**
   * The store as one writer sees it: every put (`put`, `putVerified`, and `putEncoded`,
   * which the import's workers use) also holds the score until `release()`, which the
   * writer calls once its root is named (or it gave up). `holdTrees` holds stored content
   * the writer reuses unread (an import's unchanged files, found by `hasMany`): the writer
   * calls it before asking whether the trees are still there. Every other method is the
   * store's own.
   */
  hold<S extends Putter>(store: S): { store: S & { holdTrees(trees: HeldTree[]): Promise<void> }; release(): void } {
    const held: Hold = { scores: new Map(), trees: [] };
    this.open.add(held);
    const note = (s: Score) => { held.scores.set(s.toString('hex'), s); return s; };
    const holdTrees = async (trees: HeldTree[]) => {
      // A collection that has gathered would not mark these: wait it out, then hold them, so
      // the writer's `hasMany` after this answers what every later collection will keep.
      for (let late = this.lateFor(); late.length > 0; late = this.lateFor()) await Promise.all(late);
      for (const tree of trees) held.trees.push(tree);
    };
    const wrapped = new Proxy(store, {
      get(target, prop) {
        if (prop === 'holdTrees') return holdTrees;
        const v = Reflect.get(target, prop, target) as unknown;
        if (typeof v !== 'function') return v;
        const fn = (v as (...a: unknown[]) => unknown).bind(target);
        if (!PUTS.has(prop)) return fn;
        return async (...args: unknown[]) => note((await fn(...args)) as Score);
      },
    });
    return { store: wrapped as S & { holdTrees(trees: HeldTree[]): Promise<void> }, release: () => { this.open.delete(held); } };
  }

  /**
   * Runs one collection (`collectGarbage`, whose `roots` gathers through `heldNow`): from its
   * gather to its end, `holdTrees` waits, since its mark cannot see trees held after it gathered.
   */
  async collecting<T>(run: () => Promise<T>): Promise<T> {
    let end!: () => void;
    const r = { ended: new Promise<void>((resolve) => { end = resolve; }), gathered: false };
    this.runs.add(r);
    try {
      return await run();
    } finally {
      this.runs.delete(r);
      end();
    }
  }

  /** The ends of the collections that have gathered and are still running. */
  private lateFor(): Array<Promise<void>> {
    return [...this.runs].filter((r) => r.gathered).map((r) => r.ended);
  }

  /** Every score held by a writer now. */
  scores(): Score[] {
    const out: Score[] = [];
    // Loops, not push(...): a large import holds more scores than a call takes arguments.
    for (const held of this.open) for (const s of held.scores.values()) out.push(s);
    return out;
  }

  /** Every tree held by a writer now; a collection running under `collecting` has gathered from here on. */
  trees(): HeldTree[] {
    for (const r of this.runs) r.gathered = true;
    const out: HeldTree[] = [];
    for (const held of this.open) for (const tree of held.trees) out.push(tree);
    return out;
  }

  get writers(): number { return this.open.size; }
}

/** The grid's part of what is held (grid.heldRoots()). */
interface GridHeld { roots: Score[]; scores: Score[]; trees?: HeldSet['trees'] }

/**
 * Everything held now, from its sources, for `collectGarbage({ roots })`: the catalog's live
 * names (every name not forgotten, pending ones included), the grid's running environments,
 * and unfinished writers. Synchronous, so it is one instant of all three.
 */
export function heldNow(sources: { catalog: { liveRoots(): Score[] }; grid?: { heldRoots(): GridHeld }; holds?: WriteHolds }): HeldSet {
  const g = sources.grid?.heldRoots();
  return {
    roots: [...sources.catalog.liveRoots(), ...(g?.roots ?? [])],
    scores: [...(g?.scores ?? []), ...(sources.holds?.scores() ?? [])],
    trees: [...(g?.trees ?? []), ...(sources.holds?.trees() ?? [])],
  };
}
