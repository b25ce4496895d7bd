// The wire of `/colony/blocks/1`: frames (frames.ts) of a small JSON header and raw bytes
// after it:
//   frame = u32 BE header length | u32 BE body length | header (UTF-8 JSON) | body
//
// A `block` frame's body is its 32-byte score then the block's bytes, sent as stored (the
// receiver hashes them against the score it asked for). A `page` and a `fetch` carry their
// lists as fixed-width binary records in the body (hex in JSON cost about twice the bytes).
// Callers see `score`, `entries` and `scores` as before (decoded by this module's reader,
// encoded by encodeFrame).
// Everything else is a header alone. One stream per session, opened by the receiver; the
// sender speaks first with `hello`. Requests are answered in order, one at a time; `head`
// notices may come between any two frames.
//
//   sender → receiver   hello  { v, epoch, head }            first frame
//   receiver → sender   entries { from, limit }               a page of the sender's log
//   sender → receiver   page   { n, next, head } + n × ENTRY_BYTES   an entry: pos u64 | end u64 |
//                                                             size u32 | type u32 | score (32 bytes)
//   receiver → sender   fetch  { n } + n × 32-byte scores     n ≤ FETCH_MAX_SCORES
//   sender → receiver   block  { type } + score + bytes       one per score, in the asked order,
//                       missing { score, code }               or this when it cannot serve that block
//                       done   {}                             after the last of them
//   sender → receiver   head   { epoch, head }                pushed after the sender's store synced
//   either              error  { code, message }              the request (or session) failed
import { ColonyError, type ErrorCode } from '../errors.js';
import type { RemoteEntry, RemotePage } from './block-wants.js';
import { encodeFrame as encodeAnyFrame, FrameReader as FramesReader, writeParts, type Frame as AnyFrame } from './frames.js';
import type { PeerStream } from './stream.js';

export const BLOCK_PROTOCOL = '/colony/blocks/1';
export const BLOCK_PROTOCOL_VERSION = 1;
/** A header longer than this is a broken or hostile peer (lists travel in bodies; an error message is the longest header). */
export const MAX_HEADER_BYTES = 4 << 20;
/** Above any store's block limit (1 MiB by default); bounds one frame's memory. */
export const MAX_BODY_BYTES = 32 << 20;
export const FETCH_MAX_SCORES = 1024;
export const ENTRIES_MAX_LIMIT = 4096;
/** One page entry in a page's body: pos u64 | end u64 | size u32 | type u32 | score. */
export const ENTRY_BYTES = 56;
const SCORE_BYTES = 32;

export type WireEntry = [pos: number, end: number, score: string, type: number, size: number];

export type Message =
  | { t: 'hello'; v: number; epoch: string; head: number }
  | { t: 'entries'; from: number; limit: number }
  | { t: 'page'; entries: WireEntry[]; next: number; head: number }
  | { t: 'fetch'; scores: string[] }
  | { t: 'block'; score: string; type: number }
  | { t: 'missing'; score: string; code: string }
  | { t: 'done' }
  | { t: 'head'; epoch: string; head: number }
  | { t: 'error'; code: string; message: string };

export type Frame = AnyFrame<Message>;

export const protocolError = (detail: string) => new ColonyError('COLONY_PROTOCOL', detail);

/** A `page` or `fetch` as it travels: the count in the header, the records in the body. */
type WireHeader = Exclude<Message, { t: 'page' } | { t: 'fetch' } | { t: 'block' }>
  | { t: 'page'; n: number; next: number; head: number }
  | { t: 'fetch'; n: number }
  | { t: 'block'; type: number };

const putU64 = (b: Buffer, v: number, at: number) => { b.writeUInt32BE(Math.floor(v / 2 ** 32), at); b.writeUInt32BE(v >>> 0, at + 4); };
const getU64 = (b: Buffer, at: number) => b.readUInt32BE(at) * 2 ** 32 + b.readUInt32BE(at + 4);

/** A page's entries as its body: ENTRY_BYTES each. */
export function packEntries(entries: readonly WireEntry[]): Buffer {
  const out = Buffer.allocUnsafe(entries.length * ENTRY_BYTES);
  entries.forEach(([pos, end, score, type, size], i) => {
    const at = i * ENTRY_BYTES;
    putU64(out, pos, at);
    putU64(out, end, at + 8);
    out.writeUInt32BE(size, at + 16);
    out.writeUInt32BE(type, at + 20);
    if (out.write(score, at + 24, SCORE_BYTES, 'hex') !== SCORE_BYTES) throw protocolError('a page entry without a 32-byte score');
  });
  return out;
}

export function unpackEntries(body: Buffer): WireEntry[] {
  const out: WireEntry[] = [];
  for (let at = 0; at + ENTRY_BYTES <= body.length; at += ENTRY_BYTES) {
    out.push([getU64(body, at), getU64(body, at + 8), body.toString('hex', at + 24, at + 24 + SCORE_BYTES), body.readUInt32BE(at + 20), body.readUInt32BE(at + 16)]);
  }
  return out;
}

