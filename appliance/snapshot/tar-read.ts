// A tar reader: POSIX ustar and pax (path, linkpath, size, uid, gid, ns mtime,
// SCHILY.xattr.*; global `g` headers too, bounded), GNU long names and base-256 numbers.
// Every header is checked (checksum, field syntax, sizes), so a corrupt or truncated
// archive is a clear COLONY_CORRUPT_DATA error; bodies stream, so memory is bounded by one
// leaf whatever the entry size.
import { ColonyError, corruptData, tooLarge, unsupported } from '../errors.js';
import type { ByteSource } from './byte-source.js';
import type { Xattr } from './format.js';

export type TarType = 'file' | 'link' | 'symlink' | 'char' | 'block' | 'dir' | 'fifo';

export interface TarEntry {
  /** Raw path bytes as written (not yet normalised). */
  path: Buffer;
  type: TarType;
  mode: number; uid: number; gid: number;
  /** ns since the epoch. */
  mtime: bigint;
  size: number;
  linkname: Buffer;
  major: number; minor: number;
  xattrs: Xattr[];
}

const BLOCK = 512;
/** The most a pax or GNU long-name body may hold: headers, not data. */
const META_MAX = 1 << 20;
/** The most pax records (key and value bytes) that the global (`g`) headers of one archive,
 * or the extended (`x`) headers of one entry, may hold together: without it a chain of such
 * headers grows one map without end. */
const PAX_TOTAL_MAX = 1 << 20;
/** The most xattr bytes (names and values) a global header may give every entry: each entry
 * carries them, so this bounds what one small header multiplies into. It holds one value of the
 * largest size the format allows. */
const GLOBAL_XATTR_MAX = 128 << 10;
const XATTR_PREFIX = 'SCHILY.xattr.';
/** Global keys that never apply to other entries: a name or size given to all makes no sense. */
const NOT_GLOBAL = new Set(['path', 'linkpath', 'size']);

const cstr = (b: Buffer, off: number, len: number) => {
  const f = b.subarray(off, off + len);
  const z = f.indexOf(0);
  return z < 0 ? f : f.subarray(0, z);
};

/** A numeric header field: octal text (spaces and NULs around it), or GNU base-256. */
export function parseNumeric(b: Buffer, off: number, len: number, what: string): number {
  const f = b.subarray(off, off + len);
  if (f[0]! & 0x80) {
    const negative = f[0] === 0xff;
    let v = 0n;
    for (let i = 0; i < f.length; i++) v = (v << 8n) | BigInt(i === 0 ? f[i]! & 0x7f : f[i]!);
    if (negative) v -= 1n << BigInt(8 * f.length - 1);
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) throw corruptData(`tar header: ${what} is out of range`);
    return Number(v);
  }
  const text = f.toString('latin1').replace(/\0.*$/s, '').trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw corruptData(`tar header: ${what} is not a number (${JSON.stringify(text)})`);
  return parseInt(text, 8);
}

function checksumOk(h: Buffer): boolean {
  const stored = parseNumeric(h, 148, 8, 'checksum');
  let unsigned = 0, signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const c = i >= 148 && i < 156 ? 0x20 : h[i]!;
    unsigned += c;
    signed += c > 127 ? c - 256 : c;
  }
  return stored === unsigned || stored === signed;
}

/** A pax time "[-]S[.F]" in ns. */
export function parsePaxTime(text: string): bigint {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
  if (!m) throw corruptData(`tar pax header: bad time ${JSON.stringify(text)}`);
  const ns = BigInt(m[2]!) * 1_000_000_000n + BigInt((m[3] ?? '').slice(0, 9).padEnd(9, '0'));
  return m[1] ? -ns : ns;
}

/** Parses pax records "LEN key=value\n"; values stay bytes. */
export function parsePax(body: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let at = 0;
  while (at < body.length) {
    if (body[at] === 0 && body.subarray(at).every((c) => c === 0)) break; // padding some writers leave
    const sp = body.indexOf(0x20, at);
    const lenText = sp < 0 ? '' : body.toString('latin1', at, sp);
    if (!/^[1-9]\d{0,7}$/.test(lenText)) throw corruptData('tar pax header: a record without a valid length');
    const end = at + Number(lenText);
    if (end > body.length || body[end - 1] !== 0x0a) throw corruptData('tar pax header: a record overruns its header');
    const rec = body.subarray(sp + 1, end - 1);
    const eq = rec.indexOf(0x3d);
    if (eq <= 0) throw corruptData('tar pax header: a record without "key="');
    out.set(rec.toString('latin1', 0, eq), Buffer.from(rec.subarray(eq + 1)));
    at = end;
  }
  return out;
}

