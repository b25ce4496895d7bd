// Reading file content into the store for a directory import: large files streamed through
// two alternating buffers, small ones read whole by worker threads (small-reader.ts), the
// import cache's unchanged files not read at all. When the store takes encoded blocks (the
// BlockStore's putEncoded), the workers also hash and compress every leaf, off the main thread.
import fs from 'node:fs';
import { fromSystemError } from '../errors.js';
import type { Score } from '../store/index.js';
import { ContentBuilder, type BlockWriter } from './content.js';
import { DATA, INLINE_MAX, ZERO_SCORE } from './format.js';
import { present, type Fingerprint, type ImportCache, type Known } from './import-cache.js';
import type { ImportProgress, ImportStats, SnapshotStore } from './import-dir.js';
import { SMALL_MAX, SmallReader, type EncodedLeaf, type Encoding, type SmallRead } from './small-reader.js';
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
  private readonly sharedPool: Array<[Buffer, Buffer]> = [];
  /** `store`: the import's; when it takes encoded blocks, the workers start at once (loading the codec and hash takes them a while). */
  constructor(readonly blockSize: number, store?: SnapshotStore) {
    if (store && encoderFor(store, this.small, blockSize)) this.small.warm();
  }

  /**
   * `shared`: in shared memory, for the workers to encode from without a copy on this
   * thread. Only for them: the native BLAKE3 addon crashes the process on shared memory.
   */
  buffers(shared = false): [Buffer, Buffer] {
    const size = Math.max(READ_CHUNK - (READ_CHUNK % this.blockSize), this.blockSize);
    const make = () => (shared ? Buffer.from(new SharedArrayBuffer(size)) : Buffer.allocUnsafe(size));
    return (shared ? this.sharedPool : this.pool).pop() ?? [make(), make()];
  }

  release(b: [Buffer, Buffer]): void { (b[0].buffer instanceof SharedArrayBuffer ? this.sharedPool : this.pool).push(b); }
}

/** Small-file batches read ahead of the one being stored. */
const SMALL_AHEAD = 2;

/** A store that takes blocks hashed and encoded elsewhere (store.ts putEncoded). */
interface EncodingStore { readonly writeCodec: number; putEncoded(type: number, score: Score, flags: number, stored: Uint8Array, size: number): Promise<Score> }
/** Where leaves are hashed and encoded: the workers, for a store that takes them so; else undefined, and `put` does it. */
interface Encoder { workers: SmallReader; store: EncodingStore; encoding: Encoding }

function encoderFor(store: SnapshotStore, workers: SmallReader, blockSize: number): Encoder | undefined {
  const s = store as SnapshotStore & Partial<EncodingStore>;
  if (typeof s.putEncoded !== 'function' || typeof s.writeCodec !== 'number') return undefined;
  return { workers, store: s as EncodingStore, encoding: { blockSize, codec: s.writeCodec, inlineMax: INLINE_MAX } };
}

/** Stores a leaf the workers encoded (`bytes`: the leaf itself, stored as is when flags are 0). */
function putLeaf(e: Encoder, leaf: EncodedLeaf, bytes: Buffer): Promise<Score> {
  if (!leaf) return Promise.resolve(ZERO_SCORE);
  return e.store.putEncoded(DATA, leaf.score, leaf.flags, leaf.stored ?? bytes, bytes.length);
}

/** Reads the content of one batch of files; `progress.done` counts files over the whole import. */
export async function readContents(
  store: SnapshotStore, all: FileToRead[], reader: ContentReader, stats: ImportStats,
  progress: { done: number }, onProgress?: (p: ImportProgress) => void, cache?: ImportCache,
): Promise<void> {
  if (all.length === 0) return;
  const blockSize = reader.blockSize;
  const enc = encoderFor(store, reader.small, blockSize);
  let files = all;
  if (cache) {
    const found = all.map((f) => f.known);
    const hits = all.flatMap((f, i) => (found[i] ? [i] : []));
    const ok = await present(store, hits.map((i) => found[i]!), blockSize, cache.priorMark);
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
    const bufs = reader.buffers(enc !== undefined);
    try {
      while (next < large.length) {
        const f = large[next++]!;
        await readFile(store, f.path, f.node, bufs, blockSize, count, enc);
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
      const p = reader.small.read(part.map((f) => f.path), part.map((f) => f.node.entry.size), enc?.encoding);
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
        await storeWhole(store, f.node, bytes, blockSize, count, enc);
        done(f);
      }));
      // What the worker could not read, one at a time with one pair of buffers (rare: a file that grew, or an error to report).
      if (again.length) {
        const bufs = reader.buffers(enc !== undefined);
        try {
          for (const f of again) { await readFile(store, f.path, f.node, bufs, blockSize, count, enc); done(f); }
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
async function storeWhole(store: BlockWriter, node: TreeNode, bytes: NonNullable<SmallRead>, blockSize: number, count: (n: number) => void, enc?: Encoder): Promise<void> {
  if (bytes.length <= INLINE_MAX) {
    node.entry.size = bytes.length;
    node.entry.inline = bytes.length ? Buffer.from(bytes) : null;
  } else {
    const builder = new ContentBuilder(store, blockSize, DATA);
    const leaves: Array<[Promise<Score>, number]> = [];
    for (let at = 0; at < bytes.length; at += blockSize) {
      const leaf = bytes.subarray(at, Math.min(at + blockSize, bytes.length));
      const encoded = bytes.leaves?.[at / blockSize];
      const score = enc && encoded !== undefined ? putLeaf(enc, encoded, leaf) : builder.storeLeaf(leaf);
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

/** A chunk's leaves into the store, through the workers when there are; the scores and lengths in order. */
async function storeChunk(builder: ContentBuilder, buf: Buffer, filled: number, enc?: Encoder): Promise<Array<[Score, number]>> {
  const bs = builder.blockSize;
  const leaves = enc ? await enc.workers.encode(buf, filled, enc.encoding) : undefined;
  const puts: Array<Promise<[Score, number]>> = [];
  for (let at = 0; at < filled; at += bs) {
    const leaf = buf.subarray(at, Math.min(at + bs, filled));
    const score = leaves ? putLeaf(enc!, leaves[at / bs] as EncodedLeaf, leaf) : builder.storeLeaf(leaf);
    puts.push(score.then((s) => [s, leaf.length]));
  }
  return Promise.all(puts);
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
async function readFile(store: BlockWriter, path: Buffer, node: TreeNode, bufs: [Buffer, Buffer], blockSize: number, count: (n: number) => void, enc?: Encoder): Promise<void> {
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
      const previous = inFlight;
      inFlight = storeChunk(builder, buf, filled, enc);
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
