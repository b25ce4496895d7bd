// An in-memory block source for pure tests of the tree format: the same BLAKE3 scores as
// the store, and counts of every put and get so tests can assert what was touched.
import { loadHash } from '../../../appliance/store/index.js';

export class MemoryBlocks {
  readonly blocks = new Map<string, { type: number; data: Buffer }>();
  puts = 0;
  gets = 0;
  private constructor(private readonly hash: (b: Uint8Array) => Buffer) {}

  static async create(): Promise<MemoryBlocks> { return new MemoryBlocks((await loadHash()).hash); }

  async put(type: number, data: Uint8Array): Promise<Buffer> {
    const score = this.hash(data);
    this.puts++;
    const key = score.toString('hex');
    if (!this.blocks.has(key)) this.blocks.set(key, { type, data: Buffer.from(data) });
    return score;
  }

  async getBlock(score: Buffer): Promise<{ type: number; data: Buffer }> {
    this.gets++;
    const b = this.blocks.get(score.toString('hex'));
    if (!b) throw Object.assign(new Error(`no block ${score.toString('hex')}`), { code: 'COLONY_NOT_FOUND' });
    return b;
  }

  async stats() { return { blocks: this.blocks.size }; }

  countOfType(type: number): number { return [...this.blocks.values()].filter((b) => b.type === type).length; }
}
