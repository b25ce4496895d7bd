// The budget and clean cache shared by every file of one volume: what is dirty, what spills,
// what the clean cache holds, and fetching base blocks (read-ahead for sequential readers,
// the disk tier of a disk environment). file-data.ts holds one file's bytes over it.
import { corruptData } from '../errors.js';
import type { BlockReader } from '../snapshot/index.js';
import { BlockCache, formatScore, type Score } from '../store/index.js';
import type { DiskTier } from './disk-tier.js';
import type { FileData } from './file-data.js';

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

const dirtyKey = (file: { ino: number }, index: number) => `${file.ino}:${index}`;
/** How far a sequential reader is read ahead: 16 leaves, 1 MiB at the default block size. */
export const READ_AHEAD_LEAVES = 16;

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
