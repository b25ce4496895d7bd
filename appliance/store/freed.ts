// Freed ranges: spans of a sealed arena whose records no longer belong to the log, kept in
// a small file beside the arena (`arena-NNNNNN.freed`). Garbage collection frees records in
// place instead of copying the live ones out: the ranges are written here first, durably,
// and only then are their bytes given back to the filesystem with a hole
// (fallocate --punch-hole). Every walk of the arena skips them, so a punched hole, which
// reads as zeros, is never taken for a torn record. Pure helpers first, then the effects.
import { execFile } from 'node:child_process';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ColonyError, corruptData, fromSystemError } from '../errors.js';
import { syncDir } from '../files.js';

/** `[start, end)` offsets in one arena, on record boundaries. */
export type Range = readonly [number, number];

/** The filesystem frees whole blocks: a hole covers only the blocks wholly inside a range. */
export const FS_BLOCK = 4096;
/**
 * Ranges whose whole blocks are fewer bytes than this are recorded but not punched: each
 * punch runs `fallocate` once, and the few blocks a small range holds are not worth it.
 */
export const MIN_PUNCH_BYTES = 256 << 10;

export const freedFileName = (n: number) => `arena-${String(n).padStart(6, '0')}.freed`;

/** Sorted, with overlapping and touching ranges joined. */
export function mergeRanges(ranges: Iterable<Range>): Range[] {
  const sorted = [...ranges].filter(([s, e]) => e > s).sort((a, b) => a[0] - b[0]);
  const out: Array<[number, number]> = [];
  for (const [s, e] of sorted) {
    const last = out.at(-1);
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
}

/** The whole filesystem blocks inside `range`, or undefined when they are too few to punch. */
export function punchable([s, e]: Range, min = MIN_PUNCH_BYTES): Range | undefined {
  const start = Math.ceil(s / FS_BLOCK) * FS_BLOCK;
  const end = Math.floor(e / FS_BLOCK) * FS_BLOCK;
  return end - start >= min ? [start, end] : undefined;
}

/**
 * The ranges to free in an arena, from the records kept (sorted `[start, end)` offsets): every
 * gap between `from` (just past the arena header), the kept records and `until` (the seal, or
 * undefined when it was not found: then nothing past the last kept record is freed).
 */
export function gapsBetween(kept: Iterable<Range>, from: number, until: number | undefined): Range[] {
  const gaps: Range[] = [];
  let at = from;
  for (const [start, end] of kept) {
    if (start > at) gaps.push([at, start]);
    at = Math.max(at, end);
  }
  if (until !== undefined && until > at) gaps.push([at, until]);
  return gaps;
}

/** Where a walk at `offset` goes on: the end of the freed range holding it, else `offset`. */
export function skipFreed(ranges: readonly Range[], offset: number): number {
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [s, e] = ranges[mid]!;
    if (offset < s) hi = mid - 1;
    else if (offset >= e) lo = mid + 1;
    else return e;
  }
  return offset;
}

/** Bytes the holes give back: the punchable part of every range. */
export const punchedBytes = (ranges: readonly Range[]) =>
  ranges.reduce((n, r) => { const p = punchable(r); return n + (p ? p[1] - p[0] : 0); }, 0);

/** The freed ranges of arena `n`, or none when it has no file. */
export async function loadFreed(dir: string, n: number): Promise<Range[]> {
  const path = join(dir, freedFileName(n));
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw fromSystemError(err, `reading ${path}`);
  }
  let parsed: unknown;
  try { parsed = JSON.parse(text); } catch { parsed = undefined; }
  const ranges = (parsed as { version?: number; freed?: unknown })?.freed;
  const valid = Array.isArray(ranges) && ranges.every((r) => Array.isArray(r) && r.length === 2 && r.every((x) => Number.isSafeInteger(x) && x >= 0) && r[1] > r[0]);
  // Without its freed ranges an arena with holes cannot be walked: refuse rather than guess.
  if (!valid || (parsed as { version?: number }).version !== 1) throw corruptData(`${path} is not a list of freed ranges; the store cannot walk that arena without it`);
  return mergeRanges(ranges as Range[]);
}

/**
 * Replaces the freed ranges of several arenas durably: each in a temporary file, fsynced and
 * renamed over the old one, then one fsync of the directory for all the renames.
 */
export async function saveFreed(dir: string, arenas: ReadonlyMap<number, readonly Range[]>): Promise<void> {
  // The files are written and fsynced side by side: the device takes the flushes together.
  await Promise.all([...arenas].map(async ([n, ranges]) => {
    const path = join(dir, freedFileName(n));
    const tmp = `${path}.tmp`;
    try {
      const file = await open(tmp, 'w');
      try {
        await file.writeFile(JSON.stringify({ version: 1, freed: ranges }));
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(tmp, path);
    } catch (err) {
      await rm(tmp, { force: true }).catch(() => {});
      throw fromSystemError(err, `writing ${path}`);
    }
  }));
  if (arenas.size > 0) await syncDir(dir);
}

export async function removeFreed(dir: string, n: number): Promise<void> {
  await rm(join(dir, freedFileName(n)), { force: true }).catch((err) => { throw fromSystemError(err, `removing ${freedFileName(n)}`); });
}

/** Holes per `sh` run: keeps the argument list far under the kernel's limit. */
const HOLES_PER_RUN = 256;

/**
 * Gives each `[start, end)` back to the filesystem; the files keep their size and the ranges
 * read as zeros. Node has no fallocate(2), so this runs util-linux's `fallocate`, which every
 * Debian system has (util-linux is essential), from one `sh` per 256 holes: starting a
 * process from a large Node process costs tens of milliseconds, one from `sh` almost nothing.
 * COLONY_UNSUPPORTED when the program is missing or the filesystem cannot punch holes: the
 * caller copies instead.
 */
export async function punchHoles(holes: ReadonlyArray<{ path: string; range: Range }>): Promise<void> {
  const script = 'while [ $# -gt 0 ]; do fallocate --punch-hole --offset "$1" --length "$2" "$3" || exit $?; shift 3; done';
  for (let i = 0; i < holes.length; i += HOLES_PER_RUN) {
    const args = holes.slice(i, i + HOLES_PER_RUN).flatMap(({ path, range: [s, e] }) => [String(s), String(e - s), path]);
    await new Promise<void>((resolve, reject) => {
      execFile('/bin/sh', ['-c', script, 'punch', ...args], { timeout: 120_000 }, (err, _out, stderr) => {
        if (!err) return resolve();
        const code = (err as { code?: unknown }).code;
        if (code === 127 || /fallocate: (not found|No such file)/.test(stderr)) return reject(new ColonyError('COLONY_UNSUPPORTED', 'punching holes needs the fallocate program; install the util-linux package', { cause: err }));
        if (/not supported/i.test(stderr)) return reject(new ColonyError('COLONY_UNSUPPORTED', `this filesystem cannot punch holes (${stderr.trim()})`, { cause: err }));
        reject(new ColonyError('COLONY_IO', `punching holes: ${stderr.trim() || err.message}`, { cause: err }));
      });
    });
  }
}
