// The node's disk reserve: room the store leaves free on its filesystem, so the system
// (logs, updates, the index itself) can still write when blocks have filled the disk.
// Free space comes from statfs, asked at most once a second or per 16 MiB written;
// between asks the bytes written since are subtracted, so a burst cannot run past it.
import { statfs } from 'node:fs/promises';
import { ColonyError, fromSystemError } from '../errors.js';

const REFRESH_MS = 1000;
const REFRESH_BYTES = 16 << 20;

export interface ReserveStats { bytes: number; freeBytes: number; refusing: boolean }

/** Whether a write must be refused: pure, so the rule is tested as data. */
export const refuses = (reserve: number, freeBytes: number) => reserve > 0 && freeBytes < reserve;

/** Whether the last statfs answer is too old to trust. */
export const stale = (askedAt: number, now: number, writtenSince: number) =>
  now - askedAt >= REFRESH_MS || writtenSince >= REFRESH_BYTES;

/** Sizes for people: 512 MiB, 1.25 GiB. */
export function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return i === 0 ? `${n} bytes` : `${Number(n.toFixed(2))} ${units[i]}`;
}

export class DiskReserve {
  private free = Number.POSITIVE_INFINITY;
  private askedAt = Number.NEGATIVE_INFINITY;
  private written = 0;

  constructor(readonly bytes: number, private readonly dir: string, private readonly now: () => number = Date.now) {}

  /** Throws COLONY_NO_SPACE when a new block must not be written. Off (free) when the reserve is 0. */
  async check(): Promise<void> {
    if (this.bytes <= 0) return;
    const free = await this.freeBytes();
    if (!refuses(this.bytes, free)) return;
    throw new ColonyError('COLONY_NO_SPACE', `the store keeps ${formatBytes(this.bytes)} free on this disk (free now: ${formatBytes(Math.max(0, free))}); free space or lower store.reserveBytes`);
  }

  /** Counts bytes the store wrote (compaction's too), so the estimate stays honest between asks. */
  wrote(bytes: number): void { this.written += bytes; }

  async stats(): Promise<ReserveStats> {
    if (this.bytes <= 0) return { bytes: 0, freeBytes: await this.freeBytes(), refusing: false };
    const free = await this.freeBytes();
    return { bytes: this.bytes, freeBytes: free, refusing: refuses(this.bytes, free) };
  }

  private async freeBytes(): Promise<number> {
    if (stale(this.askedAt, this.now(), this.written)) {
      try {
        const st = await statfs(this.dir);
        this.free = st.bavail * st.bsize; // what an unprivileged writer may still use
      } catch (err) {
        throw fromSystemError(err, `checking free space under ${this.dir}`);
      }
      this.askedAt = this.now();
      this.written = 0;
    }
    return this.free - this.written;
  }
}
