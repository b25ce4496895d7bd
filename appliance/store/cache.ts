// A least-recently-used cache of verified blocks, bounded by their data bytes. A Map keeps insertion
// order, so re-inserting on a hit makes the first key the least recently used.

export interface CachedBlock { type: number; data: Buffer }

export class BlockCache {
  private readonly map = new Map<string, CachedBlock>();
  private used = 0;
  hits = 0;
  misses = 0;

  constructor(public capacityBytes: number) {}

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

  delete(key: string): void {
    const old = this.map.get(key);
    if (old) { this.used -= old.data.length; this.map.delete(key); }
  }

  clear(): void { this.map.clear(); this.used = 0; }

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
