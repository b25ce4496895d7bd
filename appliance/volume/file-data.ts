// A file's bytes in a volume: the base content tree from the snapshot, read lazily, under
// an overlay of changed leaves. A changed leaf lives in memory until the dirty budget is
// exceeded; then it spills into the store as an ordinary block. So the cache size never
// limits what a user can write. A disk environment's budget has a second tier on disk
// (disk-tier.ts) behind its small heap share: blocks read, spilled or checkpointed go there.
import { corruptData } from '../errors.js';
import { DATA, POINTER, depthFor, fanout, isAllZero, leafCount, leafLength, isZeroScore } from '../snapshot/index.js';
import { formatScore, type Score } from '../store/index.js';
import { READ_AHEAD_LEAVES, type Budget, type Leaf } from './budget.js';

/** What a save needs of one file, taken at one instant. */
export interface FileCapture {
  baseScore: Score;
  baseSize: number;
  baseInline: Buffer | null;
  baseVisible: number;
  size: number;
  leaves: Map<number, Leaf>;
}

const zeros = (n: number) => Buffer.alloc(n);
/** Zeros nobody writes to, to lend out as views: grown to the largest length asked. */
let sharedZeros = Buffer.alloc(0);
const zeroView = (n: number) => {
  if (sharedZeros.length < n) sharedZeros = Buffer.alloc(n);
  return sharedZeros.subarray(0, n);
};


export class FileData {
  readonly leaves = new Map<number, Leaf>();
  /** Base bytes at or past this offset are hidden (a truncate cut them off). */
  baseVisible: number;
  size: number;

  constructor(
    readonly ino: number,
    private readonly budget: Budget,
    public baseScore: Score,
    public baseSize: number,
    public baseInline: Buffer | null,
  ) {
    this.size = baseSize;
    this.baseVisible = baseSize;
  }

  private get bs() { return this.budget.blockSize; }

  /** The score of base leaf i, walking pointer blocks (raw, no decoding of siblings). */
  private async baseLeafScore(i: number): Promise<Score | null> {
    const f = fanout(this.bs);
    let node: Score = this.baseScore;
    for (let h = depthFor(this.baseSize, this.bs); h >= 1; h--) {
      if (isZeroScore(node)) return null;
      const ptrs = await this.budget.fetch(node, POINTER, -1);
      const c = Math.floor(i / f ** (h - 1)) % f;
      if (ptrs.length < (c + 1) * 32) throw corruptData(`pointer block ${formatScore(node)} is too short`);
      node = ptrs.subarray(c * 32, c * 32 + 32);
    }
    return isZeroScore(node) ? null : node;
  }

  /** Leaf i of the base as it is visible now (null: all zero), blockSize bytes or fewer. */
  private async baseLeaf(i: number, streaming: boolean): Promise<Buffer | null> {
    const start = i * this.bs;
    if (start >= this.baseVisible) return null;
    let data: Buffer | null;
    if (this.baseInline) data = i === 0 ? this.baseInline : null;
    else if (i >= leafCount(this.baseSize, this.bs)) data = null;
    else {
      const score = await this.baseLeafScore(i);
      data = score ? await this.budget.fetch(score, DATA, leafLength(this.baseSize, this.bs, i), streaming) : null;
    }
    if (data && start + data.length > this.baseVisible) {
      data = Buffer.concat([data.subarray(0, this.baseVisible - start), zeros(start + data.length - this.baseVisible)]);
    }
    return data;
  }

  /** Leaf i as it reads now: bytes (possibly shorter than blockSize) or null for zeros. */
  async leaf(i: number, streaming = false): Promise<Buffer | null> {
    const o = this.leaves.get(i);
    if (o === undefined) return this.baseLeaf(i, streaming);
    if (o === null) return null;
    if ('mem' in o) return o.mem;
    return this.budget.fetch(o.score, DATA, this.bs, streaming);
  }

  /** A read-only view of a capture, for a save to read from while the live file moves on. */
  static fromCapture(budget: Budget, cap: FileCapture): FileData {
    const view = new FileData(-1, budget, cap.baseScore, cap.baseSize, cap.baseInline);
    for (const [i, leaf] of cap.leaves) view.leaves.set(i, leaf);
    view.size = cap.size;
    view.baseVisible = cap.baseVisible;
    return view;
  }

  /** Where the last read ended, and the first leaf a read-ahead has not asked for yet. */
  private readEnd = 0;
  private readAheadFrom = 0;

