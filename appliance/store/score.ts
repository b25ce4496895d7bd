// A score names a block: the BLAKE3-256 hash of its bytes, written `b3:<64 hex>`.
import { invalid } from '../errors.js';

export const SCORE_BYTES = 32;
const PREFIX = 'b3:';
const TEXT = /^b3:[0-9a-f]{64}$/;

/** 32 raw bytes. Kept as a Buffer so it can be a LevelDB key without copying. */
export type Score = Buffer;

export const formatScore = (score: Uint8Array): string => PREFIX + Buffer.from(score.buffer, score.byteOffset, score.byteLength).toString('hex');

export function parseScore(text: string): Score {
  const lower = text.trim().toLowerCase();
  if (!TEXT.test(lower)) throw invalid(`not a score: '${text}' (expected b3: followed by 64 hex digits)`);
  return Buffer.from(lower.slice(PREFIX.length), 'hex');
}

export const isScoreText = (text: string): boolean => TEXT.test(text.trim().toLowerCase());
