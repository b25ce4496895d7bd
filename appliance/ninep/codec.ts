// The 9P codec: pure functions from messages to frames and back, driven by SCHEMA. Decoding
// is strict: every length is checked against what is left, strings must be UTF-8, and a
// frame with bytes left over is malformed. Nothing here knows about sessions or files.
import { ColonyError, invalid } from '../errors.js';
import { HEADER_BYTES, VERSION_9P2000, type Dialect } from './constants.js';
import { fieldsOf, messageName, messageNumber, type AnyBody, type FieldKind, type Message, type Qid, type Stat } from './messages.js';

const TWO32 = 2 ** 32;
/** u64 all-ones ("don't touch" in Twstat, "to the end" elsewhere) is carried as -1. */
export const U64_ALL_ONES = -1;
const utf8 = new TextDecoder('utf-8', { fatal: true });

const malformed = (why: string) => new ColonyError('COLONY_PROTOCOL', `malformed 9P message: ${why}`);

class Reader {
  pos: number;
  /** Replies may carry identities (fsid, a host's inode numbers) beyond 2^53: round those instead of failing. */
  lossy = false;
  constructor(readonly buf: Buffer, start: number) { this.pos = start; }
  need(n: number, what: string): void {
    if (this.pos + n > this.buf.length) throw malformed(`${what} runs past the end of the frame`);
  }
  u8(what: string): number { this.need(1, what); return this.buf[this.pos++]!; }
  u16(what: string): number { this.need(2, what); const v = this.buf.readUInt16LE(this.pos); this.pos += 2; return v; }
  u32(what: string): number { this.need(4, what); const v = this.buf.readUInt32LE(this.pos); this.pos += 4; return v; }
  u64(what: string): number {
    this.need(8, what);
    const lo = this.buf.readUInt32LE(this.pos);
    const hi = this.buf.readUInt32LE(this.pos + 4);
    this.pos += 8;
    if (hi === 0xffffffff && lo === 0xffffffff) return U64_ALL_ONES;
    // Beyond 2^53 a JS number loses bits; in a request, refuse rather than silently round an offset.
    if (hi > 0x1fffff && !this.lossy) throw new ColonyError('COLONY_TOO_LARGE', `${what} does not fit in 53 bits`);
    return hi * TWO32 + lo;
  }
  bytes(n: number, what: string): Buffer { this.need(n, what); const b = this.buf.subarray(this.pos, this.pos + n); this.pos += n; return b; }
  str(what: string): string {
    const n = this.u16(`${what} length`);
    try { return utf8.decode(this.bytes(n, what)); } catch (err) {
      if (err instanceof ColonyError) throw err;
      throw malformed(`${what} is not UTF-8`);
    }
  }
  qid(what: string): Qid { return { type: this.u8(`${what}.type`), version: this.u32(`${what}.version`), path: this.u64(`${what}.path`) }; }
}

class Writer {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  u8(v: number) { this.buf[this.pos++] = v; }
  u16(v: number) { this.buf.writeUInt16LE(v, this.pos); this.pos += 2; }
  u32(v: number) { this.buf.writeUInt32LE(v >>> 0, this.pos); this.pos += 4; }
  u64(v: number | bigint) {
    if (typeof v === 'bigint') { this.buf.writeBigUInt64LE(v, this.pos); this.pos += 8; return; }
    if (v === U64_ALL_ONES) { this.u32(0xffffffff); this.u32(0xffffffff); return; }
    this.u32(v % TWO32); this.u32(Math.floor(v / TWO32));
  }
  bytes(b: Uint8Array) { this.buf.set(b, this.pos); this.pos += b.length; }
  str(s: string) { const n = this.buf.write(s, this.pos + 2, 'utf8'); this.u16(n); this.pos += n; }
  qid(q: Qid) { this.u8(q.type); this.u32(q.version); this.u64(q.path); }
}