/** pax records collected over one or more headers, with their size kept under a bound. */
class PaxRecords {
  readonly map = new Map<string, Buffer>();
  private bytes = 0;
  /** Key and value bytes of the SCHILY.xattr.* records alone. */
  xattrBytes = 0;
  constructor(private readonly what: string) {}

  /** Adds a header's records; a later record replaces an earlier one with the same key. */
  add(records: Map<string, Buffer>): void {
    for (const [k, v] of records) {
      const old = this.map.get(k);
      const delta = k.length + v.length - (old ? k.length + old.length : 0);
      this.bytes += delta;
      if (k.startsWith(XATTR_PREFIX)) this.xattrBytes += delta;
      this.map.set(k, v);
    }
    if (this.bytes > PAX_TOTAL_MAX) throw tooLarge(`tar ${this.what} hold more than ${PAX_TOTAL_MAX} bytes of pax records`);
  }
}

/** What the global headers say, kept up to date per `g` header rather than worked out per entry. */
class GlobalView {
  /** Keys that apply to every entry, xattrs aside. Only read while an entry is parsed. */
  readonly fields = new Map<string, Buffer>();
  /** Sorted; shared by every entry without xattrs of its own, so replaced, never mutated. */
  xattrs: readonly Xattr[] = Object.freeze([]);
  sparse = false;

  /** Applies one `g` header's records: work in that header's size plus the xattrs, not the whole map. */
  apply(records: Map<string, Buffer>): void {
    const changed: Xattr[] = [];
    for (const [k, v] of records) {
      if (NOT_GLOBAL.has(k)) continue;
      if (k.startsWith(XATTR_PREFIX)) changed.push({ name: Buffer.from(k.slice(XATTR_PREFIX.length), 'latin1'), value: v });
      else this.fields.set(k, v);
      if (k.startsWith('GNU.sparse.')) this.sparse = true;
    }
    if (changed.length) this.xattrs = Object.freeze(mergeXattrs(this.xattrs, changed));
  }
}

/** `own` (unique names) over `base` (sorted): one pass, sorted by name, an own value winning. */
function mergeXattrs(base: readonly Xattr[], own: Xattr[]): Xattr[] {
  own.sort((a, b) => Buffer.compare(a.name, b.name));
  const out: Xattr[] = [];
  let i = 0, j = 0;
  while (i < base.length || j < own.length) {
    const c = i >= base.length ? 1 : j >= own.length ? -1 : Buffer.compare(base[i]!.name, own[j]!.name);
    if (c < 0) out.push(base[i++]!);
    else { if (c === 0) i++; out.push(own[j++]!); }
  }
  return out;
}

const TYPES: Record<string, TarType> = { '0': 'file', '\0': 'file', '7': 'file', '1': 'link', '2': 'symlink', '3': 'char', '4': 'block', '5': 'dir', '6': 'fifo' };

export class TarReader {
  private unread = 0;
  private pad = 0;
  private readonly global = new PaxRecords('global (g) headers');
  private readonly globalView = new GlobalView();
  private finished = false;

  constructor(private readonly src: ByteSource) {}

  /** The next entry, or null at the end-of-archive marker. Skips whatever of the previous body was not read. */
  async next(): Promise<TarEntry | null> {
    try {
      return await this.nextEntry();
    } catch (err) {
      throw err instanceof ColonyError ? err : corruptData(`reading the tar stream: ${err instanceof Error ? err.message : String(err)}`, err);
    }
  }

  /** Up to `n` bytes of the current entry's body (exactly n unless the body has fewer left). */
  async read(n: number): Promise<Buffer> {
    const take = Math.min(n, this.unread);
    try {
      const b = await this.src.read(take);
      this.unread -= take;
      return b;
    } catch (err) {
      throw err instanceof ColonyError ? err : corruptData(`reading the tar stream: ${err instanceof Error ? err.message : String(err)}`, err);
    }
  }

  /** Skips the rest of the current body and its padding. */
  private async skipBody(): Promise<void> {
    await this.src.skip(this.unread + this.pad);
    this.unread = 0;
    this.pad = 0;
  }

