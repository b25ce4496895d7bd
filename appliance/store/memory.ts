// A BlockSource in memory: the same scores and the same errors as the store, nothing
// durable. For tests of the layers above, and as the simplest source a wrapper (a cache, a
// peer fetcher) can stand in front of. Counts puts and gets so tests can say what was touched.
import { invalid, notFound, tooLarge } from '../errors.js';
import type { BlockSource } from './block-source.js';
import { loadHash } from './hash.js';
import { MAX_BLOCK_TYPE } from './record.js';
import { formatScore, type Score } from './score.js';
import { STORE_DEFAULTS } from './store.js';

export interface MemoryBlockSourceOptions { maxBlockBytes?: number }

export class MemoryBlockSource implements BlockSource {
  /** Held blocks by score hex; exposed for tests that inspect what was stored. */
  readonly blocks = new Map<string, { type: number; data: Buffer }>();
  /** Calls of put (including repeats of known bytes) and of get/getBlock. */
  puts = 0;
  gets = 0;
  private bytes = 0;

  private constructor(private readonly hash: (b: Uint8Array) => Buffer, readonly maxBlockBytes: number) {}

  static async create(opts: MemoryBlockSourceOptions = {}): Promise<MemoryBlockSource> {
    return new MemoryBlockSource((await loadHash()).hash, opts.maxBlockBytes ?? STORE_DEFAULTS.maxBlockBytes);
  }

  async put(type: number, data: Uint8Array): Promise<Score> {
    if (!Number.isInteger(type) || type < 0 || type > MAX_BLOCK_TYPE) throw invalid(`block type ${type} is out of range 0..${MAX_BLOCK_TYPE}`);
    if (data.length > this.maxBlockBytes) throw tooLarge(`a block of ${data.length} bytes is over the limit of ${this.maxBlockBytes}`);
    this.puts++;
    const score = this.hash(data);
    const key = score.toString('hex');
    if (!this.blocks.has(key)) {
      this.blocks.set(key, { type, data: Buffer.from(data) });
      this.bytes += data.length;
    }
    return score;
  }

  async get(score: Score): Promise<Buffer> {
    return (await this.getBlock(score)).data;
  }

  async getBlock(score: Score): Promise<{ type: number; data: Buffer }> {
    this.gets++;
    const block = this.blocks.get(score.toString('hex'));
    if (!block) throw notFound(`block ${formatScore(score)}`);
    return block;
  }

  async has(score: Score): Promise<boolean> {
    return this.blocks.has(score.toString('hex'));
  }

  async hasMany(scores: Score[]): Promise<boolean[]> {
    return scores.map((s) => this.blocks.has(s.toString('hex')));
  }

  async sync(): Promise<void> {}

  /** What an import counts (`blocksWritten`), in the shape the store's stats have. */
  async stats(): Promise<{ blocks: number; bytes: number }> {
    return { blocks: this.blocks.size, bytes: this.bytes };
  }
}
