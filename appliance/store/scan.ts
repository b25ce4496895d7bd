// Reads an arena's records in order with large sequential reads. Recovery, verify,
// reindex and replication all walk the log through this one function.
import type { Arena } from './arena.js';
import { decodeBlock, logicalSize } from './codec.js';
import { ARENA_HEADER_BYTES, decodeRecordHeader, RECORD_HEADER_BYTES, type RecordHeader } from './record.js';

const CHUNK = 8 << 20;
const EMPTY = Buffer.alloc(0);

export interface ScannedRecord extends RecordHeader {
  offset: number;
  /** The record's data as stored (compressed when `flags` says so): what compaction copies. */
  data: Buffer;
  /** The block's logical length (the compressed record's prefix, else `length`). */
  size: number;
  /** The uncompressed block when intact, else empty. */
  block: Buffer;
  /** Whether the data decodes and hashes to the score in the header. */
  intact: boolean;
}

export interface ScanEnd {
  /** The offset just past the last whole record. */
  end: number;
  /** Why the scan stopped before the end of the file, or undefined at a clean end. */
  torn?: string;
}

/**
 * Yields every record from `from` to the end of the file, skipping the arena's freed ranges.
 * A record whose header is plausible but whose data does not hash to its score is yielded
 * with `intact: false`; the caller decides whether it is a torn tail or a corrupt block.
 * The return value says where the whole records end.
 */
export async function* scanArena(
  arena: Arena,
  hash: (b: Uint8Array) => Buffer,
  maxBlockBytes: number,
  from = ARENA_HEADER_BYTES,
): AsyncGenerator<ScannedRecord, ScanEnd> {
  const fileSize = await arena.fileSize();
  let chunk: Buffer = Buffer.alloc(0);
  let chunkStart = from;
  let offset = from;
  while (offset < fileSize) {
    // Freed ranges hold no record of the log, and may read as zeros (a punched hole).
    const next = arena.skip(offset);
    if (next !== offset) { offset = next; continue; }
    const need = (n: number) => offset + n > chunkStart + chunk.length && chunkStart + chunk.length < fileSize;
    if (need(RECORD_HEADER_BYTES)) { chunk = await arena.read(offset, Math.min(CHUNK, fileSize - offset)); chunkStart = offset; }
    const header = decodeRecordHeader(chunk, offset - chunkStart, maxBlockBytes);
    if (typeof header === 'string') return { end: offset, torn: `${header} at offset ${offset}` };
    const total = RECORD_HEADER_BYTES + header.length;
    if (offset + total > fileSize) return { end: offset, torn: `a record at offset ${offset} runs past the end of the file` };
    if (need(total)) { chunk = await arena.read(offset, Math.min(Math.max(CHUNK, total), fileSize - offset)); chunkStart = offset; }
    const at = offset - chunkStart + RECORD_HEADER_BYTES;
    const data = chunk.subarray(at, at + header.length);
    const flags = header.flags ?? 0;
    const block = decodeBlock(flags, data, maxBlockBytes);
    const intact = typeof block !== 'string' && hash(block).equals(header.score);
    yield { ...header, offset, data, size: logicalSize(flags, data), block: intact ? block : EMPTY, intact };
    offset += total;
  }
  return { end: offset };
}
