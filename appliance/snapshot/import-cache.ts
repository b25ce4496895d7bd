// What a directory import remembers between runs so that a re-import need not read
// unchanged files: path → (dev, ino, size, mtime, ctime) and the content it had. A file
// whose fingerprint matches, whose ctime is older than the previous run's start (so it
// cannot have changed while that run read it, as git treats "racily clean" files), and
// whose content score the store still has (one batched hasMany), is not read again, as long
// as no block has left the store since the cache was saved (its drop mark). The
// cache is a private file the caller names; losing it only costs a full read.
// It keeps each file's xattrs too: setting or removing one changes the ctime (the VFS
// and every Linux file system stamp it), so a matching fingerprint also means the xattrs
// are unchanged, and a re-import makes no xattr call for an unchanged file.
import { readFile, rename, writeFile } from 'node:fs/promises';
import type { BigIntStats } from 'node:fs';
import { fromSystemError } from '../errors.js';
import { ByteReader, ByteWriter } from './bytes.js';
import { isZeroScore, ZERO_SCORE, type Xattr } from './format.js';
import { SCORE_BYTES, type Score } from '../store/index.js';

const MAGIC = Buffer.from('CLNYIMC4', 'latin1');
// Header: magic, blockSize (varint), whether xattrs were read (1 byte), the run's start (svar),
// the store's drop mark when it was saved (bytes).
// Record: path (varint length + bytes), dev ino size (u64 LE) mtime ctime (i64 LE ns), the
// xattr count (varint) and each name and value (bytes), then 1 + varint length + inline
// bytes, or 0 + the content score.
/**
 * A file changed after the previous run began may have been read half-changed, so a ctime
 * at or after that start (less a margin over the kernel's coarse timestamp tick, a few ms)
 * is not trusted. This assumes the tree's file system stamps times with this machine's
 * clock (a network file system with a skewed server clock defeats it: don't pass a cache there).
 */
const RACY_NS = 100_000_000n;

/** dev, ino, size (u64 LE), mtime, ctime (i64 LE ns): 40 bytes, compared as bytes. */
export interface Fingerprint { bytes: Buffer; ctime: bigint }
export interface Known { score: Score; inline: Buffer | null; size: number; xattrs: Xattr[] }
/** `xattrs` is read from `src` when saving: the helper fills some in after the scan. */
interface Remembered extends Known { fp: Buffer; src?: { xattrs: Xattr[] } }

export function fingerprint(st: BigIntStats): Fingerprint {
  const b = Buffer.allocUnsafe(40);
  b.writeBigUInt64LE(st.dev, 0);
  b.writeBigUInt64LE(st.ino, 8);
  b.writeBigUInt64LE(st.size, 16);
  b.writeBigInt64LE(st.mtimeNs, 24);
  b.writeBigInt64LE(st.ctimeNs, 32);
  return { bytes: b, ctime: st.ctimeNs };
}

export class ImportCache {
  readonly next = new Map<string, Remembered>();
  /** Whether `next` holds anything but prior entries as they were (see `save`). */
  private changed = false;

  private constructor(
    private readonly prior: Map<string, Remembered>,
    private readonly priorStart: bigint,
    /** The store's `dropMark()` when the prior run saved: content is trusted only while it is unchanged. */
    readonly priorMark: string,
    private readonly blockSize: number,
    private readonly xattrs: boolean,
  ) {}

  /**
   * Loads `file` (a missing, foreign or damaged file is an empty cache, and so is one
   * written with another block size or xattr setting).
   */
  /** Files the previous run remembered: none on a first run (or after a lost cache). */
  get remembered(): number { return this.prior.size; }

  static async load(file: string, blockSize: number, xattrs = true): Promise<ImportCache> {
    const empty = new ImportCache(new Map(), 0n, '', blockSize, xattrs);
    const buf = await readFile(file).catch(() => undefined);
    if (!buf) return empty;
    try {
      const r = new ByteReader(buf, 'import cache');
      if (!r.raw(MAGIC.length).equals(MAGIC) || r.uvar() !== blockSize || r.u8() !== (xattrs ? 1 : 0)) return empty;
      const start = r.svar();
      const mark = r.bytes().toString('latin1');
      const prior = new Map<string, Remembered>();
      while (!r.done) {
        const path = r.bytes().toString('latin1');
        const fp = r.raw(40);
        const xs: Xattr[] = [];
        for (let n = r.uvar(); n > 0; n--) xs.push({ name: r.bytes(), value: r.bytes() });
        const inline = r.u8() === 1 ? r.bytes() : null;
        const score = inline ? ZERO_SCORE : r.raw(SCORE_BYTES);
        prior.set(path, { fp, score, inline, size: Number(fp.readBigUInt64LE(16)), xattrs: xs });
      }
      return new ImportCache(prior, start, mark, blockSize, xattrs);
    } catch {
      return empty;
    }
  }

