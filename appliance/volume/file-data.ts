// A file's bytes in a volume: the base content tree from the snapshot, read lazily, under
// an overlay of changed leaves. A changed leaf lives in memory until the dirty budget is
// exceeded; then it spills into the store as an ordinary block. So the cache size never
// limits what a user can write. A disk environment's budget has a second tier on disk
// (disk-tier.ts) behind its small heap share: blocks read, spilled or checkpointed go there.
import { corruptData } from '../errors.js';
import { DATA, POINTER, depthFor, fanout, isAllZero, leafCount, leafLength, isZeroScore, type BlockReader } from '../snapshot/index.js';
import { BlockCache, formatScore, type Score } from '../store/index.js';
import type { DiskTier } from './disk-tier.js';

/**
 * An overlay leaf: bytes in memory (blockSize long; `epoch` says which save may still hold
 * it; `lent`: a read reply holds a view of it), a spilled block, or zeros.
 */
export type Leaf = { mem: Buffer; epoch: number; lent?: boolean } | { score: Score } | null;

export interface VolumeCounters {
  bytesRead: number;
  bytesWritten: number;
  bytesFetched: number;
  spilledLeaves: number;
}

const dirtyKey = (file: FileData, index: number) => `${file.ino}:${index}`;
/** How far a sequential reader is read ahead: 16 leaves, 1 MiB at the default block size. */
const READ_AHEAD_LEAVES = 16;

/** The budget and clean cache shared by every file of one volume. */
export class Budget {
  readonly clean: BlockCache;
  dirtyBytes = 0;
  /** Dirty in-memory leaves, oldest first: the spill order. */
  readonly dirty = new Map<string, { file: FileData; index: number }>();
  epoch = 1;
  /**
   * Buffers of spilled leaves, reused for new dirty leaves. A fresh 64 KiB buffer per write
   * lives long enough to reach V8's old generation, and churning it there made full
   * collections a quarter of the 9P write path's CPU. Counted in the budget.
   */
  private readonly spare: Buffer[] = [];
  /** Spilled this turn of the event loop; spare from the next (a read may still be copying). */
  private cooling: Buffer[] = [];

  /** A disk environment's on-disk tier; undefined for a ram environment, whose path stays as it was. */
  tier: DiskTier | undefined;

  constructor(
    readonly cacheBytes: number,
    readonly store: BlockReader & { put(type: number, data: Uint8Array): Promise<Score> },
    readonly blockSize: number,
    readonly counters: VolumeCounters,
  ) {
    this.clean = new BlockCache(cacheBytes);
    this.metaLimit = cacheBytes;
  }

  /**
   * Puts an on-disk tier behind this budget: `cacheBytes` then is only the heap share (hot
   * leaves and dirty data), and the tier holds the rest of the working set on disk.
   */
  attachTier(tier: DiskTier): void { this.tier = tier; }

  /**
   * Reads a block through the volume's clean cache, counting what the store had to supply.
   * `streaming`: for a sequential reader, whose blocks must not push out what the cache holds.
   */
  fetch(score: Score, type: number, length: number, streaming = false): Promise<Buffer> {
    const key = score.toString('hex');
    const hit = this.clean.get(key) ?? this.streamed.get(key);
    if (hit) return Promise.resolve(hit.data);
    // A read-ahead may already be fetching it: share that read.
    let pending = this.fetching.get(key);
    if (!pending) {
      pending = this.fetchFromStore(key, score, streaming).finally(() => this.fetching.delete(key));
      this.fetching.set(key, pending);
    }
    return pending.then((block) => {
      if (block.type !== type || (length >= 0 && block.data.length !== length)) {
        throw corruptData(`block ${formatScore(score)} is type ${block.type} of ${block.data.length} bytes; expected type ${type}${length >= 0 ? ` of ${length}` : ''}`);
      }
      return block.data;
    });
  }

  private readonly fetching = new Map<string, Promise<{ type: number; data: Buffer }>>();

  /**
   * Blocks a sequential reader fetched while the clean cache was full, oldest dropped first.
   * A file read end to end that is larger than the cache would otherwise evict every block
   * before its next pass gets there (LRU under a scan); kept apart, the cache keeps what it
   * has, and the next pass finds that part. Long enough for the read-ahead window; counted
   * in the budget as it holds blocks (empty unless a scan outgrew the cache).
   */
  private readonly streamed = new Map<string, { type: number; data: Buffer }>();
  private readonly streamedMax = READ_AHEAD_LEAVES + 2;

