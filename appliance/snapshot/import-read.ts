// Reading file content into the store for a directory import: large files streamed through
// two alternating buffers, small ones read whole by a worker thread (small-reader.ts), the
// import cache's unchanged files not read at all.
import fs from 'node:fs';
import { fromSystemError } from '../errors.js';
import type { Score } from '../store/index.js';
import { ContentBuilder, type BlockWriter } from './content.js';
import { DATA, INLINE_MAX } from './format.js';
import { present, type Fingerprint, type ImportCache, type Known } from './import-cache.js';
import type { ImportProgress, ImportStats, SnapshotStore } from './import-dir.js';
import { SMALL_MAX, SmallReader, type SmallRead } from './small-reader.js';
import type { TreeNode } from './tree.js';

const READ_CHUNK = 4 * 1024 * 1024;
/** Large files read at once. */
const FILES_IN_FLIGHT = 4;

export interface FileToRead { path: Buffer; node: TreeNode; fp: Fingerprint; known: Known | undefined }

/**
 * What reading content keeps across batches: the streaming buffers (allocated once per
 * import: fresh 4 MiB buffers per batch cost page faults) and the small-file worker.
 * Memory: FILES_IN_FLIGHT × 2 × READ_CHUNK for large files, plus up to SMALL_AHEAD + 1
 * small-file batches of ≤ 4 MiB each.
 */
export class ContentReader {
  readonly small = new SmallReader();
  private readonly pool: Array<[Buffer, Buffer]> = [];
  constructor(readonly blockSize: number) {}

  buffers(): [Buffer, Buffer] {
    const size = Math.max(READ_CHUNK - (READ_CHUNK % this.blockSize), this.blockSize);
    return this.pool.pop() ?? [Buffer.allocUnsafe(size), Buffer.allocUnsafe(size)];
  }

  release(b: [Buffer, Buffer]): void { this.pool.push(b); }
}

/** Small-file batches read ahead of the one being stored. */
const SMALL_AHEAD = 2;

/** Reads the content of one batch of files; `progress.done` counts files over the whole import. */
export async function readContents(
  store: SnapshotStore, all: FileToRead[], reader: ContentReader, stats: ImportStats,
  progress: { done: number }, onProgress?: (p: ImportProgress) => void, cache?: ImportCache,
): Promise<void> {
  if (all.length === 0) return;
  const blockSize = reader.blockSize;
  let files = all;
  if (cache) {
    const found = all.map((f) => f.known);
    const hits = all.flatMap((f, i) => (found[i] ? [i] : []));
    const ok = await present(store, hits.map((i) => found[i]!));
    const reused = new Set(hits.filter((_, j) => ok[j]));
    for (const i of reused) {
      const { score, inline, size } = found[i]!; // xattrs: set by the scan
      Object.assign(all[i]!.node.entry, { score, inline, size });
      stats.bytes += size;
      progress.done++;
    }
    stats.reused += reused.size;
    files = all.filter((_, i) => !reused.has(i));
  }
  const done = (f: FileToRead) => {
    cache?.remember(f.path, f.fp, f.node.entry);
    progress.done++;
    onProgress?.({ bytes: stats.bytes, files: progress.done });
  };
  const count = (n: number) => { stats.bytes += n; onProgress?.({ bytes: stats.bytes, files: progress.done }); };
  const large = files.filter((f) => f.node.entry.size > SMALL_MAX);
  const small = files.filter((f) => f.node.entry.size <= SMALL_MAX);
  let next = 0;
  const worker = async () => {
    const bufs = reader.buffers();
    try {
      while (next < large.length) {
        const f = large[next++]!;
        await readFile(store, f.path, f.node, bufs, blockSize, count);
        done(f);
      }
    } finally {
      reader.release(bufs);
    }
  };
  const smalls = async () => {
    const batches = SmallReader.batches(small.map((f) => f.node.entry.size));
    const reads = batches.map(() => undefined as Promise<SmallRead[]> | undefined);
    const ask = (i: number) => {
      const [from, to] = batches[i]!;
      const part = small.slice(from, to);
      const p = reader.small.read(part.map((f) => f.path), part.map((f) => f.node.entry.size));
      p.catch(() => {}); // awaited in order below
      reads[i] = p;
    };
    for (let i = 0; i < Math.min(SMALL_AHEAD, batches.length); i++) ask(i);
    for (let i = 0; i < batches.length; i++) {
      const got = await reads[i]!;
      reads[i] = undefined;
      if (i + SMALL_AHEAD < batches.length) ask(i + SMALL_AHEAD);
      const [from] = batches[i]!;
      // Each file has its own buffer, so all of the batch's leaves can wait in the store's queue at once.
      const again: FileToRead[] = [];
      await Promise.all(got.map(async (bytes, j) => {
        const f = small[from + j]!;
        if (!bytes) { again.push(f); return; }
        await storeWhole(store, f.node, bytes, blockSize, count);
        done(f);
      }));
      // What the worker could not read, one at a time with one pair of buffers (rare: a file that grew, or an error to report).
      if (again.length) {
        const bufs = reader.buffers();
        try {
          for (const f of again) { await readFile(store, f.path, f.node, bufs, blockSize, count); done(f); }
        } finally {
          reader.release(bufs);
        }
      }
    }
  };
  await Promise.all([smalls(), ...Array.from({ length: Math.min(FILES_IN_FLIGHT, large.length) }, worker)]);
  if (cache) for (const f of all) if (!cache.next.has(f.path.toString('latin1'))) cache.remember(f.path, f.fp, f.node.entry);
}

