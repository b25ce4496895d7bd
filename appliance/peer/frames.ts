// The one frame layout of every grid protocol (`/colony/blocks/1`, `/colony/catalog/1`, …):
//
//   frame = u32 BE header length | u32 BE body length | header (UTF-8 JSON) | body
//
// The header is a JSON message; the body is raw bytes (only a block has one; other
// protocols send an empty body). Each protocol module checks its messages' shapes and
// chooses its bounds; this module only cuts the byte stream into frames.
//
// Memory: the reader keeps a list of the chunks received but not yet consumed, never
// joined until a frame is whole, and then copies each byte of the frame at most once (a
// frame made of one whole chunk is not copied at all). So a 32 MiB block in 64 KiB chunks
// costs one 32 MiB copy, not the quadratic cost of joining the buffer on every chunk.
// A frame announced over the bounds is refused (COLONY_PROTOCOL) from its prefix alone,
// before any of its bytes are read. One reader per stream, one caller at a time.
import { ColonyError } from '../errors.js';
import type { PeerStream } from './stream.js';

export const FRAME_PREFIX_BYTES = 8;

export interface FrameLimits {
  /** The largest header (JSON) accepted, in bytes. */
  maxHeader: number;
  /** The largest body accepted, in bytes (0: the protocol has no bodies). */
  maxBody: number;
}

export interface Frame<M> { msg: M; body: Buffer }

const protocolError = (detail: string) => new ColonyError('COLONY_PROTOCOL', detail);

/**
 * One frame as the parts to write: the prefix and header joined, then the body as given
 * (not copied). COLONY_TOO_LARGE when the header is over `maxHeader`: the caller's to handle
 * (say, by sending a smaller page).
 */
export function encodeFrame(header: unknown, body?: Uint8Array | readonly Uint8Array[], maxHeader = Number.MAX_SAFE_INTEGER): Buffer[] {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  if (json.length > maxHeader) throw new ColonyError('COLONY_TOO_LARGE', `a frame header of ${json.length} bytes is over ${maxHeader}`);
  // A body may come in parts (say, a score then a block), sent one after the other, uncopied.
  const parts = (body === undefined ? [] : body instanceof Uint8Array ? [body] : body)
    .filter((b) => b.length > 0).map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength));
  const out = Buffer.allocUnsafe(FRAME_PREFIX_BYTES + json.length);
  out.writeUInt32BE(json.length, 0);
  out.writeUInt32BE(parts.reduce((n, b) => n + b.length, 0), 4);
  json.copy(out, FRAME_PREFIX_BYTES);
  return [out, ...parts];
}

/**
 * A frame whose parts together are at most this goes out in one write (one copy of the body):
 * each write is its own yamux frame, Noise message and, with no Nagle, TCP segment, so a
 * small block written as two parts cost twice those headers and an ACK more.
 */
export const COALESCE_BYTES = 64 << 10;

/** Writes a frame's parts (encodeFrame's), joined when small, awaiting the stream's backpressure. */
export async function writeParts(stream: Pick<PeerStream, 'write'>, parts: readonly Buffer[]): Promise<void> {
  if (parts.length > 1 && parts.reduce((n, p) => n + p.length, 0) <= COALESCE_BYTES) { await stream.write(Buffer.concat(parts)); return; }
  for (const part of parts) await stream.write(part);
}

/** Writes one frame, awaiting the stream's backpressure. */
export async function writeFrame(stream: Pick<PeerStream, 'write'>, header: unknown, body?: Uint8Array): Promise<void> {
  await writeParts(stream, encodeFrame(header, body));
}

/**
 * Reads frames off a byte stream. `check` turns a parsed header into the protocol's
 * message (throwing COLONY_PROTOCOL for anything else). `next(ms)` gives up waiting after
 * `ms` and answers 'timeout' without losing the frame being read: the next call picks up
 * the same pending read. Memory: at most one frame plus one chunk.
 */
export class FrameReader<M> {
  private readonly it: AsyncIterator<Uint8Array>;
  /** Received, not yet consumed; the first may be partly consumed (`offset`). */
  private chunks: Buffer[] = [];
  private offset = 0;
  private have = 0;
  private ended = false;
  private pending: Promise<Frame<M> | undefined> | undefined;
  /** Bytes copied while assembling frames (a test counts them: linear, not quadratic). */
  copiedBytes = 0;

  constructor(stream: AsyncIterable<Uint8Array>, private readonly limits: FrameLimits, private readonly check: (header: unknown) => M) {
    this.it = stream[Symbol.asyncIterator]();
  }

  /** The next frame, undefined at a clean end of the stream, or 'timeout' after `ms`. */
  async next(ms: number): Promise<Frame<M> | undefined | 'timeout'> {
    this.pending ??= this.read();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), ms); });
    try {
      const got = await Promise.race([this.pending, timeout]);
      if (got !== 'timeout') this.pending = undefined;
      return got;
    } catch (err) {
      this.pending = undefined;
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Waits until `n` bytes are buffered; false when the stream ended first. Each round takes one chunk. */
  private async fill(n: number): Promise<boolean> {
    while (this.have < n) {
      if (this.ended) return false;
      const r = await this.it.next();
      if (r.done) { this.ended = true; return false; }
      if (r.value.byteLength === 0) continue;
      this.chunks.push(Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength));
      this.have += r.value.byteLength;
    }
    return true;
  }

  /** Consumes `n` buffered bytes: a view when they are one whole chunk (or `view` and one chunk), else one copy. */
  private take(n: number, view: boolean): Buffer {
    const first = this.chunks[0];
    if (n === 0) return Buffer.alloc(0);
    if (first && first.length - this.offset >= n && (view || (this.offset === 0 && first.length === n))) {
      const out = first.subarray(this.offset, this.offset + n);
      this.advance(n);
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let at = 0;
    // Each round copies from one chunk; the chunks hold at least n bytes, so this ends.
    while (at < n) {
      const c = this.chunks[0]!;
      const k = Math.min(n - at, c.length - this.offset);
      c.copy(out, at, this.offset, this.offset + k);
      at += k;
      this.advance(k);
    }
    this.copiedBytes += n;
    return out;
  }

  private advance(k: number): void {
    this.offset += k;
    this.have -= k;
    if (this.offset === this.chunks[0]!.length) { this.chunks.shift(); this.offset = 0; }
  }

  private async read(): Promise<Frame<M> | undefined> {
    if (!(await this.fill(FRAME_PREFIX_BYTES))) {
      if (this.have === 0) return undefined;
      throw protocolError('the stream ended inside a frame');
    }
    // The prefix is read in place (a view, or 8 bytes copied when split across chunks).
    const prefix = this.take(FRAME_PREFIX_BYTES, true);
    const headerLen = prefix.readUInt32BE(0);
    const bodyLen = prefix.readUInt32BE(4);
    if (headerLen > this.limits.maxHeader || bodyLen > this.limits.maxBody) {
      throw protocolError(`a frame of ${headerLen} + ${bodyLen} bytes is over the limit (${this.limits.maxHeader} + ${this.limits.maxBody})`);
    }
    if (!(await this.fill(headerLen + bodyLen))) throw protocolError('the stream ended inside a frame');
    const header = this.take(headerLen, true); // parsed now, not kept
    let parsed: unknown;
    try { parsed = JSON.parse(header.toString('utf8')); } catch { throw protocolError('a frame header that is not JSON'); }
    const msg = this.check(parsed);
    // The body outlives this call: a view only when it is a whole chunk, so a small body
    // never pins a large chunk in memory.
    const body = this.take(bodyLen, false);
    return { msg, body };
  }
}