  /** The remembered content of `path` if its fingerprint still matches and is not racy. */
  candidate(path: Buffer, fp: Fingerprint): Known | undefined {
    const c = this.prior.get(path.toString('latin1'));
    if (!c || !c.fp.equals(fp.bytes) || fp.ctime >= this.priorStart - RACY_NS) return undefined;
    return c;
  }

  remember(path: Buffer, fp: Fingerprint, known: Known): void {
    const key = path.toString('latin1');
    // Unchanged only when it is the prior entry itself (a hit): a file read again, even to
    // the same content, must be saved so its ctime is judged against this run's start.
    const p = this.prior.get(key);
    if (!p || p.score !== known.score || p.inline !== known.inline || p.xattrs !== known.xattrs || !p.fp.equals(fp.bytes)) this.changed = true;
    this.next.set(key, { fp: fp.bytes, score: known.score, inline: known.inline, size: known.size, xattrs: known.xattrs, src: known });
  }

  /**
   * Writes what this run saw, atomically (temp file, then rename). `start` is when this run
   * began. When every file was a hit and none went away the file is left as it is: each
   * entry's ctime is older than the prior start, so the prior start judges them as well.
   */
  async save(file: string, start: bigint, mark: string): Promise<void> {
    if (!this.changed && this.next.size === this.prior.size && this.prior.size > 0 && mark === this.priorMark) return;
    const w = new ByteWriter(64 + this.next.size * 128).raw(MAGIC).uvar(this.blockSize).u8(this.xattrs ? 1 : 0).svar(start).bytes(Buffer.from(mark, 'latin1'));
    for (const [path, c] of this.next) {
      const xattrs = c.src?.xattrs ?? c.xattrs;
      w.bytes(Buffer.from(path, 'latin1')).raw(c.fp).uvar(xattrs.length);
      for (const x of xattrs) w.bytes(x.name).bytes(x.value);
      if (c.inline) w.u8(1).bytes(c.inline);
      else w.u8(0).raw(c.score);
    }
    const tmp = `${file}.tmp-${process.pid}`;
    try {
      await writeFile(tmp, w.finish());
      await rename(tmp, file);
    } catch (err) {
      throw fromSystemError(err, `writing the import cache ${file}`);
    }
  }
}

/** Stored content an import reuses without writing it (gc/holds.ts: a collection meanwhile keeps it). */
export interface ReusedTree { score: Score; size: number; blockSize: number; kind: 'file' | 'dir' }
/** A store that can hold what an import reuses until the import is named (the collector's hold has it). */
export interface TreeHolder { holdTrees?(trees: ReusedTree[]): Promise<void>; dropMark?(): string }

/**
 * Of `known`, the ones whose content the store still has whole: one batched lookup of the
 * tops. A store that can hold trees (an import under the collector's hold) holds them first,
 * so a collection cannot drop content this answers is there before the import names its
 * tree. A top alone proves nothing once a collection has dropped blocks since the cache was
 * saved (it frees sealed arenas only, so a file's top can outlive its leaves): then nothing
 * is trusted and every file is read again, once.
 */
export async function present(store: TreeHolder & { hasMany(scores: Score[]): Promise<boolean[]> }, known: Known[], blockSize: number, priorMark: string): Promise<boolean[]> {
  const ask = known.flatMap((k, i) => (k.inline || isZeroScore(k.score) ? [] : [i]));
  if (ask.length && store.holdTrees) await store.holdTrees(ask.map((i) => ({ score: known[i]!.score, size: known[i]!.size, blockSize, kind: 'file' as const })));
  if (ask.length && store.dropMark && store.dropMark() !== priorMark) return known.map((k) => !!k.inline || isZeroScore(k.score));
  const has = ask.length ? await store.hasMany(ask.map((i) => known[i]!.score)) : [];
  const out = known.map(() => true);
  ask.forEach((i, j) => { out[i] = has[j]!; });
  return out;
}
