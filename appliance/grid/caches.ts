// Where each environment's cache lives. A ram environment's volume keeps its whole cache on
// the heap. A disk environment's gets its heap share (¾ for leaves, ¼ for disk writes in
// flight) and a disk tier of diskCacheBytes under DATA/envs/NAME/, kept across restarts and
// removed by boom. Concurrency: one call per environment name at a time (the grid holds
// the name in `starting` while it opens or drops a cache).
import { statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { fromSystemError } from '../errors.js';
import { ensureDir } from '../files.js';
import type { Log } from '../log.js';
import type { BlockSource, Score } from '../store/index.js';
import { DiskTier, Volume } from '../volume/index.js';
import type { CacheKind, GridLimits } from './policy.js';

export class EnvCaches {
  private readonly tiers = new Map<string, DiskTier>();

  constructor(private readonly dir: string, private readonly store: BlockSource, private readonly limits: GridLimits, private readonly log: Log) {}

  /** A volume over `root` with the cache of `kind`; a disk tier's files are reused if there. */
  async open(name: string, kind: CacheKind, root: Score): Promise<Volume> {
    if (kind === 'ram') return Volume.open(this.store, root, { cacheBytes: this.limits.ramCacheBytes });
    const heap = this.limits.diskHeapBytes;
    const volume = await Volume.open(this.store, root, { cacheBytes: heap - Math.floor(heap / 4) });
    const tier = await DiskTier.open(join(this.dir, name), {
      capacityBytes: this.limits.diskCacheBytes, slotBytes: volume.blockSize, maxPendingBytes: Math.floor(heap / 4), log: this.log.child({ env: name }),
    });
    volume.budget.attachTier(tier);
    this.tiers.set(name, tier);
    return volume;
  }

  tierOf(name: string): DiskTier | undefined { return this.tiers.get(name); }

  /** Free bytes on the disk that holds the caches, and what running caches may still take of it. */
  async diskRoom(): Promise<{ freeBytes: number; unfilledBytes: number }> {
    await ensureDir(this.dir);
    const fs = await statfs(this.dir).catch((err) => { throw fromSystemError(err, `checking free space in ${this.dir}`); });
    let unfilledBytes = 0;
    for (const t of this.tiers.values()) unfilledBytes += Math.max(0, this.limits.diskCacheBytes - t.stats().bytes);
    return { freeBytes: fs.bavail * fs.bsize, unfilledBytes };
  }

  /** After a checkpoint: not needed for it (the store holds it), but keeps the cache warm after a crash. */
  async sync(name: string): Promise<void> {
    await this.tiers.get(name)?.sync().catch((err) => this.log.warn({ env: name, err }, 'disk cache sync failed'));
  }

  /** Lets go of a disk environment's tier: closed (kept for a restart) or removed with its files. */
  async drop(name: string, remove: boolean): Promise<void> {
    const tier = this.tiers.get(name);
    this.tiers.delete(name);
    await tier?.close();
    if (remove) await DiskTier.remove(join(this.dir, name)).catch((err) => this.log.warn({ env: name, err }, 'could not remove the disk cache'));
  }
}
