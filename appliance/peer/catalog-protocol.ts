// The wire format of `/colony/catalog/1`: the grid's frames (frames.ts: u32 header length,
// u32 body length, JSON header, body), the message in the header and the body always
// empty. Three messages:
//   { t: 'pull', vector, limit }   → the server answers one { t: 'page', events, more }
//   { t: 'page', events, more }      the events the puller lacks (eventsSince), `more` when
//                                    the page was full and another pull may find more
//   { t: 'notice', vector }          "I have new events": no answer; the receiver pulls
//                                    from the sender when the vector is ahead of its own
// A stream carries pulls and pages in turn, or one notice. Every frame is bounded
// (MAX_FRAME) and so is every page (MAX_PAGE events), so neither side buffers more than
// one frame per stream. Parsing here is strict; event contents are the catalog's job
// (applyRemote parses and verifies each one).
import { ColonyError } from '../errors.js';
import type { Vector } from '../catalog/index.js';
import { encodeFrame as encodeAnyFrame, FrameReader as FramesReader } from './frames.js';
import type { PeerStream } from './stream.js';

export const CATALOG_PROTOCOL = '/colony/catalog/1';
/** The largest frame header either side sends or accepts. Events are small (names, users, keys). */
export const MAX_FRAME = 4 * 1024 * 1024;
/** The most events one page carries. */
export const MAX_PAGE = 500;
/** The most origins a vector may name (a grid of ~10 nodes, with room for history). */
const MAX_ORIGINS = 10_000;

export type CatalogMessage =
  | { t: 'pull'; vector: Vector; limit: number }
  | { t: 'page'; events: unknown[]; more: boolean }
  | { t: 'notice'; vector: Vector };

const protocolError = (detail: string) => new ColonyError('COLONY_PROTOCOL', `${CATALOG_PROTOCOL}: ${detail}`);

/** One frame (header only), or COLONY_TOO_LARGE when the message is over MAX_FRAME. */
export function encodeFrame(msg: CatalogMessage): Buffer {
  return encodeAnyFrame(msg, undefined, MAX_FRAME)[0]!;
}

function parseVector(v: unknown): Vector {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw protocolError('a vector is an object');
  const entries = Object.entries(v);
  if (entries.length > MAX_ORIGINS) throw protocolError(`a vector names over ${MAX_ORIGINS} origins`);
  const out: Vector = {};
  for (const [origin, seq] of entries) {
    if (origin.length === 0 || origin.length > 128) throw protocolError('a vector origin is 1 to 128 characters');
    if (!Number.isSafeInteger(seq) || (seq as number) < 0) throw protocolError(`the vector entry for ${origin} is not a non-negative integer`);
    out[origin] = seq as number;
  }
  return out;
}

/** Checks a decoded frame header's shape; COLONY_PROTOCOL for anything else. */
export function parseMessage(raw: unknown): CatalogMessage {
  if (typeof raw !== 'object' || raw === null) throw protocolError('a frame is not an object');
  const m = raw as Record<string, unknown>;
  switch (m.t) {
    case 'pull': {
      const limit = m.limit;
      if (!Number.isSafeInteger(limit) || (limit as number) < 1 || (limit as number) > MAX_PAGE) throw protocolError(`a pull's limit is 1 to ${MAX_PAGE}`);
      return { t: 'pull', vector: parseVector(m.vector), limit: limit as number };
    }
    case 'page':
      if (!Array.isArray(m.events) || m.events.length > MAX_PAGE) throw protocolError(`a page holds an array of at most ${MAX_PAGE} events`);
      if (typeof m.more !== 'boolean') throw protocolError("a page's more is a boolean");
      return { t: 'page', events: m.events, more: m.more };
    case 'notice':
      return { t: 'notice', vector: parseVector(m.vector) };
    default:
      throw protocolError(`unknown message type ${JSON.stringify(m.t)}`);
  }
}

/** True when `theirs` holds an event `ours` lacks. */
export function isAhead(theirs: Vector, ours: Vector): boolean {
  return Object.entries(theirs).some(([origin, seq]) => seq > (ours[origin] ?? 0));
}

/**
 * Reads catalog messages off a stream: frames.ts's reader with this protocol's bounds (a
 * header over MAX_FRAME, or any body, is refused from the prefix alone). `next()` resolves
 * to undefined when the remote ended cleanly between frames; each call is bounded by
 * `timeoutMs`, after which the stream is aborted (COLONY_TIMEOUT).
 */
export class FrameReader {
  private readonly frames: FramesReader<CatalogMessage>;

  constructor(private readonly stream: PeerStream, private readonly timeoutMs: number) {
    this.frames = new FramesReader(stream, { maxHeader: MAX_FRAME, maxBody: 0 }, parseMessage);
  }

  async next(): Promise<CatalogMessage | undefined> {
    const got = await this.frames.next(this.timeoutMs);
    if (got === 'timeout') {
      const err = new ColonyError('COLONY_TIMEOUT', `${CATALOG_PROTOCOL}: no frame from ${this.stream.remotePeer} within ${this.timeoutMs} ms`);
      this.stream.abort(err);
      throw err;
    }
    return got?.msg;
  }
}
