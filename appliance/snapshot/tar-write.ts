// A pax tar writer (POSIX.1-2001, as `tar --format=pax` writes): ns mtimes, raw-byte
// SCHILY.xattr.* records, long and non-ASCII paths, big ids and sizes. GNU tar reads it.
import type { TarType } from './tar-read.js';
import type { Xattr } from './format.js';

export interface TarHeader {
  path: Buffer; type: TarType;
  mode: number; uid: number; gid: number; mtime: bigint; size: number;
  linkname: Buffer | null; major: number; minor: number; xattrs: Xattr[];
}

const BLOCK = 512;
const FLAG: Record<TarType, string> = { file: '0', link: '1', symlink: '2', char: '3', block: '4', dir: '5', fifo: '6' };
export const END_OF_ARCHIVE = Buffer.alloc(2 * BLOCK);
export const padding = (n: number) => Buffer.alloc((BLOCK - (n % BLOCK)) % BLOCK);

/** A numeric field: octal with a NUL when it fits, else GNU base-256. Returns false when only pax can say it. */
function putNumber(h: Buffer, off: number, len: number, v: number | bigint): boolean {
  const n = BigInt(v);
  if (n >= 0n && n < 8n ** BigInt(len - 1)) {
    h.write(n.toString(8).padStart(len - 1, '0'), off, 'latin1');
    h[off + len - 1] = 0;
    return true;
  }
  let x = n < 0n ? (1n << BigInt(8 * len)) + n : n;
  for (let i = len - 1; i >= 1; i--) { h[off + i] = Number(x & 0xffn); x >>= 8n; }
  h[off] = n < 0n ? 0xff : 0x80;
  return false;
}

function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`), value, Buffer.from('\n')]);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return Buffer.concat([Buffer.from(String(len)), body]);
}

export const formatPaxTime = (ns: bigint) => {
  const neg = ns < 0n;
  const a = neg ? -ns : ns;
  const frac = (a % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return `${neg ? '-' : ''}${a / 1_000_000_000n}${frac ? `.${frac}` : ''}`;
};

const needsPax = (b: Buffer, max: number) => b.length > max || b.some((c) => c >= 0x80);

function ustar(h: TarHeader, name: Buffer, flag: string, size: number): Buffer {
  const b = Buffer.alloc(BLOCK);
  name.copy(b, 0, 0, Math.min(name.length, 100));
  putNumber(b, 100, 8, h.mode);
  putNumber(b, 108, 8, h.uid);
  putNumber(b, 116, 8, h.gid);
  putNumber(b, 124, 12, size);
  const secs = h.mtime >= 0n ? h.mtime / 1_000_000_000n : -((-h.mtime + 999_999_999n) / 1_000_000_000n);
  putNumber(b, 136, 12, secs);
  b.write(flag, 156, 'latin1');
  if (h.linkname) h.linkname.copy(b, 157, 0, Math.min(h.linkname.length, 100));
  b.write('ustar\0' + '00', 257, 'latin1');
  putNumber(b, 329, 8, h.major);
  putNumber(b, 337, 8, h.minor);
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const c of b) sum += c;
  b.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
  return b;
}

/** The header blocks of one entry: a pax extended header when needed, then the ustar header. */
export function encodeTarHeader(h: TarHeader): Buffer {
  const records: Buffer[] = [];
  // Names that are not UTF-8 go in raw, as GNU tar writes them (it ignores "hdrcharset").
  if (needsPax(h.path, 100)) records.push(paxRecord('path', h.path));
  if (h.linkname && needsPax(h.linkname, 100)) records.push(paxRecord('linkpath', h.linkname));
  const probe = Buffer.alloc(12);
  if (!putNumber(probe, 0, 8, h.uid)) records.push(paxRecord('uid', Buffer.from(String(h.uid))));
  if (!putNumber(probe, 0, 8, h.gid)) records.push(paxRecord('gid', Buffer.from(String(h.gid))));
  if (!putNumber(probe, 0, 12, h.size)) records.push(paxRecord('size', Buffer.from(String(h.size))));
  if (h.mtime % 1_000_000_000n !== 0n || !putNumber(probe, 0, 12, h.mtime / 1_000_000_000n)) records.push(paxRecord('mtime', Buffer.from(formatPaxTime(h.mtime))));
  for (const x of h.xattrs) records.push(paxRecord(`SCHILY.xattr.${x.name.toString('latin1')}`, x.value));
  const main = ustar(h, h.path, FLAG[h.type], h.size);
  if (records.length === 0) return main;
  const body = Buffer.concat(records);
  const base = h.path.subarray(h.path.lastIndexOf(0x2f, h.path.length - 2) + 1).toString('latin1').replace(/[^\x20-\x7e]/g, '_').slice(0, 80);
  const paxHead = ustar({ ...h, linkname: null, xattrs: [], major: 0, minor: 0, mtime: h.mtime, mode: 0o644 }, Buffer.from(`./PaxHeaders/${base}`, 'latin1'), 'x', body.length);
  return Buffer.concat([paxHead, body, padding(body.length), main]);
}
