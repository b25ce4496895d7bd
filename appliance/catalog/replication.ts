// The catalog's side of replication. Sending: the events a peer lacks, never unsigned
// ones. Receiving: a batch is checked before any of it is written: parse, group by
// origin, skip what is held (after checking it is the same bytes), refuse gaps, and check
// every new event's signature. Throws on the first problem, so a batch is all or nothing.
import { exists, invalid } from '../errors.js';
import type { EventLog } from './event-log.js';
import { encodeEvent, parseEvent, reason, type CatalogEvent, type Vector } from './event.js';
import { signEvent, verifyEvent, type Signer } from './signing.js';
import { vectorOf, type CatalogState } from './state.js';

/** The events a replica at `vector` lacks, by origin then seq; at most `limit`, each origin's part contiguous. */
export async function eventsSince(db: EventLog, state: CatalogState, vector: Vector, limit: number): Promise<CatalogEvent[]> {
  let left = limit;
  if (!Number.isSafeInteger(left) || left < 1) throw invalid(`limit must be a positive integer, not ${left}`);
  const out: CatalogEvent[] = [];
  for (const [origin, head] of Object.entries(vectorOf(state))) {
    const after = vector[origin] ?? 0;
    if (!Number.isSafeInteger(after) || after < 0) throw invalid(`vector entry for ${origin} must be a non-negative integer`);
    if (after >= head || left === 0) continue;
    const got = await db.since(origin, after, left);
    const unsigned = got.findIndex((e) => e.sig === undefined); // kept local: peers refuse them
    if (unsigned >= 0) got.length = unsigned;
    out.push(...got);
    left -= got.length;
  }
  return out;
}

export type Batch = Map<string, Map<number, CatalogEvent>>;

/** Parses and groups a batch by origin; duplicates must be the same event. No I/O, no state. */
export function parseBatch(events: unknown[]): Batch {
  if (!Array.isArray(events)) throw invalid('applyRemote takes an array of events');
  const byOrigin: Batch = new Map();
  events.forEach((raw, i) => {
    let e: CatalogEvent;
    try { e = parseEvent(raw); } catch (err) { throw invalid(`remote event ${i}: ${reason(err)}`, err); }
    let m = byOrigin.get(e.origin);
    if (!m) byOrigin.set(e.origin, (m = new Map()));
    const twin = m.get(e.seq);
    if (twin && !encodeEvent(twin).equals(encodeEvent(e))) throw invalid(`two different events ${e.origin}#${e.seq} in one batch`);
    m.set(e.seq, e);
  });
  return byOrigin;
}

/** The batch's new events, each origin's in seq order and continuing what is held, all signatures checked. */
export async function freshEvents(db: EventLog, state: CatalogState, batch: Batch): Promise<{ fresh: CatalogEvent[]; skipped: number }> {
  const fresh: CatalogEvent[] = [];
  let skipped = 0;
  const keys = new Map();
  for (const [origin, m] of batch) {
    const head = state.vector.get(origin) ?? 0;
    let bound = state.signers.get(origin);
    let next = head + 1;
    for (const e of [...m.values()].sort((a, b) => a.seq - b.seq)) {
      if (e.seq <= head) {
        const ours = await db.getRaw(origin, e.seq);
        if (!ours || !ours.equals(encodeEvent(e))) throw exists(`event ${origin}#${e.seq} with different content`);
        skipped++;
      } else if (e.seq !== next) {
        throw invalid(`events from ${origin} have a gap: this catalog holds up to #${next - 1} and the batch continues at #${e.seq}`);
      } else {
        verifyEvent(e, bound, keys);
        if (e.seq === 1) bound = e.signer;
        fresh.push(e);
        next++;
      }
    }
  }
  return { fresh, skipped };
}

/**
 * Signs this node's own unsigned events (written before signing existed, or by a tool
 * that opened the catalog without the key) in place; returns how many. Safe because no
 * peer holds an unsigned copy: eventsSince never sends one and peers refuse them. The
 * state does not change, except that the origin is now bound to the key of its #1.
 */
export async function signOwnHistory(db: EventLog, state: CatalogState, origin: string, signer: Signer): Promise<number> {
  const n = await db.rewriteOrigin(origin, (e) => (e.sig === undefined ? signEvent(e, signer) : undefined));
  const [first] = await db.since(origin, 0, 1);
  if (first?.signer) state.signers.set(origin, first.signer);
  return n;
}