const checkInt = (v: unknown, max: number, what: string): number => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) {
    if (max === Number.MAX_SAFE_INTEGER && v === U64_ALL_ONES) return v;
    throw invalid(`9P field ${what} = ${String(v)} is out of range`);
  }
  return v;
};
const strBytes = (s: unknown, what: string): number => {
  if (typeof s !== 'string') throw invalid(`9P field ${what} is not a string`);
  const n = Buffer.byteLength(s, 'utf8');
  if (n > 0xffff) throw invalid(`9P string ${what} is longer than 65535 bytes`);
  return n;
};

/** Bytes of a stat record including its own size[2]. */
export function statBytes(st: Stat): number {
  return 2 + 2 + 4 + 13 + 4 + 4 + 4 + 8 + 8 + strBytes(st.name, 'name') + strBytes(st.uid, 'uid') + strBytes(st.gid, 'gid') + strBytes(st.muid, 'muid');
}

function writeStat(w: Writer, st: Stat): void {
  w.u16(statBytes(st) - 2);
  w.u16(st.type & 0xffff); w.u32(st.dev); w.qid(st.qid); w.u32(st.mode); w.u32(st.atime); w.u32(st.mtime);
  w.u64(st.length); w.str(st.name); w.str(st.uid); w.str(st.gid); w.str(st.muid);
}

function readStat(r: Reader): Stat {
  const size = r.u16('stat size');
  const end = r.pos + size;
  r.need(size, 'stat');
  const st: Stat = {
    type: r.u16('stat type'), dev: r.u32('stat dev'), qid: r.qid('stat qid'), mode: r.u32('stat mode'),
    atime: r.u32('stat atime'), mtime: r.u32('stat mtime'), length: r.u64('stat length'),
    name: r.str('stat name'), uid: r.str('stat uid'), gid: r.str('stat gid'), muid: r.str('stat muid'),
  };
  if (r.pos !== end) throw malformed('stat size does not match its contents');
  return st;
}

/** One stat record as a directory read returns it (size[2] first). */
export function encodeStat(st: Stat): Buffer {
  const b = Buffer.alloc(statBytes(st));
  writeStat(new Writer(b), st);
  return b;
}

/** Splits the payload of a 9P2000 directory read into stat records. */
export function decodeStats(data: Buffer): Stat[] {
  const r = new Reader(data, 0);
  const out: Stat[] = [];
  while (r.pos < data.length && out.length < data.length) out.push(readStat(r));
  return out;
}

function fieldBytes(kind: FieldKind, v: unknown, name: string, dialect: Dialect): number {
  switch (kind) {
    case 'u8': checkInt(v, 0xff, name); return 1;
    case 'u16': checkInt(v, 0xffff, name); return 2;
    // Mode words are built with `|`, which yields negative numbers in JavaScript: accept the signed form too.
    case 'u32': checkInt(typeof v === 'number' && v < 0 && v >= -0x80000000 ? v >>> 0 : v, 0xffffffff, name); return 4;
    case 'u64':
      // A bigint passes a cookie from another server (diod's readdir offsets use all 64 bits) through untouched.
      if (typeof v === 'bigint') { if (v < 0n || v >= 1n << 64n) throw invalid(`9P field ${name} is out of range`); return 8; }
      checkInt(v, Number.MAX_SAFE_INTEGER, name); return 8;
    case 'nuname': if (dialect === VERSION_9P2000) return 0; checkInt(v, 0xffffffff, name); return 4;
    case 's': return 2 + strBytes(v, name);
    case 'qid': return 13;
    case 'qids': if (!Array.isArray(v) || v.length > 0xffff) throw invalid(`9P field ${name} is not a short list`); return 2 + 13 * v.length;
    case 'names': {
      if (!Array.isArray(v) || v.length > 0xffff) throw invalid(`9P field ${name} is not a short list`);
      return v.reduce((n: number, s: unknown) => n + 2 + strBytes(s, name), 2);
    }
    case 'data': if (!(v instanceof Uint8Array)) throw invalid(`9P field ${name} is not bytes`); return 4 + v.length;
    case 'stat': return 2 + statBytes(v as Stat);
  }
}

