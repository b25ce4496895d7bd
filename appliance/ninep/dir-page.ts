// Which directory entries go into one Treaddir reply: those after the cookie, as many as
// fit in `count` bytes (about 24 bytes of header plus the name each), at least one.
import type { DirEntry } from './backend.js';

export function pageEntries(all: DirEntry[], cookie: number, count: number): DirEntry[] {
  const out: DirEntry[] = [];
  let bytes = 0;
  for (const e of all) {
    if (e.cookie <= cookie) continue;
    bytes += 24 + Buffer.byteLength(e.name);
    if (bytes > count && out.length) break;
    out.push(e);
  }
  return out;
}
