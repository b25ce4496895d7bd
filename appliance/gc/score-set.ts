// The live set of a collection: scores as raw 32-byte keys in one open-addressing table,
// not a Set of hex strings. A JS Set<string> of scores costs about 150 bytes a score; this
// costs 64 to 128 (32-byte slots kept at most half full), plus a third table while growing.
import { SCORE_BYTES, type Score } from '../store/index.js';

const MIN_SLOTS = 1024;

export class ScoreSet {
  private table: Buffer;
  private mask: number;
  private count = 0;

  constructor(expected = 0) {
    let slots = MIN_SLOTS;
    while (slots < expected * 2) slots *= 2;
    this.table = Buffer.alloc(slots * SCORE_BYTES);
    this.mask = slots - 1;
  }

  get size(): number { return this.count; }
  /** Bytes the table holds now. */
  get bytes(): number { return this.table.length; }

  /** Adds a score; true when it was not there. The all-zero score (never a block) is never added. */
  add(score: Uint8Array): boolean {
    if (score.length !== SCORE_BYTES || isZero(score)) return false;
    const slot = this.find(score);
    if (slot >= 0) return false;
    if ((this.count + 1) * 2 > this.mask + 1) this.grow();
    this.put(this.table, this.mask, score);
    this.count++;
    return true;
  }

  has(score: Uint8Array): boolean {
    return score.length === SCORE_BYTES && !isZero(score) && this.find(score) >= 0;
  }

  *[Symbol.iterator](): IterableIterator<Score> {
    for (let off = 0; off < this.table.length; off += SCORE_BYTES) {
      if (!isZero(this.table.subarray(off, off + SCORE_BYTES))) yield Buffer.from(this.table.subarray(off, off + SCORE_BYTES));
    }
  }

  /** The slot holding `score`, or -1. Scores are BLAKE3 output, so their first bytes are already a good hash. */
  private find(score: Uint8Array): number {
    const t = this.table;
    for (let i = first(score) & this.mask; ; i = (i + 1) & this.mask) {
      const off = i * SCORE_BYTES;
      if (t[off] === 0 && isZero(t.subarray(off, off + SCORE_BYTES))) return -1;
      if (t.compare(score, 0, SCORE_BYTES, off, off + SCORE_BYTES) === 0) return i;
    }
  }

  private put(t: Buffer, mask: number, score: Uint8Array): void {
    for (let i = first(score) & mask; ; i = (i + 1) & mask) {
      const off = i * SCORE_BYTES;
      if (isZero(t.subarray(off, off + SCORE_BYTES))) { t.set(score, off); return; }
    }
  }

  private grow(): void {
    const old = this.table;
    const slots = (this.mask + 1) * 2;
    this.table = Buffer.alloc(slots * SCORE_BYTES);
    this.mask = slots - 1;
    for (let off = 0; off < old.length; off += SCORE_BYTES) {
      const s = old.subarray(off, off + SCORE_BYTES);
      if (!isZero(s)) this.put(this.table, this.mask, s);
    }
  }
}

const first = (s: Uint8Array) => ((s[0]! << 24) | (s[1]! << 16) | (s[2]! << 8) | s[3]!) >>> 0;

function isZero(s: Uint8Array): boolean {
  for (let i = 0; i < s.length; i++) if (s[i] !== 0) return false;
  return true;
}