  /**
   * Asks for the leaves after a sequential read before the reader does, so that the store's
   * disk reads and checks overlap the round trip to the client. Only leaves the store holds
   * are fetched; errors surface when the reader gets there. Asked on the next turn of the
   * event loop: the store's work to start a read is CPU that this read's reply should not
   * wait for (a 9P server writes it within this turn).
   */
  private readAhead(next: number): void {
    const from = Math.max(next, this.readAheadFrom);
    const to = Math.min(next + READ_AHEAD_LEAVES, Math.ceil(this.size / this.bs));
    if (to <= from) return;
    this.readAheadFrom = to;
    setImmediate(() => {
      // Leaves the reader has passed meanwhile (it did not wait for this turn) are not wanted.
      for (let i = Math.max(from, Math.floor(this.readEnd / this.bs)); i < to; i++) {
        const o = this.leaves.get(i);
        if (o === null || (o && 'mem' in o)) continue;
        this.leaf(i, true).catch(() => {});
      }
    });
  }

  /** Notes a read from `offset` to `end`, and reads ahead if it follows the previous one. */
  private noteRead(offset: number, end: number): boolean {
    const sequential = offset === this.readEnd;
    if (sequential) this.readAhead(Math.ceil(end / this.bs));
    else this.readAheadFrom = 0;
    this.readEnd = end;
    return sequential;
  }

  /**
   * Reads as pieces that together are the bytes asked for, without joining them: views of
   * the leaves where they are long enough, so a reader sending them on copies nothing. Store
   * blocks never change; an in-memory leaf lent out is marked, so that no write changes it
   * in place and no spill reuses its buffer (see `mutable` and `spill`). Pieces must not be
   * written to.
   */
  async readv(offset: number, length: number): Promise<Buffer[]> {
    const end = Math.min(this.size, offset + length);
    const streaming = this.noteRead(offset, end);
    const out: Buffer[] = [];
    for (let i = Math.floor(offset / this.bs); i * this.bs < end; i++) {
      const from = Math.max(offset, i * this.bs) - i * this.bs;
      const to = Math.min(end, (i + 1) * this.bs) - i * this.bs;
      // An in-memory leaf is taken without a pause, so it is marked before anything can change it.
      const o = this.leaves.get(i);
      const mem = o && 'mem' in o ? o : undefined;
      const data = mem ? mem.mem : await this.leaf(i, streaming);
      const has = data ? Math.max(from, Math.min(to, data.length)) : from;
      if (has > from) {
        const piece = data!.subarray(from, has);
        if (!mem) out.push(piece);
        // A quarter of a leaf or more is lent: the leaf's next write then copies it, at most
        // four times the copy saved here; a shorter piece costs less to copy now.
        else if (piece.length * 4 >= this.bs) { mem.lent = true; out.push(piece); }
        else out.push(Buffer.from(piece));
      }
      if (to > has) out.push(zeroView(to - has));
    }
    this.budget.counters.bytesRead += Math.max(0, end - offset);
    return out;
  }

  async read(offset: number, length: number, count = true): Promise<Buffer> {
    const end = Math.min(this.size, offset + length);
    if (count) this.noteRead(offset, end);
    if (offset >= end) return Buffer.alloc(0);
    const first = Math.floor(offset / this.bs);
    const o = this.leaves.get(first);
    if (Math.floor((end - 1) / this.bs) === first && o !== null && !(o && 'mem' in o)) {
      // Inside one leaf the store supplied: a view, no copy. Store blocks never change (a
      // write copies the leaf first), unlike the volume's own leaves, which are reused.
      const data = await this.leaf(first);
      const base = first * this.bs;
      if (data && data.length >= end - base) {
        if (count) this.budget.counters.bytesRead += end - offset;
        return data.subarray(offset - base, end - base);
      }
    }
    // Not zero-filled up front: every byte is either copied or zeroed below (sparse leaves,
    // short leaves), so a large read is written once, not twice.
    const out = Buffer.allocUnsafe(end - offset);
    for (let i = first; i * this.bs < end; i++) {
      const data = await this.leaf(i);
      const from = Math.max(offset, i * this.bs);
      const leafEnd = Math.min(end, (i + 1) * this.bs);
      const to = data ? Math.min(leafEnd, i * this.bs + data.length) : from;
      if (to > from) data!.copy(out, from - offset, from - i * this.bs, to - i * this.bs);
      if (leafEnd > Math.max(from, to)) out.fill(0, Math.max(from, to) - offset, leafEnd - offset);
    }
    if (count) this.budget.counters.bytesRead += out.length;
    return out;
  }

  /** A leaf this save epoch may change in place: copied first if a capture still holds it. */
  private async mutable(i: number): Promise<Buffer> {
    const o = this.leaves.get(i);
    if (o && 'mem' in o && o.epoch === this.budget.epoch && !o.lent) return o.mem;
    const current = o && 'mem' in o ? o.mem : await this.leaf(i);
    const buf = this.budget.takeLeaf();
    const kept = current ? current.copy(buf, 0, 0, Math.min(current.length, this.bs)) : 0;
    buf.fill(0, kept);
    const wasMem = !!(o && 'mem' in o);
    this.leaves.set(i, { mem: buf, epoch: this.budget.epoch });
    this.budget.markDirty(this, i, wasMem ? 0 : this.bs);
    return buf;
  }

