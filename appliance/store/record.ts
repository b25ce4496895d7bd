// The on-disk formats of arenas, pure: bytes in, values out. Every record describes
// itself, so the index can always be rebuilt from the arenas alone.
//
// Arena file:  [header 64 B] [record] [record] ... [seal record, once sealed]
// Record:      magic u32 | type u8 | flags u8 | 0 u16 | length u32 | score 32 B | data
// All integers are little-endian. `length` is the stored length. flags 0 is the v1 record
// (data as is); a codec in the high nibble marks compressed data (codec.ts).
import { corruptData, invalid } from '../errors.js';
import { COMPRESSED_PREFIX, knownFlags } from './codec.js';
import { SCORE_BYTES } from './score.js';

export const ARENA_MAGIC = 'COLONYAR';
export const ARENA_VERSION = 1;
export const ARENA_HEADER_BYTES = 64;
export const RECORD_MAGIC = 0xc010b10c;
export const RECORD_HEADER_BYTES = 12 + SCORE_BYTES;
/** Block types 0..254 belong to the layers above; 255 marks the record that seals an arena. */
export const SEAL_TYPE = 255;
export const MAX_BLOCK_TYPE = 254;

/**
 * A log position is a monotonic address in the store's log: arena number times a fixed
 * stride, plus the offset inside the arena. The stride does not depend on the configured
 * arena size, so the size can change between arenas without renumbering anything.
 */
export const ARENA_STRIDE = 2 ** 36; // 64 GiB, the largest possible arena
export const logPosition = (arena: number, offset: number) => arena * ARENA_STRIDE + offset;
export const arenaOf = (pos: number) => Math.floor(pos / ARENA_STRIDE);
export const offsetOf = (pos: number) => pos % ARENA_STRIDE;

export interface ArenaHeader { number: number; created: number }

export function encodeArenaHeader(h: ArenaHeader): Buffer {
  const buf = Buffer.alloc(ARENA_HEADER_BYTES);
  buf.write(ARENA_MAGIC, 0, 'latin1');
  buf.writeUInt32LE(ARENA_VERSION, 8);
  buf.writeUInt32LE(h.number, 12);
  buf.writeDoubleLE(h.created, 16);
  return buf;
}

export function decodeArenaHeader(buf: Buffer, where: string): ArenaHeader {
  if (buf.length < ARENA_HEADER_BYTES || buf.toString('latin1', 0, 8) !== ARENA_MAGIC) {
    throw corruptData(`${where} is not a Colony arena (bad magic)`);
  }
  const version = buf.readUInt32LE(8);
  if (version !== ARENA_VERSION) throw corruptData(`${where} has arena format ${version}; this build reads ${ARENA_VERSION}`);
  return { number: buf.readUInt32LE(12), created: buf.readDoubleLE(16) };
}

export function encodeRecordHeader(type: number, length: number, score: Uint8Array, flags = 0): Buffer {
  if (!Number.isInteger(type) || type < 0 || type > SEAL_TYPE) throw invalid(`block type ${type} is out of range 0..${MAX_BLOCK_TYPE}`);
  const buf = Buffer.alloc(RECORD_HEADER_BYTES);
  buf.writeUInt32LE(RECORD_MAGIC, 0);
  buf.writeUInt8(type, 4);
  buf.writeUInt8(flags, 5);
  buf.writeUInt32LE(length, 8);
  buf.set(score, 12);
  return buf;
}

/** `flags` is present only on compressed records, so a v1 header decodes as it always did. */
export interface RecordHeader { type: number; length: number; score: Buffer; flags?: number }

/**
 * Reads a record header at `offset`. Returns a reason string instead of throwing when the
 * bytes are not a plausible header, because during recovery that is the normal sign of a
 * torn tail, not an exceptional case.
 */
export function decodeRecordHeader(buf: Buffer, offset: number, maxBlockBytes: number): RecordHeader | string {
  if (buf.length - offset < RECORD_HEADER_BYTES) return 'a partial record header';
  if (buf.readUInt32LE(offset) !== RECORD_MAGIC) return 'no record magic';
  const type = buf.readUInt8(offset + 4);
  const flags = buf.readUInt8(offset + 5);
  if (!knownFlags(flags) || buf.readUInt16LE(offset + 6) !== 0) return 'nonzero reserved header bytes';
  const length = buf.readUInt32LE(offset + 8);
  if (length > maxBlockBytes) return `a length of ${length} bytes, over the block size limit`;
  if (flags !== 0 && length < COMPRESSED_PREFIX) return `a compressed record of ${length} bytes`;
  const score = Buffer.from(buf.subarray(offset + 12, offset + RECORD_HEADER_BYTES));
  return flags === 0 ? { type, length, score } : { type, length, score, flags };
}

/**
 * Where a block lives: what the index stores for each score. `length` is the stored
 * length (what to read); `size`, the block's logical length, is there only when it differs
 * (a compressed record), so entries written before compression decode unchanged.
 */
export interface Location { pos: number; length: number; type: number; size?: number }

export const LOCATION_BYTES = 13;
const SIZED_LOCATION_BYTES = 17;

/** The block's logical (uncompressed) length. */
export const logicalLength = (loc: Location) => loc.size ?? loc.length;

export function encodeLocation(loc: Location): Buffer {
  const sized = loc.size !== undefined && loc.size !== loc.length;
  const buf = Buffer.alloc(sized ? SIZED_LOCATION_BYTES : LOCATION_BYTES);
  if (sized) buf.writeUInt32LE(loc.size!, 13);
  buf.writeUInt32LE(loc.pos % 2 ** 32, 0);
  buf.writeUInt32LE(Math.floor(loc.pos / 2 ** 32), 4);
  buf.writeUInt32LE(loc.length, 8);
  buf.writeUInt8(loc.type, 12);
  return buf;
}

export function decodeLocation(buf: Uint8Array): Location {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length !== LOCATION_BYTES && b.length !== SIZED_LOCATION_BYTES) throw corruptData(`index entry of ${b.length} bytes (expected ${LOCATION_BYTES} or ${SIZED_LOCATION_BYTES})`);
  const loc: Location = { pos: b.readUInt32LE(0) + b.readUInt32LE(4) * 2 ** 32, length: b.readUInt32LE(8), type: b.readUInt8(12) };
  if (b.length === SIZED_LOCATION_BYTES) loc.size = b.readUInt32LE(13);
  return loc;
}
