// A least-recently-used cache of verified blocks, bounded by their data bytes. A Map keeps insertion
// order, so re-inserting on a hit makes the first key the least recently used.
//
// With `admitOnSecondTouch`, a block is cached only when it is offered a second time while
// its key is still remembered (a bounded list of keys, no data). The store uses it: what
// reads a block once (a volume, which keeps its own cache; a peer fetching; an export)
// would otherwise push the hot blocks out and keep 64 KiB buffers alive to old age, which
// measured a quarter more CPU per cold read (bench/store).

export interface CachedBlock { type: number; data: Buffer }

/** Keys remembered for admission: about two per block the budget holds, within these bounds. */
const MIN_SEEN = 256;
const MAX_SEEN = 16384;
const TYPICAL_BLOCK = 64 << 10;

export class BlockCache {
  private readonly map = new Map<string, CachedBlock>();
  private used = 0;
  hits = 0;
  misses = 0;

  /** Keys offered once and not admitted, oldest first (admitOnSecondTouch only). */
  private readonly seen = new Set<string>();

  constructor(public capacityBytes: number, private readonly options: { admitOnSecondTouch?: boolean } = {}) {}

  get bytes() { return this.used; }
  get size() { return this.map.size; }

  get(key: string): CachedBlock | undefined {
    const value = this.map.get(key);
    if (value === undefined) { this.misses++; return undefined; }
    this.hits++;
    this.map.delete(key);
    this.map.set(key, value);
    return value;
  }

  set(key: string, value: CachedBlock): void {
    if (value.data.length > this.capacityBytes) return;
    if (this.options.admitOnSecondTouch && !this.map.has(key) && !this.admit(key)) return;
    const old = this.map.get(key);
    if (old) { this.used -= old.data.length; this.map.delete(key); }
    this.map.set(key, value);
    this.used += value.data.length;
    for (const [k, v] of this.map) {
      if (this.used <= this.capacityBytes) break;
      this.map.delete(k);
      this.used -= v.data.length;
    }
  }

  /** Whether `key` was offered before; if not, it is remembered (the oldest key forgotten past the bound). */
  private admit(key: string): boolean {
    if (this.seen.delete(key)) return true;
    this.seen.add(key);
    const bound = Math.min(MAX_SEEN, Math.max(MIN_SEEN, 2 * Math.ceil(this.capacityBytes / TYPICAL_BLOCK)));
    if (this.seen.size > bound) for (const oldest of this.seen) { this.seen.delete(oldest); break; }
    return false;
  }

  delete(key: string): void {
    const old = this.map.get(key);
    if (old) { this.used -= old.data.length; this.map.delete(key); }
  }

  clear(): void { this.map.clear(); this.seen.clear(); this.used = 0; }

  /** Changes the budget, evicting least recently used blocks until they fit. */
  resize(capacityBytes: number): void {
    this.capacityBytes = Math.max(0, capacityBytes);
    for (const [k, v] of this.map) {
      if (this.used <= this.capacityBytes) break;
      this.map.delete(k);
      this.used -= v.data.length;
    }
  }
}