  private async nextEntry(): Promise<TarEntry | null> {
    if (this.finished) return null;
    await this.skipBody();
    const local = new PaxRecords('extended (x) headers of one entry');
    let longName: Buffer | undefined;
    let longLink: Buffer | undefined;
    for (;;) {
      if (await this.src.atEnd()) throw corruptData('the tar stream ends without its end-of-archive marker (truncated?)');
      const at = this.src.offset;
      const h = await this.src.read(BLOCK);
      if (h.every((c) => c === 0)) { this.finished = true; return null; }
      if (!checksumOk(h)) throw corruptData(`tar header at byte ${at} fails its checksum (corrupt, or not a tar stream)`);
      const flag = String.fromCharCode(h[156]!);
      let size = parseNumeric(h, 124, 12, 'size');
      if (size < 0) throw corruptData(`tar header at byte ${at}: negative size`);
      if ('xgLK'.includes(flag)) {
        if (size > META_MAX) throw corruptData(`tar header at byte ${at}: a ${size}-byte extended header`);
        const body = await this.src.read(size);
        await this.src.skip(padding(size));
        if (flag === 'x') local.add(parsePax(body));
        else if (flag === 'g') {
          const records = parsePax(body);
          this.global.add(records);
          if (this.global.xattrBytes > GLOBAL_XATTR_MAX) throw tooLarge(`tar global (g) headers give every entry more than ${GLOBAL_XATTR_MAX} bytes of xattrs`);
          this.globalView.apply(records);
        }
        else if (flag === 'L') longName = cstr(body, 0, body.length);
        else longLink = cstr(body, 0, body.length);
        continue;
      }
      if (flag === 'V') { await this.src.skip(size + padding(size)); continue; }
      let type = TYPES[flag];
      if (!type) throw flag === 'S' ? unsupported('GNU sparse tar members are not supported; archive without --sparse') : corruptData(`tar header at byte ${at}: unsupported entry type ${JSON.stringify(flag)}`);
      // The global records are looked up, not copied: an entry costs its own records only.
      const g = this.globalView;
      const own = local.map;
      const paxGet = (k: string) => own.get(k) ?? g.fields.get(k);
      if (g.sparse || [...own.keys()].some((k) => k.startsWith('GNU.sparse.'))) throw unsupported('GNU sparse tar members are not supported; archive without --sparse');
      const ustar = h.toString('latin1', 257, 263) === 'ustar\0';
      let path = cstr(h, 0, 100);
      if (ustar && h[345]) path = Buffer.concat([cstr(h, 345, 155), Buffer.from('/'), path]);
      path = own.get('path') ?? longName ?? path;
      if (type === 'file' && flag === '\0' && path.at(-1) === 0x2f) type = 'dir'; // old tars mark directories by a trailing slash
      const num = (key: string, field: number, len: number) => {
        const v = key === 'size' ? own.get(key) : paxGet(key);
        if (v === undefined) return parseNumeric(h, field, len, key);
        if (!/^\d+$/.test(v.toString('latin1'))) throw corruptData(`tar pax header: bad ${key}`);
        return Number(v.toString('latin1'));
      };
      size = num('size', 124, 12);
      if (!Number.isSafeInteger(size)) throw corruptData(`tar header at byte ${at}: bad size`);
      const paxTime = paxGet('mtime');
      const ownXattrs: Xattr[] = [];
      for (const [k, v] of own) if (k.startsWith(XATTR_PREFIX)) ownXattrs.push({ name: Buffer.from(k.slice(XATTR_PREFIX.length), 'latin1'), value: v });
      // Without xattrs of its own an entry shares the global array (frozen), so a big global
      // header is never copied per entry.
      const xattrs = ownXattrs.length ? mergeXattrs(g.xattrs, ownXattrs) : g.xattrs as Xattr[];
      const entry: TarEntry = {
        path, type,
        mode: parseNumeric(h, 100, 8, 'mode') & 0o7777,
        uid: num('uid', 108, 8), gid: num('gid', 116, 8),
        mtime: paxTime ? parsePaxTime(paxTime.toString('latin1')) : BigInt(parseNumeric(h, 136, 12, 'mtime')) * 1_000_000_000n,
        size: type === 'file' ? size : 0,
        linkname: own.get('linkpath') ?? longLink ?? cstr(h, 157, 100),
        major: type === 'char' || type === 'block' ? parseNumeric(h, 329, 8, 'devmajor') : 0,
        minor: type === 'char' || type === 'block' ? parseNumeric(h, 337, 8, 'devminor') : 0,
        xattrs,
      };
      if (entry.path.length === 0) throw corruptData(`tar header at byte ${at}: an entry without a name`);
      // Bodies of non-files (rare: a GNU dumpdir, a hard link with data) are skipped.
      this.unread = size;
      this.pad = padding(size);
      if (type !== 'file') await this.skipBody();
      return entry;
    }
  }
}

const padding = (n: number) => (BLOCK - (n % BLOCK)) % BLOCK;
