// A verified read of one record: the bytes at the index's location, the header naming the
// score, decoded when compressed, and hashed to the score. Anything else is COLONY_CORRUPT_BLOCK.
import { ColonyError, corruptBlock } from '../errors.js';
import type { Arena } from './arena.js';
import { decodeBlockAsync } from './codec.js';
import { arenaOf, offsetOf, RECORD_HEADER_BYTES, type Location } from './record.js';
import { formatScore, type Score } from './score.js';

export async function readVerified(arena: Arena | undefined, score: Score, loc: Location, hash: (b: Uint8Array) => Buffer, maxBlockBytes: number): Promise<Buffer> {
  const where = `arena ${arenaOf(loc.pos)} offset ${offsetOf(loc.pos)}`;
  if (!arena) throw corruptBlock(formatScore(score), `${where} (no such arena)`);
  const buf = await arena.read(offsetOf(loc.pos), RECORD_HEADER_BYTES + loc.length);
  if (buf.length !== RECORD_HEADER_BYTES + loc.length || !buf.subarray(12, RECORD_HEADER_BYTES).equals(score)) throw corruptBlock(formatScore(score), where);
  const flags = buf.readUInt8(5);
  const stored = buf.subarray(RECORD_HEADER_BYTES);
  const data = flags === 0 ? stored : decodedOrCorrupt(score, await decodeBlockAsync(flags, stored, maxBlockBytes), where);
  if (!hash(data).equals(score)) throw corruptBlock(formatScore(score), where);
  return data;
}

/** A stream that does not decode is a corrupt block, like a bad hash. */
export function decodedOrCorrupt(score: Score, block: Buffer | string, where: string): Buffer {
  if (typeof block === 'string') throw new ColonyError('COLONY_CORRUPT_BLOCK', `block ${formatScore(score)} at ${where} does not decode: ${block}`);
  return block;
}