function writeField(w: Writer, kind: FieldKind, v: unknown, dialect: Dialect): void {
  switch (kind) {
    case 'u8': w.u8(v as number); break;
    case 'u16': w.u16(v as number); break;
    case 'u32': w.u32(v as number); break;
    case 'u64': w.u64(v as number | bigint); break;
    case 'nuname': if (dialect !== VERSION_9P2000) w.u32(v as number); break;
    case 's': w.str(v as string); break;
    case 'qid': w.qid(v as Qid); break;
    case 'qids': w.u16((v as Qid[]).length); for (const q of v as Qid[]) w.qid(q); break;
    case 'names': w.u16((v as string[]).length); for (const s of v as string[]) w.str(s); break;
    case 'data': w.u32((v as Buffer).length); w.bytes(v as Buffer); break;
    case 'stat': w.u16(statBytes(v as Stat)); writeStat(w, v as Stat); break;
  }
}

/** Encodes a message as one frame. Throws COLONY_INVALID for values that do not fit their fields. */
export function encode(msg: AnyBody & { tag: number }, dialect: Dialect = '9P2000.L'): Buffer {
  const fields = fieldsOf(msg.type);
  const rec = msg as unknown as Record<string, unknown>;
  checkInt(msg.tag, 0xffff, 'tag');
  let size = HEADER_BYTES;
  for (const [name, kind] of Object.entries(fields)) size += fieldBytes(kind, rec[name], name, dialect);
  if (size > 0xffffffff) throw invalid('9P message is larger than 4 GiB');
  const w = new Writer(Buffer.allocUnsafe(size));
  w.u32(size); w.u8(messageNumber(msg.type)); w.u16(msg.tag);
  for (const [name, kind] of Object.entries(fields)) writeField(w, kind, rec[name], dialect);
  return w.buf;
}

/**
 * An Rread whose data comes as pieces sent back to back (a file's leaves), so that data
 * spread over several buffers is written without being joined first. Only a reply has it.
 */
export interface RreadPieces { type: 'Rread'; pieces: readonly Buffer[] }
/** What a request handler answers: any message body, or an Rread in pieces. */
export type ReplyBody = AnyBody | RreadPieces;

/** Below this a payload is copied into the frame: one small write costs less than a writev. */
const COPY_BELOW = 4096;

/**
 * Encodes a message as the pieces of one frame. A large Rread or Rreaddir comes back as its
 * 11-byte head and the caller's data buffer(s), so the payload is written without being copied.
 */
export function encodeParts(msg: ReplyBody & { tag: number }, dialect: Dialect = '9P2000.L'): Buffer[] {
  if ('pieces' in msg) {
    let n = 0;
    for (const p of msg.pieces) {
      if (!(p instanceof Uint8Array)) throw invalid('9P field data is not bytes');
      n += p.length;
    }
    if (n < COPY_BELOW) return [encode({ type: 'Rread', tag: msg.tag, data: Buffer.concat(msg.pieces, n) }, dialect)];
    return [dataHead(msg.type, msg.tag, n), ...msg.pieces.filter((p) => p.length > 0)];
  }
  if ((msg.type === 'Rread' || msg.type === 'Rreaddir') && msg.data.length >= COPY_BELOW) return [dataHead(msg.type, msg.tag, msg.data.length), msg.data];
  return [encode(msg, dialect)];
}

/** size[4] type[1] tag[2] count[4] of a data reply whose count bytes follow. */
function dataHead(type: 'Rread' | 'Rreaddir', tag: number, count: number): Buffer {
  checkInt(tag, 0xffff, 'tag');
  if (count > 0xffffffff - HEADER_BYTES - 4) throw invalid('9P message is larger than 4 GiB');
  const head = Buffer.allocUnsafe(HEADER_BYTES + 4);
  head.writeUInt32LE(head.length + count, 0);
  head.writeUInt8(messageNumber(type), 4);
  head.writeUInt16LE(tag, 5);
  head.writeUInt32LE(count, 7);
  return head;
}

