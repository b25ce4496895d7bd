// The disk tier's slot journal, as pure functions: a 16-byte header (magic, version, slot
// size) then 48-byte records, each saying "slot S now holds block SCORE (type, length)".
// Replaying it rebuilds the slot map after a restart or a crash. A record is written only
// after its slot's bytes, and every block is checked against its score when read, so a
// record that outlived its bytes (power loss before the data reached the disk) is a miss,
// never wrong data. A torn or corrupt record ends the replay: what follows is cut off.
import { crc32 } from 'node:zlib';
import { SCORE_BYTES, type Score } from '../store/index.js';

export const JOURNAL_MAGIC = Buffer.from('CLNYTIER');
export const JOURNAL_VERSION = 1;
export const HEADER_BYTES = 16;
export const RECORD_BYTES = 48;
/** Record kinds: a slot filled with a block, or a slot given up. */
export const OP_PUT = 1;
export const OP_FREE = 2;

export interface SlotEntry { slot: number; score: Score; type: number; length: number }

export function encodeHeader(slotBytes: number): Buffer {
  const b = Buffer.alloc(HEADER_BYTES);
  JOURNAL_MAGIC.copy(b, 0);
  b.writeUInt32LE(JOURNAL_VERSION, 8);
  b.writeUInt32LE(slotBytes, 12);
  return b;
}

export function encodeRecord(op: number, e: SlotEntry): Buffer {
  const b = Buffer.alloc(RECORD_BYTES);
  b.writeUInt32LE(e.slot, 0);
  b[4] = op;
  b[5] = e.type;
  b.writeUInt32LE(e.length, 8);
  Buffer.from(e.score).copy(b, 12, 0, SCORE_BYTES);
  b.writeUInt32LE(crc32(b.subarray(0, 44)), 44);
  return b;
}

export interface Replay {
  /** Slot → entry, in journal order (the oldest first: the eviction order to start from). */
  entries: SlotEntry[];
  /** Bytes of the journal that replayed cleanly; anything after is cut off. */
  validBytes: number;
  records: number;
  /** Why the journal cannot be used at all (bad magic, version or slot size): start empty. */
  reject?: string;
}

/** Replays a journal read whole. Pure. `capacity` slots exist; records past it are dropped. */
export function replayJournal(buf: Buffer, slotBytes: number, capacity: number): Replay {
  if (buf.length < HEADER_BYTES) return { entries: [], validBytes: 0, records: 0, reject: buf.length ? 'short header' : 'empty' };
  if (!buf.subarray(0, 8).equals(JOURNAL_MAGIC)) return { entries: [], validBytes: 0, records: 0, reject: 'not a tier journal' };
  if (buf.readUInt32LE(8) !== JOURNAL_VERSION) return { entries: [], validBytes: 0, records: 0, reject: `version ${buf.readUInt32LE(8)}` };
  if (buf.readUInt32LE(12) !== slotBytes) return { entries: [], validBytes: 0, records: 0, reject: `slot size ${buf.readUInt32LE(12)}, want ${slotBytes}` };
  const bySlot = new Map<number, SlotEntry>();
  let at = HEADER_BYTES;
  let records = 0;
  for (; at + RECORD_BYTES <= buf.length; at += RECORD_BYTES) {
    const r = buf.subarray(at, at + RECORD_BYTES);
    if (r.readUInt32LE(44) !== crc32(r.subarray(0, 44))) break;
    const slot = r.readUInt32LE(0);
    const op = r[4]!;
    if (op !== OP_PUT && op !== OP_FREE) break;
    records++;
    bySlot.delete(slot); // re-inserted below, so the map's order is the order of the latest write
    if (op === OP_FREE) continue;
    const length = r.readUInt32LE(8);
    if (slot >= capacity || length > slotBytes) continue;
    bySlot.set(slot, { slot, type: r[5]!, length, score: Buffer.from(r.subarray(12, 12 + SCORE_BYTES)) });
  }
  // One score in two slots: the later slot wins; the earlier is free again.
  const byScore = new Map<string, SlotEntry>();
  for (const e of bySlot.values()) {
    const key = e.score.toString('hex');
    byScore.delete(key);
    byScore.set(key, e);
  }
  return { entries: [...byScore.values()], validBytes: at, records };
}
