// The append-only event log in LevelDB. It only stores and reads events; what they mean
// is state.ts's business. Every batch is written with sync, so an append that returned
// is on stable storage.
import type { ClassicLevel } from 'classic-level';
import { openLevel } from '../level.js';
import { corruptData, fromSystemError, internal, unsupported } from '../errors.js';
import { allEventsRange, decodeEventKey, describeKey, encodeEvent, eventKey, META_PREFIX, originRange, parseEvent, reason, type CatalogEvent } from './event.js';

const FORMAT = 1;
const formatKey = Buffer.concat([Buffer.from([META_PREFIX]), Buffer.from('format')]);

export class EventLog {
  private constructor(private readonly db: ClassicLevel<Buffer, Buffer>, readonly path: string) {}

  static async open(path: string): Promise<EventLog> {
    const db = await openLevel(path, 'the catalog');
    const log = new EventLog(db, path);
    try {
      await log.checkFormat();
    } catch (err) {
      await db.close().catch(() => {});
      throw err;
    }
    return log;
  }

  private async checkFormat(): Promise<void> {
    const v = await this.db.get(formatKey);
    if (v === undefined) {
      await this.write([{ type: 'put', key: formatKey, value: Buffer.from(String(FORMAT)) }]);
    } else if (v.toString() !== String(FORMAT)) {
      throw unsupported(`the catalog ${this.path} has format ${JSON.stringify(v.toString().slice(0, 20))}; this version reads format ${FORMAT}`);
    }
  }

  private async write(ops: Array<{ type: 'put'; key: Buffer; value: Buffer }>): Promise<void> {
    try { await this.db.batch(ops, { sync: true }); } catch (err) { throw fromSystemError(err, `writing the catalog ${this.path}`); }
  }

  /** Appends events in one atomic, durable batch. The caller has checked seq continuity. */
  async append(events: CatalogEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.write(events.map((e) => ({ type: 'put' as const, key: eventKey(e.origin, e.seq), value: encodeEvent(e) })));
  }

  /**
   * Replaces some of one origin's events in place: `change` returns the new event (same
   * origin and seq) or undefined to keep it. Batches of 1000, each atomic and durable.
   * Returns how many were replaced.
   */
  async rewriteOrigin(origin: string, change: (e: CatalogEvent) => CatalogEvent | undefined): Promise<number> {
    let after = 0;
    let count = 0;
    for (;;) {
      const batch = await this.since(origin, after, 1000);
      if (batch.length === 0) return count;
      const changed = batch.map(change).filter((e): e is CatalogEvent => e !== undefined);
      const seqs = new Set(batch.map((e) => e.seq));
      if (changed.some((e) => e.origin !== origin || !seqs.has(e.seq))) throw internal('rewriteOrigin: an event changed its origin or seq');
      await this.append(changed);
      count += changed.length;
      after = batch[batch.length - 1]!.seq;
    }
  }

  /** The stored bytes of one event, for comparing a re-sent event with ours. */
  async getRaw(origin: string, seq: number): Promise<Buffer | undefined> {
    return this.db.get(eventKey(origin, seq));
  }

  /**
   * Every event in key order (origin, then seq), each checked: its value must parse,
   * agree with its key, and each origin's seqs must run 1, 2, 3… A bad one is an error
   * naming the key; it is never skipped, since state built without it would be wrong.
   */
  async *readAll(): AsyncGenerator<CatalogEvent> {
    let origin = '';
    let expect = 1;
    for await (const [k, v] of this.db.iterator(allEventsRange())) {
      const e = this.decode(k, v);
      if (e.origin !== origin) { origin = e.origin; expect = 1; }
      if (e.seq !== expect) {
        throw corruptData(`catalog ${this.path}: ${describeKey(k)} follows ${origin}#${expect - 1}; events ${origin}#${expect}..${e.seq - 1} are missing`);
      }
      expect++;
      yield e;
    }
  }

  /** Events of one origin with seq > after, in seq order, at most `limit`. */
  async since(origin: string, after: number, limit: number): Promise<CatalogEvent[]> {
    const out: CatalogEvent[] = [];
    for await (const [k, v] of this.db.iterator({ ...originRange(origin, after), limit })) out.push(this.decode(k, v));
    return out;
  }

  private decode(k: Buffer, v: Buffer): CatalogEvent {
    const key = decodeEventKey(k);
    if (typeof key === 'string') throw corruptData(`catalog ${this.path}: ${describeKey(k)}: ${key}`);
    let e: CatalogEvent;
    try {
      e = parseEvent(JSON.parse(v.toString('utf8')));
    } catch (err) {
      throw corruptData(`catalog ${this.path}: ${describeKey(k)} does not hold a valid event: ${reason(err)}`, err);
    }
    if (e.origin !== key.origin || e.seq !== key.seq) {
      throw corruptData(`catalog ${this.path}: ${describeKey(k)} holds event ${e.origin}#${e.seq}`);
    }
    return e;
  }

  async close(): Promise<void> { await this.db.close(); }
}