/** One frame of this protocol as the parts to write (frames.ts's layout); pages and fetches get binary bodies. */
export function encodeFrame(msg: Message, body?: Uint8Array): Buffer[] {
  if (msg.t === 'page') return encodeAnyFrame({ t: 'page', n: msg.entries.length, next: msg.next, head: msg.head }, packEntries(msg.entries));
  if (msg.t === 'fetch') {
    const scores = Buffer.from(msg.scores.join(''), 'hex');
    if (scores.length !== msg.scores.length * SCORE_BYTES) throw protocolError('a fetch of a score that is not 32 bytes');
    return encodeAnyFrame({ t: 'fetch', n: msg.scores.length }, scores);
  }
  if (msg.t === 'block') {
    const score = Buffer.from(msg.score, 'hex');
    if (score.length !== SCORE_BYTES) throw protocolError('a block whose score is not 32 bytes');
    return encodeAnyFrame({ t: 'block', type: msg.type }, body ? [score, body] : [score]);
  }
  return encodeAnyFrame(msg, body);
}

/** Writes one frame (small ones in one write: frames.ts), awaiting the stream's backpressure. */
export const writeFrame = (stream: Pick<PeerStream, 'write'>, msg: Message, body?: Uint8Array): Promise<void> => writeParts(stream, encodeFrame(msg, body));

const isHex = (s: unknown, len: number) => typeof s === 'string' && s.length === len && /^[0-9a-f]+$/.test(s);
const isPos = (n: unknown) => Number.isSafeInteger(n) && (n as number) >= 0;
const isCount = (n: unknown, max: number) => Number.isInteger(n) && (n as number) >= 0 && (n as number) <= max;

/** Checks a decoded header's shape (as it travels); a peer that sends anything else broke the protocol. */
export function checkMessage(value: unknown): WireHeader {
  const m = value as Record<string, unknown>;
  const ok = (() => {
    if (typeof m !== 'object' || m === null) return false;
    switch (m.t) {
      case 'hello': return Number.isInteger(m.v) && isHex(m.epoch, 32) && isPos(m.head);
      case 'head': return isHex(m.epoch, 32) && isPos(m.head);
      case 'entries': return isPos(m.from) && Number.isInteger(m.limit) && (m.limit as number) >= 1 && (m.limit as number) <= ENTRIES_MAX_LIMIT;
      case 'page': return isCount(m.n, ENTRIES_MAX_LIMIT) && isPos(m.next) && isPos(m.head);
      case 'fetch': return isCount(m.n, FETCH_MAX_SCORES);
      case 'block': return isPos(m.type);
      case 'missing': return isHex(m.score, 64) && typeof m.code === 'string';
      case 'done': return true;
      case 'error': return typeof m.code === 'string' && typeof m.message === 'string';
      default: return false;
    }
  })();
  if (!ok) throw protocolError(`a malformed ${typeof m?.t === 'string' ? `'${m.t.slice(0, 20)}' ` : ''}message`);
  return m as unknown as WireHeader;
}

/** A frame as callers see it: a page's or fetch's body decoded into its list. */
function fromWireFrame(f: AnyFrame<WireHeader>): Frame {
  const { msg, body } = f;
  if (msg.t === 'page') {
    if (body.length !== msg.n * ENTRY_BYTES) throw protocolError(`a page of ${msg.n} entries with a body of ${body.length} bytes`);
    const entries = unpackEntries(body);
    if (!entries.every((e) => isPos(e[0]) && isPos(e[1]))) throw protocolError('a page entry past the safe integers');
    return { msg: { t: 'page', entries, next: msg.next, head: msg.head }, body: Buffer.alloc(0) };
  }
  if (msg.t === 'fetch') {
    if (body.length !== msg.n * SCORE_BYTES) throw protocolError(`a fetch of ${msg.n} scores with a body of ${body.length} bytes`);
    const scores = Array.from({ length: msg.n }, (_, i) => body.toString('hex', i * SCORE_BYTES, (i + 1) * SCORE_BYTES));
    return { msg: { t: 'fetch', scores }, body: Buffer.alloc(0) };
  }
  if (msg.t === 'block') {
    if (body.length < SCORE_BYTES) throw protocolError('a block frame without its score');
    return { msg: { t: 'block', score: body.toString('hex', 0, SCORE_BYTES), type: msg.type }, body: body.subarray(SCORE_BYTES) };
  }
  return { msg, body };
}

export const toWire = (e: RemoteEntry): WireEntry => [e.pos, e.end, e.score.toString('hex'), e.type, e.size];
export const fromWire = (w: WireEntry): RemoteEntry => ({ pos: w[0], end: w[1], score: Buffer.from(w[2], 'hex'), type: w[3], size: w[4] });
export const pageFromWire = (m: Extract<Message, { t: 'page' }>): RemotePage & { head: number } =>
  ({ entries: m.entries.map(fromWire), next: m.next, head: m.head });

/** The error a peer reported, as a ColonyError with its code when it is one of ours. */
export function remoteError(m: Extract<Message, { t: 'error' }>, peer: string): ColonyError {
  const code = (/^COLONY_[A-Z_]+$/.test(m.code) ? m.code : 'COLONY_PROTOCOL') as ErrorCode;
  return new ColonyError(code, `${peer}: ${m.message}`);
}

/** frames.ts's reader with this protocol's bounds and message check; pages and fetches decoded. */
export class FrameReader {
  private readonly frames: FramesReader<WireHeader>;
  constructor(stream: AsyncIterable<Uint8Array>, maxBody = MAX_BODY_BYTES) {
    this.frames = new FramesReader(stream, { maxHeader: MAX_HEADER_BYTES, maxBody: maxBody + SCORE_BYTES }, checkMessage);
  }

  /** The next frame, undefined at a clean end of the stream, or 'timeout' after `ms` (frames.ts). */
  async next(ms: number): Promise<Frame | undefined | 'timeout'> {
    const f = await this.frames.next(ms);
    return f === undefined || f === 'timeout' ? f : fromWireFrame(f);
  }
}
