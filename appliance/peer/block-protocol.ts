// The wire of `/colony/blocks/1`: frames (frames.ts) of a small JSON header and raw bytes
// after it:
//   frame = u32 BE header length | u32 BE body length | header (UTF-8 JSON) | body
//
// Only a `block` frame has a body (the block's bytes, sent as stored: the receiver hashes
// them against the score it asked for). Everything else is a header alone. One stream per
// session, opened by the receiver; the sender speaks first with `hello`. Requests are
// answered in order, one at a time; `head` notices may come between any two frames.
//
//   sender → receiver   hello  { v, epoch, head }            first frame
//   receiver → sender   entries { from, limit }               a page of the sender's log
//   sender → receiver   page   { entries, next, head }        entries: [pos, end, scoreHex, type, size]
//   receiver → sender   fetch  { scores: hex[] }              at most FETCH_MAX_SCORES
//   sender → receiver   block  { score, type } + bytes        one per score, in the asked order,
//                       missing { score, code }               or this when it cannot serve that block
//                       done   {}                             after the last of them
//   sender → receiver   head   { epoch, head }                pushed after the sender's store synced
//   either              error  { code, message }              the request (or session) failed
import { ColonyError, type ErrorCode } from '../errors.js';
import type { RemoteEntry, RemotePage } from './block-wants.js';
import { encodeFrame as encodeAnyFrame, FrameReader as FramesReader, writeFrame as writeAnyFrame, type Frame as AnyFrame } from './frames.js';
import type { PeerStream } from './stream.js';

export const BLOCK_PROTOCOL = '/colony/blocks/1';
export const BLOCK_PROTOCOL_VERSION = 1;
/** A header longer than this is a broken or hostile peer (a page of 4096 entries is ~600 KiB). */
export const MAX_HEADER_BYTES = 4 << 20;
/** Above any store's block limit (1 MiB by default); bounds one frame's memory. */
export const MAX_BODY_BYTES = 32 << 20;
export const FETCH_MAX_SCORES = 1024;
export const ENTRIES_MAX_LIMIT = 4096;

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

/** One frame of this protocol as the parts to write (frames.ts's layout). */
export const encodeFrame = (msg: Message, body?: Uint8Array): Buffer[] => encodeAnyFrame(msg, body);

/** Writes one frame, awaiting the stream's backpressure. */
export const writeFrame = (stream: PeerStream, msg: Message, body?: Uint8Array): Promise<void> => writeAnyFrame(stream, msg, body);

const isHex = (s: unknown, len: number) => typeof s === 'string' && s.length === len && /^[0-9a-f]+$/.test(s);
const isPos = (n: unknown) => Number.isSafeInteger(n) && (n as number) >= 0;

/** Checks a decoded header's shape; a peer that sends anything else broke the protocol. */
export function checkMessage(value: unknown): Message {
  const m = value as Record<string, unknown>;
  const ok = (() => {
    if (typeof m !== 'object' || m === null) return false;
    switch (m.t) {
      case 'hello': return Number.isInteger(m.v) && isHex(m.epoch, 32) && isPos(m.head);
      case 'head': return isHex(m.epoch, 32) && isPos(m.head);
      case 'entries': return isPos(m.from) && Number.isInteger(m.limit) && (m.limit as number) >= 1 && (m.limit as number) <= ENTRIES_MAX_LIMIT;
      case 'page': return Array.isArray(m.entries) && m.entries.length <= ENTRIES_MAX_LIMIT && isPos(m.next) && isPos(m.head)
        && m.entries.every((e) => Array.isArray(e) && e.length === 5 && isPos(e[0]) && isPos(e[1]) && isHex(e[2], 64) && isPos(e[3]) && isPos(e[4]));
      case 'fetch': return Array.isArray(m.scores) && m.scores.length <= FETCH_MAX_SCORES && m.scores.every((s) => isHex(s, 64));
      case 'block': return isHex(m.score, 64) && isPos(m.type);
      case 'missing': return isHex(m.score, 64) && typeof m.code === 'string';
      case 'done': return true;
      case 'error': return typeof m.code === 'string' && typeof m.message === 'string';
      default: return false;
    }
  })();
  if (!ok) throw protocolError(`a malformed ${typeof m?.t === 'string' ? `'${m.t.slice(0, 20)}' ` : ''}message`);
  return m as unknown as Message;
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

/** frames.ts's reader with this protocol's bounds and message check. */
export class FrameReader extends FramesReader<Message> {
  constructor(stream: AsyncIterable<Uint8Array>, maxBody = MAX_BODY_BYTES) {
    super(stream, { maxHeader: MAX_HEADER_BYTES, maxBody }, checkMessage);
  }
}
