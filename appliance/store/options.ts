// The store's options with their defaults, and the shapes its stats and events take.
import type { Log } from '../log.js';
import type { CompressMode } from './codec.js';
import type { HashBackend } from './hash.js';
import type { ReserveStats } from './reserve.js';
import type { Score } from './score.js';

export const MiB = 1 << 20;
export const STORE_DEFAULTS = {
  arenaBytes: 512 * MiB,
  maxBlockBytes: 1 * MiB,
  cacheBytes: 64 * MiB,
  /** Unsynced data past this is synced on its own, bounding memory and recovery time. */
  autoSyncBytes: 256 * MiB,
  writeBufferBytes: 4 * MiB,
  /** The write buffer is let go after this long without a put, so an idle store does not hold it. */
  writeBufferIdleMs: 10_000,
  /** Free space on the store's filesystem that new blocks never use (0: no reserve). */
  reserveBytes: 0,
  /** 'auto': blocks that shrink by an eighth are stored compressed (codec.ts); 'off': none are (reads still decode). */
  compress: 'auto' as CompressMode,
};

export interface StoreOptions extends Partial<typeof STORE_DEFAULTS> { log?: Log }

export interface StoredBlock { pos: number; score: Score; type: number; data: Buffer }

export interface StoreStats {
  /** `bytes`: the blocks' logical (uncompressed) bytes; `diskBytes`: the arena files, headers and seals included. */
  blocks: number; bytes: number; diskBytes: number;
  /** The codec new blocks are written with ('none' when compression is off). */
  compression: string;
  arenas: number; sealedArenas: number; arenaBytes: number; maxBlockBytes: number;
  logPosition: number; durablePosition: number; unsyncedBlocks: number;
  cache: { bytes: number; capacity: number; blocks: number; hits: number; misses: number };
  /** Bytes of write buffer held now: it is made at the first put and let go once puts stop. */
  writeBufferBytes: number;
  /** Since open: new blocks written and read from the arenas (bytes as stored), and reads that found a block corrupt. */
  io: { blocksWritten: number; bytesWritten: number; blocksRead: number; bytesRead: number; corruptReads: number };
  hash: HashBackend;
  reserve: ReserveStats;
}

/** What a sync that moved the durable head tells `onAppend` listeners: the head before and after. */
export interface AppendEvent { from: number; head: number }
export type AppendListener = (event: AppendEvent) => void;
