// The score → location index in LevelDB. It is a cache of what the arenas say, so it can
// be deleted and rebuilt at any time. Keys: 0x01+score for entries, 0x00+name for meta.
import { rm } from 'node:fs/promises';
import type { ClassicLevel } from 'classic-level';
import { openLevel } from '../level.js';
import { fromSystemError } from '../errors.js';
import { decodeLocation, encodeLocation, type Location } from './record.js';

const ENTRY = 0x01;
const META = 0x00;
const entryKey = (score: Uint8Array) => { const k = Buffer.allocUnsafe(1 + score.length); k[0] = ENTRY; k.set(score, 1); return k; };
const metaKey = (name: string) => Buffer.concat([Buffer.from([META]), Buffer.from(name)]);

/** What the index knows about the log as a whole, updated with every durable batch. */
export interface IndexMeta {
  /** Log position up to which every record is durable and indexed. */
  checkpoint: number;
  blocks: number;
  bytes: number;
}

export class BlockIndex {
  private constructor(private readonly db: ClassicLevel<Buffer, Buffer>, readonly path: string) {}

  static async open(path: string): Promise<BlockIndex> {
    const db = await openLevel(path, 'the store index');
    return new BlockIndex(db, path);
  }

  static async destroy(path: string): Promise<void> {
    await rm(path, { recursive: true, force: true });
  }

  get(score: Uint8Array): Location | undefined {
    const v = this.db.getSync(entryKey(score));
    return v === undefined ? undefined : decodeLocation(v);
  }

  async getMany(scores: Uint8Array[]): Promise<Array<Location | undefined>> {
    const values = await this.db.getMany(scores.map(entryKey));
    return values.map((v) => (v === undefined ? undefined : decodeLocation(v)));
  }

  /** Whether each score has an entry: LevelDB answers with a bitset, no values copied or decoded. */
  async hasMany(scores: Uint8Array[]): Promise<boolean[]> {
    return this.db.hasMany(scores.map(entryKey));
  }

  async meta(): Promise<IndexMeta | undefined> {
    const v = await this.db.get(metaKey('meta'));
    if (v === undefined) return undefined;
    return JSON.parse(v.toString()) as IndexMeta;
  }

  /** Writes entries, deletions and the new meta in one atomic, optionally durable batch. */
  async commit(puts: Array<[Uint8Array, Location]>, dels: Uint8Array[], meta: IndexMeta, sync: boolean): Promise<void> {
    const ops = [
      ...puts.map(([s, loc]) => ({ type: 'put' as const, key: entryKey(s), value: encodeLocation(loc) })),
      ...dels.map((s) => ({ type: 'del' as const, key: entryKey(s) })),
      { type: 'put' as const, key: metaKey('meta'), value: Buffer.from(JSON.stringify(meta)) },
    ];
    try { await this.db.batch(ops, { sync }); } catch (err) { throw fromSystemError(err, `writing the index ${this.path}`); }
  }

  /** Every entry, in score order. Used by rare paths: recovery after damage, verify, GC. */
  async *entries(): AsyncGenerator<[Buffer, Location]> {
    for await (const batch of this.entryBatches()) yield* batch;
  }

  /**
   * Every entry in score order, a few thousand at a time: a whole-index pass (GC) costs about
   * a third of what one promise per entry does.
   */
  async *entryBatches(size = 4096): AsyncGenerator<Array<[Buffer, Location]>> {
    const it = this.db.iterator({ gte: Buffer.from([ENTRY]), lt: Buffer.from([ENTRY + 1]) });
    try {
      for (;;) {
        const batch = await it.nextv(size);
        if (batch.length === 0) return;
        yield batch.map(([k, v]) => [k.subarray(1), decodeLocation(v)] as [Buffer, Location]);
      }
    } finally {
      await it.close();
    }
  }

  async close(): Promise<void> { await this.db.close(); }
}
