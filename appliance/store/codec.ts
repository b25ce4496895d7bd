// Block compression in the arenas. A record's flags byte names the codec in its high
// nibble (the low nibble stays reserved, zero); a compressed record's data is
// `logical length u32 LE | compressed stream`, so the logical size is known without
// decompressing (recovery counts it, the index keeps it). Scores stay the hash of the
// uncompressed bytes: nothing above the store sees compression.
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { deflateRawSync, inflateRaw, inflateRawSync } from 'node:zlib';

export const CODEC_NONE = 0;
export const CODEC_DEFLATE = 1;
export const CODEC_ZSTD = 2;
/** The flags byte for a codec, and back. */
export const codecFlags = (codec: number) => codec << 4;
export const flagsCodec = (flags: number) => flags >> 4;
export const CODEC_NAMES = ['none', 'deflate-raw', 'zstd'] as const;
export type CompressMode = 'auto' | 'off';
export const COMPRESSED_PREFIX = 4;

type Sync = (b: Uint8Array, o?: object) => Buffer;
type Async = (b: Uint8Array, o: object, cb: (err: Error | null, out: Buffer) => void) => void;
// zstd is in node:zlib from Node 22.15/23.8; read through the namespace so Node 20 builds.
const z = zlib as unknown as { zstdCompressSync?: Sync; zstdDecompressSync?: Sync; zstdDecompress?: Async; constants: Record<string, number> };
const inflateAsync = promisify(inflateRaw) as (b: Uint8Array, o: object) => Promise<Buffer>;
const zstdAsync = (f: Async | undefined) => (f ? (promisify(f) as (b: Uint8Array, o: object) => Promise<Buffer>) : undefined);
const zstdDecompressAsync = zstdAsync(z.zstdDecompress);
export const hasZstd = typeof z.zstdCompressSync === 'function';

/** Blocks smaller than this are stored as they are: the header and prefix eat the gain. */
const MIN_BYTES = 512;
/** Blocks at least this big are first judged by a sample from their middle. */
const SAMPLE_FROM = 32 << 10;
const SAMPLE_BYTES = 4 << 10;

/** The codec `auto` writes with on this Node: zstd when present (faster), else deflate-raw. */
export function pickCodec(mode: CompressMode | undefined, prefer?: number): number {
  if (mode === 'off') return CODEC_NONE;
  if (prefer !== undefined) return prefer;
  return hasZstd ? CODEC_ZSTD : CODEC_DEFLATE;
}

/**
 * Levels for whole blocks, chosen on bench/import's text in 64 KiB blocks (the only blocks
 * there that shrink). deflate-raw stays at level 1: level 4 stores 0.285 of the text against
 * 0.328 but compresses 80 against 129 MB/s, and in bench/import it cost the first import
 * 1.9 s of 6 (12.1 against 9.2 CPU-seconds) for 1% of the store (level 6: 0.264 at 23 MB/s).
 * zstd (the CLI's figures, Node 20 has none): level 3 0.277 against 0.292 at level 1.
 * The sample that judges a large block is compressed at level 1: it only decides whether
 * to try, and most samples are of random data.
 */
const DEFLATE_LEVEL = 1;
const ZSTD_LEVEL = 3;
const zstdOptions = (level: number) => ({ params: { [z.constants.ZSTD_c_compressionLevel!]: level } });
function rawCompress(codec: number, data: Uint8Array, fast = false): Buffer {
  if (codec === CODEC_ZSTD) return z.zstdCompressSync!(data, zstdOptions(fast ? 1 : ZSTD_LEVEL));
  return deflateRawSync(data, { level: fast ? 1 : DEFLATE_LEVEL });
}

/**
 * The bytes to store for `data` and their flags: compressed when that saves at least an
 * eighth, else the data itself with flags 0. A block whose sample does not shrink by a
 * sixteenth is taken as incompressible (random, already compressed) and not tried whole.
 */
export function encodeBlock(codec: number, data: Uint8Array): { flags: number; stored: Uint8Array } {
  if (!worthTrying(codec, data)) return { flags: 0, stored: data };
  return packed(codec, data, rawCompress(codec, data));
}

