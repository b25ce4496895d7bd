// The receiver's side of block replication, pure: which blocks to ask a peer for, how far
// that peer's cursor may move, and what a saved cursor means when the peer's log changed.
// The session (the libp2p protocol) does the effects: it reads a page of the peer's log
// (`BlockStore.entriesSince` over there), asks its own store `hasMany`, plans here, then per
// batch fetches and `putVerified`s, syncs, and moves and persists the cursor.
//
// Mesh rule: a block is fetched once, whichever peer listed it first. A block already
// requested from another peer is not asked for again; the entry waits, and the cursor for
// this peer stays before it until the block is local (if that fetch fails, the next plan
// of the same page asks this peer).
import { internal, invalid } from '../errors.js';
import type { Score } from '../store/score.js';

/** An index entry of the peer's log, as `entriesSince` gives it. */
export interface RemoteEntry { pos: number; end: number; score: Score; type: number; size: number }
/** A page of the peer's log: its entries and where the next page starts. */
export interface RemotePage { entries: readonly RemoteEntry[]; next: number }

export const WANT_DEFAULTS = {
  /** Scores per request: one request's answer is what a restart (even after a power loss) may fetch twice. */
  maxScores: 256,
  /** Bytes per request, by the sizes the peer listed; a larger single block goes alone. */
  maxBytes: 16 << 20,
};

export interface WantsInput {
  entries: readonly RemoteEntry[];
  /** `hasMany` of the entries' scores, in the same order: true when the block is local (synced or not). */
  local: readonly boolean[];
  /** Keys (`scoreKey`) of blocks requested from any peer and not yet stored. */
  inFlight: ReadonlySet<string>;
  maxScores?: number;
  maxBytes?: number;
}

export interface Want { score: Score; type: number; size: number }

export interface WantsPlan {
  /** Requests to send this peer, in log order. */
  batches: Want[][];
  /** Blocks this page lists that another request is already fetching: not asked again. */
  elsewhere: Score[];
  /** Total bytes in `batches`, as the peer listed them. */
  bytes: number;
}

export const scoreKey = (score: Uint8Array): string => Buffer.from(score.buffer, score.byteOffset, score.byteLength).toString('hex');

/**
 * The blocks to ask the peer for: each score once per page, none held locally, none in
 * flight from anywhere, cut into requests of at most `maxScores` scores and `maxBytes`
 * bytes. The caller adds the planned keys to its in-flight set before it plans the next
 * page or another peer's page.
 */
export function planWants(input: WantsInput): WantsPlan {
  const maxScores = input.maxScores ?? WANT_DEFAULTS.maxScores;
  const maxBytes = input.maxBytes ?? WANT_DEFAULTS.maxBytes;
  if (input.local.length !== input.entries.length) throw internal(`${input.local.length} has-answers for ${input.entries.length} entries`);
  if (!(maxScores >= 1) || !(maxBytes >= 1)) throw invalid('a request holds at least one score and one byte');
  const seen = new Set<string>();
  const batches: Want[][] = [];
  const elsewhere: Score[] = [];
  let batch: Want[] = [];
  let batchBytes = 0;
  let bytes = 0;
  for (const [i, e] of input.entries.entries()) {
    const key = scoreKey(e.score);
    if (input.local[i] || seen.has(key)) continue;
    seen.add(key);
    if (input.inFlight.has(key)) { elsewhere.push(e.score); continue; }
    if (batch.length > 0 && (batch.length >= maxScores || batchBytes + e.size > maxBytes)) {
      batches.push(batch);
      batch = [];
      batchBytes = 0;
    }
    batch.push({ score: e.score, type: e.type, size: e.size });
    batchBytes += e.size;
    bytes += e.size;
  }
  if (batch.length > 0) batches.push(batch);
  return { batches, elsewhere, bytes };
}

/**
 * How far the cursor for this peer may move within a page read from `cursor` (the position
 * the page was asked from): past every entry up to the first one that is not settled,
 * which is the position of that entry (the peer accepts it), or the page's `next` when all
 * are. The receiver asks it after every batch with the same `cursor` and page, so the
 * answer only grows as batches settle. `settled[i]` must mean durable here (see
 * settledEntries), or given up on (the peer said it cannot serve the block, say it is
 * corrupt there); never merely requested or received. A restart then resumes at the first
 * entry not yet durable and re-fetches at most the batch that was being read.
 * A page that goes backwards or out of order is COLONY_INVALID: the peer is not to be trusted.
 */
export function advanceCursor(cursor: number, page: RemotePage, settled: readonly boolean[]): number {
  if (settled.length !== page.entries.length) throw internal(`${settled.length} answers for ${page.entries.length} entries`);
  let last = cursor;
  for (const e of page.entries) {
    if (!(e.pos >= last && e.end > e.pos)) throw invalid(`the peer's log page is out of order at position ${e.pos} (after ${last})`);
    last = e.end;
  }
  if (page.next < last) throw invalid(`the peer's log page ends at ${page.next}, before its last entry's end ${last}`);
  const first = settled.findIndex((s) => !s);
  return first === -1 ? page.next : page.entries[first]!.pos;
}

/**
 * Which entries of a page are settled after a sync: `heldBeforeSync` is `hasMany` of the
 * entries' scores asked *before* the `sync()` that just returned (a block put after it began
 * may not be durable yet, so a `hasMany` asked after it would claim too much); `gaveUp`
 * holds the keys the peer said it cannot serve.
 */
export function settledEntries(entries: readonly RemoteEntry[], heldBeforeSync: readonly boolean[], gaveUp: ReadonlySet<string>): boolean[] {
  if (heldBeforeSync.length !== entries.length) throw internal(`${heldBeforeSync.length} has-answers for ${entries.length} entries`);
  return entries.map((e, i) => heldBeforeSync[i]! || gaveUp.has(scoreKey(e.score)));
}

export interface SavedCursor { epoch: string; pos: number }
export interface RemoteLog { epoch: string; head: number }
export type CursorVerdict = 'resume' | 'rescan-from-zero' | 'rescan';

/**
 * What a saved cursor is worth against the peer's log as it is now:
 * - 'resume': the same log, and the cursor is within it: read on from `saved.pos`;
 * - 'rescan-from-zero': no cursor, or the peer's store has a new epoch (a replaced or
 *   rebuilt log): its positions mean nothing here, so read its log from 0;
 * - 'rescan': the same epoch but the cursor is past the peer's head, which the peer's
 *   store prevents (a log cut below its checkpoint gets a new epoch), so something is
 *   wrong: read from 0 as well, and say so in the log.
 * Either rescan costs the peer's index entries and a has-check each, not the blocks held.
 */
export function cursorCheck(saved: SavedCursor | undefined, remote: RemoteLog): CursorVerdict {
  if (!saved || saved.epoch !== remote.epoch) return 'rescan-from-zero';
  if (saved.pos > remote.head) return 'rescan';
  return 'resume';
}

/** Where to read the peer's log from after `cursorCheck`. */
export const resumeFrom = (saved: SavedCursor | undefined, remote: RemoteLog): number =>
  (cursorCheck(saved, remote) === 'resume' ? saved!.pos : 0);