  async write(offset: number, data: Buffer): Promise<void> {
    const end = offset + data.length;
    for (let i = Math.floor(offset / this.bs); i * this.bs < end; i++) {
      const buf = await this.mutable(i);
      const from = Math.max(offset, i * this.bs);
      const to = Math.min(end, (i + 1) * this.bs);
      data.copy(buf, from - i * this.bs, from - offset, to - offset);
      this.budget.markDirty(this, i, 0);
    }
    if (end > this.size) this.size = end;
    this.budget.counters.bytesWritten += data.length;
    await this.budget.spillIfNeeded();
  }

  async truncate(size: number): Promise<void> {
    if (size < this.size) {
      const keep = Math.ceil(size / this.bs);
      for (const [i, o] of [...this.leaves]) {
        if (i < keep) continue;
        this.leaves.delete(i);
        if (o && 'mem' in o) this.budget.forget(this, i, this.bs);
      }
      if (size % this.bs) (await this.mutable(keep - 1)).fill(0, size % this.bs);
      this.baseVisible = Math.min(this.baseVisible, size);
    }
    this.size = size;
  }

  /** Moves an in-memory leaf into the store (called by the budget). */
  async spill(i: number): Promise<void> {
    const o = this.leaves.get(i);
    if (!o || !('mem' in o)) return;
    this.budget.dirtyBytes -= this.bs;
    const epoch = this.budget.epoch;
    // Only this file holds the buffer unless a save captured it in an earlier epoch.
    const ours = o.epoch === epoch;
    // Frozen while the store copies it: a write meanwhile copies the leaf (see `mutable`).
    o.epoch = 0;
    let score: Score | null = null;
    let failure: unknown;
    try {
      score = isAllZero(o.mem) ? null : await this.budget.store.put(DATA, o.mem);
    } catch (err) {
      failure = err;
    }
    const now = this.leaves.get(i);
    if (now !== o || failure !== undefined) {
      // The leaf is dirty again: the store refused it (it stays in memory), or a write made a
      // newer leaf from it, which wins.
      if (now === o) this.budget.markDirty(this, i, this.bs);
      else if (now && 'mem' in now && this.budget.isDirty(this, i)) this.budget.dirtyBytes += this.bs;
      if (failure !== undefined) throw failure;
      return;
    }
    this.leaves.set(i, score ? { score } : null);
    this.budget.counters.spilledLeaves++;
    // Copied before the buffer is recycled; waiting for the disk slows the spill, not the cache.
    if (score && this.budget.tier) await this.budget.tier.admitWhenRoom(DATA, o.mem, score);
    if (ours && !o.lent && this.budget.epoch === epoch) this.budget.recycle(o.mem);
  }

  /** Everything a save needs, at this instant; later writes copy the leaves they touch. */
  capture(): FileCapture {
    return {
      baseScore: this.baseScore, baseSize: this.baseSize, baseInline: this.baseInline, baseVisible: this.baseVisible,
      size: this.size, leaves: new Map(this.leaves),
    };
  }

  /** After a save: the saved content becomes the base, and the overlay starts empty. */
  rebase(score: Score, size: number, inline: Buffer | null): void {
    const tier = this.budget.tier;
    for (const [i, o] of this.leaves) {
      if (!o || !('mem' in o)) continue;
      this.budget.forget(this, i, this.bs);
      // The saved leaf is these bytes cut to the file's length: keep it on disk, so the heap
      // can let it go and the next read (after a restart too) does not go to the store.
      if (tier && !inline && i < leafCount(size, this.bs)) {
        const leaf = o.mem.subarray(0, leafLength(size, this.bs, i));
        if (!isAllZero(leaf)) tier.admit(DATA, leaf, undefined, true); // no write reaches a rebased buffer
      }
    }
    this.leaves.clear();
    this.baseScore = score;
    this.baseSize = size;
    this.baseInline = inline;
    this.baseVisible = size;
    this.size = size;
  }

  /** Releases the budget when the file is gone. */
  drop(): void {
    for (const [i, o] of this.leaves) if (o && 'mem' in o) this.budget.forget(this, i, this.bs);
    this.leaves.clear();
  }

  get dirtyLeaves(): number { return this.leaves.size; }
  get changed(): boolean { return this.leaves.size > 0 || this.size !== this.baseSize || this.baseVisible !== this.baseSize; }
}