function worthTrying(codec: number, data: Uint8Array): boolean {
  const n = data.length;
  if (codec === CODEC_NONE || n < MIN_BYTES) return false;
  if (n < SAMPLE_FROM) return true;
  const at = (n >> 1) - (SAMPLE_BYTES >> 1);
  return rawCompress(codec, data.subarray(at, at + SAMPLE_BYTES), true).length <= SAMPLE_BYTES - (SAMPLE_BYTES >> 4);
}

function packed(codec: number, data: Uint8Array, packed: Buffer): { flags: number; stored: Uint8Array } {
  const n = data.length;
  if (COMPRESSED_PREFIX + packed.length > n - (n >> 3)) return { flags: 0, stored: data };
  const stored = Buffer.allocUnsafe(COMPRESSED_PREFIX + packed.length);
  stored.writeUInt32LE(n, 0);
  packed.copy(stored, COMPRESSED_PREFIX);
  return { flags: codecFlags(codec), stored };
}

/** Whether this build can read records with `flags` (the header check uses it). */
export function knownFlags(flags: number): boolean {
  if ((flags & 0x0f) !== 0) return false;
  const codec = flagsCodec(flags);
  return codec === CODEC_NONE || codec === CODEC_DEFLATE || codec === CODEC_ZSTD;
}

/** The uncompressed size a record's data stands for, from its prefix (no decompression). */
export function logicalSize(flags: number, stored: Uint8Array): number {
  if (flags === 0) return stored.length;
  if (stored.length < COMPRESSED_PREFIX) return -1;
  return Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength).readUInt32LE(0);
}

/**
 * The uncompressed block, or a reason string when the stored bytes cannot be decoded (a
 * damaged stream, a length that does not match its prefix, zstd on a Node without it).
 * The caller turns a reason into COLONY_CORRUPT_BLOCK; the hash check still follows.
 */
export function decodeBlock(flags: number, stored: Buffer, maxBlockBytes: number): Buffer | string {
  if (flags === 0) return stored;
  const size = logicalSize(flags, stored);
  if (size < 0 || size > maxBlockBytes) return `a compressed record with a logical size of ${size}`;
  const codec = flagsCodec(flags);
  const body = stored.subarray(COMPRESSED_PREFIX);
  let out: Buffer;
  try {
    if (codec === CODEC_DEFLATE) out = inflateRawSync(body, { maxOutputLength: Math.max(size, 1) });
    else if (codec === CODEC_ZSTD && z.zstdDecompressSync) out = z.zstdDecompressSync(body, { maxOutputLength: Math.max(size, 1) });
    else return `a record compressed with ${CODEC_NAMES[codec] ?? `codec ${codec}`}, which this Node cannot read`;
  } catch (err) {
    return `a damaged compressed stream (${(err as Error).message})`;
  }
  if (out.length !== size) return `a compressed stream of ${out.length} bytes where ${size} were recorded`;
  return out;
}

/** `decodeBlock` in libuv's thread pool: reads decompress in parallel, off the event loop. */
export async function decodeBlockAsync(flags: number, stored: Buffer, maxBlockBytes: number): Promise<Buffer | string> {
  if (flags === 0) return stored;
  const size = logicalSize(flags, stored);
  if (size < 0 || size > maxBlockBytes) return `a compressed record with a logical size of ${size}`;
  const codec = flagsCodec(flags);
  const body = stored.subarray(COMPRESSED_PREFIX);
  const opts = { maxOutputLength: Math.max(size, 1) };
  let out: Buffer;
  try {
    if (codec === CODEC_DEFLATE) out = await inflateAsync(body, opts);
    else if (codec === CODEC_ZSTD && zstdDecompressAsync) out = await zstdDecompressAsync(body, opts);
    else return `a record compressed with ${CODEC_NAMES[codec] ?? `codec ${codec}`}, which this Node cannot read`;
  } catch (err) {
    return `a damaged compressed stream (${(err as Error).message})`;
  }
  if (out.length !== size) return `a compressed stream of ${out.length} bytes where ${size} were recorded`;
  return out;
}
