// The seam between blocks and everything that uses them. Volumes, the grid and the snapshot
// code take a BlockSource, never the concrete BlockStore, so the supervisor can hand them
// the local store, a MemoryBlockSource, or (later) a peer-backed source that fetches a
// missing block on demand. Every implementation runs test/conformance/block-source.ts.
import type { Score } from './score.js';

/**
 * Write-once blocks named by their BLAKE3-256 score.
 *
 * Concurrency: every method may run alongside any other, from any number of callers.
 * Concurrent puts of the same bytes all return the same score and store it once; a get
 * that starts after a put returned finds the block. `sync` covers every put that returned
 * before it was called.
 */
export interface BlockSource {
  /**
   * Stores `data` under its score and returns the score. The bytes are copied: the caller
   * may reuse its buffer at once. Bytes already held are not stored again.
   * COLONY_INVALID for a type outside 0..254, COLONY_TOO_LARGE past `maxBlockBytes`.
   */
  put(type: number, data: Uint8Array): Promise<Score>;
  /** The block's bytes, never bytes that do not hash to `score`. Read-only (may be shared). COLONY_NOT_FOUND when unknown. */
  get(score: Score): Promise<Buffer>;
  /** The block with the type it was put with; as `get`. */
  getBlock(score: Score): Promise<{ type: number; data: Buffer }>;
  has(score: Score): Promise<boolean>;
  /** `has` for many scores, in order; implementations batch their lookups. */
  hasMany(scores: Score[]): Promise<boolean[]>;
  /** The durability barrier: resolves once every earlier put will survive a crash (a no-op where nothing is durable). */
  sync(): Promise<void>;
  /** The largest block `put` accepts, in bytes. */
  readonly maxBlockBytes: number;
}
