// Writers that have not named their tree yet (an import, a peer's transfer of a whole name):
// every block they put is held until they release, so a collection that starts half-way
// through keeps what they wrote before it began, including what now sits in sealed arenas.
// (Blocks written after the collection began are the store's to keep.)
import type { Score } from '../store/index.js';
import type { HeldSet } from './mark.js';

type Putter = { put(type: number, data: Uint8Array): Promise<Score> };
/** The store's methods that write a block and answer its score. */
const PUTS = new Set<string | symbol>(['put', 'putVerified', 'putEncoded']);

export class WriteHolds {
  private readonly open = new Set<Map<string, Score>>();

  /**
   * The store as one writer sees it: every put (`put`, `putVerified`, and `putEncoded`,
   * which the import's workers use) also holds the score until `release()`, which the
   * writer calls once its root is named (or it gave up). Every other method is the store's own.
   */
  hold<S extends Putter>(store: S): { store: S; release(): void } {
    const held = new Map<string, Score>();
    this.open.add(held);
    const note = (s: Score) => { held.set(s.toString('hex'), s); return s; };
    const wrapped = new Proxy(store, {
      get(target, prop) {
        const v = Reflect.get(target, prop, target) as unknown;
        if (typeof v !== 'function') return v;
        const fn = (v as (...a: unknown[]) => unknown).bind(target);
        if (!PUTS.has(prop)) return fn;
        return async (...args: unknown[]) => note((await fn(...args)) as Score);
      },
    });
    return { store: wrapped, release: () => { this.open.delete(held); } };
  }

  /** Every score held by a writer now. */
  scores(): Score[] {
    const out: Score[] = [];
    for (const held of this.open) out.push(...held.values());
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
    trees: g?.trees ?? [],
  };
}