  private keep(key: string, block: { type: number; data: Buffer }, streaming: boolean): void {
    if (!streaming || this.clean.bytes + block.data.length <= this.clean.capacityBytes) { this.clean.set(key, block); return; }
    this.streamed.set(key, block);
    for (const k of this.streamed.keys()) {
      if (this.streamed.size <= this.streamedMax) break;
      this.streamed.delete(k);
    }
  }

  private async fetchFromStore(key: string, score: Score, streaming: boolean): Promise<{ type: number; data: Buffer }> {
    if (this.tier) {
      const cached = await this.tier.get(score, key);
      if (cached) { this.keep(key, cached, streaming); return cached; }
    }
    const block = await this.store.getBlock(score);
    this.counters.bytesFetched += block.data.length;
    this.keep(key, block, streaming);
    this.tier?.admit(block.type, block.data, score, true); // store blocks are never changed
    return block;
  }

  /**
   * Estimated heap of the inode table and directory entries (volume.ts charges it). It
   * shrinks the clean cache and counts with dirty data towards the spill thresholds.
   * `grownBytes` is the part the environment made (new names and inodes, net of removals):
   * past `metaLimit` new names are refused (ENOSPC) rather than the heap growing without
   * bound (200k new directories took 498 MB in a 100 MiB environment). What loading the
   * base costs is bounded by the snapshot, and a lookup is never refused.
   */
  metaBytes = 0;
  grownBytes = 0;
  /** Bytes of metadata the environment may add; the whole budget unless the volume was told otherwise. */
  metaLimit: number;

  chargeMeta(bytes: number, grown = false): void {
    this.metaBytes += bytes;
    if (grown) this.grownBytes += bytes;
    if (bytes > 0) this.clean.resize(this.cleanBudget);
  }

  /** Whether the environment's own metadata has used up its share: new names are refused. */
  get metaFull(): boolean { return this.grownBytes >= this.metaLimit; }

  /**
   * Dirty data plus metadata, as the spill thresholds see it. Metadata counts up to half the
   * budget: past that, dirty data would spill as soon as it is written.
   */
  private get heldBytes(): number { return this.dirtyBytes + Math.min(this.metaBytes, this.cacheBytes / 2); }

  markDirty(file: FileData, index: number, grew: number): void {
    const key = dirtyKey(file, index);
    this.dirty.delete(key);
    this.dirty.set(key, { file, index });
    this.dirtyBytes += grew;
    if (grew) this.clean.resize(this.cleanBudget);
  }

  private get cleanBudget(): number {
    return this.cacheBytes - this.dirtyBytes - this.metaBytes - (this.spare.length + this.cooling.length + this.streamed.size) * this.blockSize;
  }

  /** A blockSize buffer for a new dirty leaf; its contents are garbage until the caller fills it. */
  takeLeaf(): Buffer {
    return this.spare.pop() ?? Buffer.allocUnsafe(this.blockSize);
  }

  /** Takes back a spilled leaf's buffer that nothing else can reach any more. */
  recycle(buf: Buffer): void {
    if ((this.spare.length + this.cooling.length + 1) * this.blockSize > this.cacheBytes / 8) return;
    if (this.cooling.length === 0) {
      setImmediate(() => {
        for (const b of this.cooling) this.spare.push(b);
        this.cooling = [];
      });
    }
    this.cooling.push(buf);
  }

  isDirty(file: FileData, index: number): boolean {
    return this.dirty.has(dirtyKey(file, index));
  }

  forget(file: FileData, index: number, bytes: number): void {
    if (this.dirty.delete(dirtyKey(file, index))) this.dirtyBytes -= bytes;
  }

  private spillRun: Promise<void> | undefined;

  /**
   * Keeps dirty data within the budget. Past 3/4 of it, the oldest dirty leaves are written
   * into the store in the background, down to 5/8, so the write that crossed the line is
   * answered at once. Only a write that finds dirty data over the whole budget waits for the
   * spill, and sees its error (a full disk, say); nothing is lost either way.
   */
  async spillIfNeeded(): Promise<void> {
    if (this.heldBytes <= this.cacheBytes * 0.75 || this.dirtyBytes === 0) return;
    const run = (this.spillRun ??= this.spillOldest().finally(() => { this.spillRun = undefined; }));
    if (this.heldBytes > this.cacheBytes) await run;
    else run.catch(() => {}); // a later write over the budget waits for a spill and sees its error
  }

  private async spillOldest(): Promise<void> {
    try {
      for (const [key, { file, index }] of this.dirty) {
        if (this.heldBytes <= this.cacheBytes * 0.625) break;
        this.dirty.delete(key);
        await file.spill(index);
      }
    } finally {
      this.clean.resize(this.cleanBudget);
    }
  }
}

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