/** A whole file's bytes, read by the small-file worker, into the store (or inline). */
async function storeWhole(store: BlockWriter, node: TreeNode, bytes: Buffer, blockSize: number, count: (n: number) => void): Promise<void> {
  if (bytes.length <= INLINE_MAX) {
    node.entry.size = bytes.length;
    node.entry.inline = bytes.length ? Buffer.from(bytes) : null;
  } else {
    const builder = new ContentBuilder(store, blockSize, DATA);
    const leaves: Array<[Promise<Score>, number]> = [];
    for (let at = 0; at < bytes.length; at += blockSize) {
      const leaf = bytes.subarray(at, Math.min(at + blockSize, bytes.length));
      const score = builder.storeLeaf(leaf);
      score.catch(() => {}); // awaited in order below
      leaves.push([score, leaf.length]);
    }
    for (const [score, n] of leaves) await builder.addStored(await score, n);
    const { score, size } = await builder.finish();
    node.entry.score = score;
    node.entry.size = size;
  }
  count(bytes.length);
}

// The callback forms of open/read/close on raw descriptors: measured about three times
// cheaper per call than FileHandle here (see the store's arena reads), and an import of
// many small files is mostly calls.
const openFd = (path: Buffer) => new Promise<number>((resolve, reject) => fs.open(path, 'r', (err, fd) => (err ? reject(err) : resolve(fd))));
const readFd = (fd: number, buf: Buffer, at: number, len: number) =>
  new Promise<number>((resolve, reject) => fs.read(fd, buf, at, len, null, (err, n) => (err ? reject(err) : resolve(n))));
const closeFd = (fd: number) => new Promise<void>((resolve) => fs.close(fd, () => resolve()));

/**
 * Reads one file to its end: inline when it turns out tiny, else a content tree. Two
 * buffers take turns: a chunk's leaves go to the store's queue (hashed as they are put)
 * while the next chunk is read into the other buffer, so a read does not wait for the
 * store's writes and syncs, nor they for it.
 */
async function readFile(store: BlockWriter, path: Buffer, node: TreeNode, bufs: [Buffer, Buffer], blockSize: number, count: (n: number) => void): Promise<void> {
  const fd = await openFd(path).catch((err) => { throw fromSystemError(err, `reading ${path}`); });
  let inFlight: Promise<Array<[Score, number]>> | undefined;
  try {
    const builder = new ContentBuilder(store, blockSize, DATA);
    let total = 0;
    for (let k = 0; ; k++) {
      const buf = bufs[k & 1]!; // its previous chunk's puts settled before the last turn ended
      let filled = 0;
      // A short read of a regular file means its end: no extra read to see zero.
      while (filled < buf.length) {
        const want = buf.length - filled;
        const n = await readFd(fd, buf, filled, want);
        filled += n;
        if (n < want) break;
      }
      if (total === 0 && filled <= INLINE_MAX) {
        node.entry.size = filled;
        node.entry.inline = filled ? Buffer.from(buf.subarray(0, filled)) : null;
        count(filled);
        return;
      }
      const puts: Array<Promise<[Score, number]>> = [];
      for (let at = 0; at < filled; at += blockSize) {
        const leaf = buf.subarray(at, Math.min(at + blockSize, filled));
        puts.push(builder.storeLeaf(leaf).then((score) => [score, leaf.length]));
      }
      const previous = inFlight;
      inFlight = Promise.all(puts);
      inFlight.catch(() => {}); // awaited below or in finally
      if (previous) for (const [score, n] of await previous) await builder.addStored(score, n);
      total += filled;
      count(filled);
      if (filled < buf.length) break;
    }
    const last = inFlight!;
    inFlight = undefined;
    for (const [score, n] of await last) await builder.addStored(score, n);
    const { score, size } = await builder.finish();
    node.entry.score = score;
    node.entry.size = size;
  } catch (err) {
    throw fromSystemError(err, `reading ${path}`);
  } finally {
    await inFlight?.catch(() => {}); // the buffers are reused by the next file
    await closeFd(fd);
  }
}