function readField(r: Reader, kind: FieldKind, name: string, dialect: Dialect): unknown {
  switch (kind) {
    case 'u8': return r.u8(name);
    case 'u16': return r.u16(name);
    case 'u32': return r.u32(name);
    case 'u64': return r.u64(name);
    case 'nuname': return dialect === VERSION_9P2000 ? 0xffffffff : r.u32(name);
    case 's': return r.str(name);
    case 'qid': return r.qid(name);
    case 'qids': {
      const n = r.u16(`${name} count`);
      r.need(13 * n, name);
      return Array.from({ length: n }, () => r.qid(name));
    }
    case 'names': {
      const n = r.u16(`${name} count`);
      r.need(2 * n, name); // each name needs at least its length, so n is bounded by the frame
      return Array.from({ length: n }, () => r.str(name));
    }
    case 'data': return r.bytes(r.u32(`${name} count`), name);
    case 'stat': {
      const n = r.u16(`${name} length`);
      const end = r.pos + n;
      r.need(n, name);
      const st = readStat(r);
      if (r.pos !== end) throw malformed(`${name} length does not match the stat record`);
      return st;
    }
  }
}

/** Reads the tag and type of a frame that may be malformed past its header. */
export function peekHeader(frame: Buffer): { type: number; tag: number } | undefined {
  if (frame.length < HEADER_BYTES) return undefined;
  return { type: frame[4]!, tag: frame.readUInt16LE(5) };
}

/**
 * Decodes one whole frame (size[4] included). Byte fields are views into `frame`, not
 * copies. Throws COLONY_PROTOCOL for anything malformed, COLONY_TOO_LARGE for a u64 beyond 2^53
 * in a T-message (an R-message's such values are rounded: they are identities, not offsets).
 */
export function decode(frame: Buffer, dialect: Dialect = '9P2000.L'): Message {
  if (frame.length < HEADER_BYTES) throw malformed('shorter than a header');
  const size = frame.readUInt32LE(0);
  if (size !== frame.length) throw malformed(`size field ${size} but the frame has ${frame.length} bytes`);
  const num = frame[4]!;
  const type = messageName(num);
  if (!type) throw malformed(`unknown message type ${num}`);
  const r = new Reader(frame, HEADER_BYTES);
  r.lossy = type.startsWith('R');
  const msg: Record<string, unknown> = { type, tag: frame.readUInt16LE(5) };
  for (const [name, kind] of Object.entries(fieldsOf(type))) msg[name] = readField(r, kind, name, dialect);
  if (r.pos !== frame.length) throw malformed(`${frame.length - r.pos} bytes left over after ${type}`);
  return msg as unknown as Message;
}

/**
 * Cuts a byte stream into frames. Frames may arrive split across reads or several to a
 * read. A size below the header or above `maxSize` is a protocol error: after it the
 * stream cannot be resynchronised, so the caller should close the connection.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  constructor(public maxSize: number) {}

  get bufferedBytes(): number { return this.buffered; }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /** The next whole frame, or undefined when more bytes are needed. */
  next(): Buffer | undefined {
    if (this.buffered < 4) return undefined;
    const head = this.gather(4);
    const size = head.readUInt32LE(0);
    if (size < HEADER_BYTES) throw malformed(`frame size ${size} is smaller than a header`);
    if (size > this.maxSize) throw new ColonyError('COLONY_PROTOCOL', `frame size ${size} is larger than msize ${this.maxSize}`);
    if (this.buffered < size) return undefined;
    const frame = this.gather(size);
    this.consume(size);
    return frame;
  }

  /** The first n buffered bytes as one buffer (joins chunks only when a frame spans them). */
  private gather(n: number): Buffer {
    const first = this.chunks[0]!;
    if (first.length >= n) return first.subarray(0, n);
    const joined = Buffer.concat(this.chunks);
    this.chunks = [joined];
    return joined.subarray(0, n);
  }

  private consume(n: number): void {
    const first = this.chunks[0]!;
    this.buffered -= n;
    if (first.length === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
  }
}
