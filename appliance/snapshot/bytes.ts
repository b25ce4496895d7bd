// Byte-level primitives of the snapshot format: unsigned LEB128 varints (minimal form
// only), zigzag for signed values, length-prefixed byte strings. Pure and allocation-light.
import { corruptData, invalid } from '../errors.js';

/** Appends values to a growing buffer. */
export class ByteWriter {
  private buf: Buffer;
  private len = 0;

  constructor(initial = 256) { this.buf = Buffer.allocUnsafe(initial); }

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  u8(v: number): this { this.room(1); this.buf[this.len++] = v; return this; }

  /** An unsigned integer up to 2^64-1, as a minimal LEB128 varint. */
  uvar(v: number | bigint): this {
    if (typeof v === 'number') {
      if (!Number.isSafeInteger(v) || v < 0) throw invalid(`not an unsigned integer: ${v}`);
      this.room(10);
      while (v >= 0x80) { this.buf[this.len++] = (v % 0x80) | 0x80; v = Math.floor(v / 0x80); }
      this.buf[this.len++] = v;
      return this;
    }
    if (v < 0n || v >= 1n << 64n) throw invalid(`not an unsigned 64-bit integer: ${v}`);
    // Two 32-bit halves in plain numbers: BigInt arithmetic per byte is slow (ns times are 61 bits).
    let lo = Number(v & 0xffffffffn);
    let hi = Number(v >> 32n);
    this.room(10);
    while (hi > 0 || lo >= 0x80) {
      this.buf[this.len++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | ((hi & 0x7f) << 25)) >>> 0;
      hi >>>= 7;
    }
    this.buf[this.len++] = lo;
    return this;
  }

  /** A signed 64-bit integer, zigzag-mapped then written as a varint. */
  svar(v: bigint): this {
    if (v < -(1n << 63n) || v >= 1n << 63n) throw invalid(`not a signed 64-bit integer: ${v}`);
    return this.uvar(v >= 0n ? v << 1n : ((-v) << 1n) - 1n);
  }

  raw(b: Uint8Array): this { this.room(b.length); this.buf.set(b, this.len); this.len += b.length; return this; }

  /** varint length, then the bytes. */
  bytes(b: Uint8Array): this { return this.uvar(b.length).raw(b); }

  get length(): number { return this.len; }

  finish(): Buffer { return this.buf.subarray(0, this.len); }
}

/** Reads values back, rejecting anything a ByteWriter would not have produced. */
export class ByteReader {
  pos = 0;

  constructor(readonly buf: Buffer, readonly what: string) {}

  get done(): boolean { return this.pos >= this.buf.length; }

  fail(why: string): never { throw corruptData(`${this.what}: ${why} at byte ${this.pos}`); }

  u8(): number {
    if (this.pos >= this.buf.length) this.fail('unexpected end');
    return this.buf[this.pos++]!;
  }

  /** A varint that must fit in a JavaScript safe integer. */
  uvar(): number {
    // Fast path in plain numbers for up to 7 bytes (49 bits); longer ones go through BigInt.
    const b = this.buf;
    let v = 0;
    let mul = 1;
    for (let i = this.pos; i < b.length && i < this.pos + 7; i++) {
      const c = b[i]!;
      v += (c & 0x7f) * mul;
      if (!(c & 0x80)) {
        if (c === 0 && i > this.pos) { this.pos = i; this.fail('non-minimal varint'); }
        this.pos = i + 1;
        return v;
      }
      mul *= 128;
    }
    const big = this.uvarBig();
    if (big > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`integer ${big} is too large`);
    return Number(big);
  }

  uvarBig(): bigint {
    // The low 49 bits (7 groups) and the rest accumulate in plain numbers, exactly.
    let low = 0;
    let high = 0;
    let mul = 1;
    for (let i = 0; ; i++) {
      const b = this.u8();
      if (i === 9 && b > 1) this.fail('varint over 64 bits');
      if (i < 7) low += (b & 0x7f) * mul;
      else high += (b & 0x7f) * mul;
      mul = i === 6 ? 1 : mul * 128;
      if (!(b & 0x80)) {
        if (b === 0 && i > 0) this.fail('non-minimal varint');
        return high ? BigInt(low) + (BigInt(high) << 49n) : BigInt(low);
      }
    }
  }

  svar(): bigint {
    const z = this.uvarBig();
    return z & 1n ? -((z + 1n) >> 1n) : z >> 1n;
  }

  raw(n: number): Buffer {
    if (n > this.buf.length - this.pos) this.fail(`${n} bytes wanted, ${this.buf.length - this.pos} left`);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  bytes(max = Infinity): Buffer {
    const n = this.uvar();
    if (n > max) this.fail(`a string of ${n} bytes, over the limit of ${max}`);
    return this.raw(n);
  }

  end(): void {
    if (this.pos !== this.buf.length) this.fail(`${this.buf.length - this.pos} trailing bytes`);
  }
}
