// Exact-length reads over a stream of chunks, for parsers that must never hang or hold
// more than they ask for. Whatever the source throws becomes the caller's error.
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { ColonyError, corruptData, fromSystemError, unsupported } from '../errors.js';

/** Any source of bytes: a Readable, an async generator, or an array of buffers. */
export type Chunks = AsyncIterable<Buffer | Uint8Array | string> | Iterable<Buffer | Uint8Array | string>;

export class ByteSource {
  private chunks: Buffer[] = [];
  private head = 0;
  private buffered = 0;
  private ended = false;
  /** Bytes handed out so far: the offset of the next byte. */
  offset = 0;

  constructor(private readonly it: AsyncIterator<Buffer | Uint8Array | string>, readonly what = 'the stream') {}

  static from(input: Chunks, what?: string): ByteSource {
    if (Symbol.asyncIterator in input) return new ByteSource(input[Symbol.asyncIterator](), what);
    const it = input[Symbol.iterator]();
    return new ByteSource({ next: async () => it.next(), return: async () => it.return?.() ?? { done: true, value: undefined } }, what);
  }

  /** Pulls until `n` bytes are buffered or the source ends; returns how many are buffered. */
  async fill(n: number): Promise<number> {
    while (this.buffered < n && !this.ended) {
      const r = await this.it.next().catch((err: NodeJS.ErrnoException) => { throw this.explain(err); });
      if (r.done) { this.ended = true; break; }
      const b = typeof r.value === 'string' ? Buffer.from(r.value) : Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength);
      if (b.length) { this.chunks.push(b); this.buffered += b.length; }
    }
    return this.buffered;
  }

  /** A source's failure as a ColonyError: damaged compression is corrupt data, an OS error keeps its code. */
  private explain(err: NodeJS.ErrnoException): ColonyError {
    if (err instanceof ColonyError) return err;
    if (typeof err?.code === 'string' && /^E[A-Z]+$/.test(err.code)) return fromSystemError(err, `reading ${this.what}`);
    return corruptData(`${this.what} is damaged: ${err instanceof Error ? err.message : String(err)}`, err);
  }

  /** The next `n` bytes without consuming them (fewer at the end of the source). */
  async peek(n: number): Promise<Buffer> {
    await this.fill(n);
    const take = Math.min(n, this.buffered);
    const first = this.chunks[0];
    if (first && first.length - this.head >= take) return first.subarray(this.head, this.head + take);
    return Buffer.concat(this.chunks, this.head + this.buffered).subarray(this.head, this.head + take);
  }

  /** Exactly `n` bytes, or a COLONY_CORRUPT_DATA error when the source ends first. */
  async read(n: number): Promise<Buffer> {
    if ((await this.fill(n)) < n) throw corruptData(`${this.what} ends early (truncated after ${this.offset + this.buffered} bytes)`);
    this.offset += n;
    this.buffered -= n;
    const first = this.chunks[0]!;
    if (first.length - this.head >= n) {
      const out = first.subarray(this.head, this.head + n);
      this.head += n;
      if (this.head === first.length) { this.chunks.shift(); this.head = 0; }
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let at = 0;
    while (at < n) {
      const c = this.chunks[0]!;
      const take = Math.min(n - at, c.length - this.head);
      c.copy(out, at, this.head, this.head + take);
      at += take;
      this.head += take;
      if (this.head === c.length) { this.chunks.shift(); this.head = 0; }
    }
    return out;
  }

  async skip(n: number): Promise<void> {
    while (n > 0) { const step = Math.min(n, 1 << 20); await this.read(step); n -= step; }
  }

  /** True when nothing is left. */
  async atEnd(): Promise<boolean> { return (await this.fill(1)) === 0; }

  /** Stops the source (a generator's `return`, a stream's destroy). */
  async close(): Promise<void> { await this.it.return?.().catch(() => {}); }
}

/**
 * The input as plain bytes: gzip is detected by its magic and inflated as it streams.
 * Other compressions are recognised and refused by name.
 */
export async function decompressed(input: Chunks, what: string): Promise<ByteSource> {
  const raw = ByteSource.from(input, what);
  const magic = await raw.peek(6);
  if (magic[0] === 0x1f && magic[1] === 0x8b) {
    async function* rest() { for (;;) { const n = await raw.fill(1 << 16); if (n === 0) return; yield await raw.read(n); } }
    const gunzip = createGunzip();
    const source = Readable.from(rest());
    source.on('error', (err) => gunzip.destroy(err));
    source.pipe(gunzip);
    return ByteSource.from(gunzip, `${what} (gzip)`);
  }
  if (magic.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) throw unsupported(`${what} is xz-compressed; decompress it first (xz -dc)`);
  if (magic.subarray(0, 4).equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))) throw unsupported(`${what} is zstd-compressed; decompress it first (zstd -dc)`);
  return raw;
}
