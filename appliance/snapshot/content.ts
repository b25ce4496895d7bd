// Content trees: a byte stream as fixed-size leaves under pointer blocks. File content
// uses DATA leaves, directory streams DIR leaves; the shape is the same. The volume layer
// reads leaves and rewrites changed ones through this module directly.
//
// Shape (README.md, "Content trees"): n = ceil(size / blockSize) leaves; fanout F =
// blockSize / 32; depth d = the least d with F^d >= n (0 for n <= 1). A node at height h
// covers F^h leaves; a pointer block lists the scores of the children that exist, so its
// length is a function of size alone. An all-zero leaf or subtree is the zero score and is
// never stored.
import { corruptData, invalid } from '../errors.js';
import { SCORE_BYTES, formatScore, type BlockSource, type Score } from '../store/index.js';
import { DATA, POINTER, ZERO_SCORE, checkBlockSize, decodePointers, isZeroScore } from './format.js';

/** The parts of a BlockSource that reading and writing content need: any BlockSource will do. */
export type BlockReader = Pick<BlockSource, 'getBlock'>;
export type BlockWriter = Pick<BlockSource, 'put'>;

export const fanout = (blockSize: number) => blockSize / SCORE_BYTES;
export const leafCount = (size: number, blockSize: number) => Math.ceil(size / blockSize);

/** The height of the content tree of `size` bytes: 0 when it is a single leaf (or empty). */
export function depthFor(size: number, blockSize: number): number {
  if (!Number.isSafeInteger(size) || size < 0) throw invalid(`bad size ${size}`);
  const n = leafCount(size, blockSize);
  const f = fanout(blockSize);
  let d = 0;
  for (let cap = 1; cap < n; cap *= f) d++;
  return d;
}

/** The byte length of leaf `i` of a `size`-byte stream. */
export function leafLength(size: number, blockSize: number, i: number): number {
  return Math.min(blockSize, size - i * blockSize);
}

const zeros = new Map<number, Buffer>();
function zeroBuf(n: number): Buffer {
  let z = zeros.get(n);
  if (!z) { z = Buffer.alloc(n); zeros.set(n, z); }
  return z;
}
export const isAllZero = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).equals(zeroBuf(b.length));

async function fetch(store: BlockReader, score: Score, type: number, length: number, what: string): Promise<Buffer> {
  const block = await store.getBlock(score);
  if (block.type !== type || block.data.length !== length) {
    throw corruptData(`${what}: block ${formatScore(score)} is type ${block.type} of ${block.data.length} bytes, expected type ${type} of ${length}`);
  }
  return block.data;
}

/** How many children the node at height h (>= 1), index idx has, in a tree of n leaves. */
function childCount(n: number, f: number, h: number, idx: number): number {
  const span = f ** (h - 1);
  const start = idx * span * f;
  return Math.ceil((Math.min(start + span * f, n) - start) / span);
}

/** Leaf `index` of a content tree, or null when it is all zero. */
export async function readLeaf(store: BlockReader, score: Score, size: number, blockSize: number, index: number, leafType = DATA): Promise<Buffer | null> {
  const n = leafCount(size, blockSize);
  if (!Number.isInteger(index) || index < 0 || index >= n) throw invalid(`leaf ${index} is outside a ${size}-byte stream`);
  const f = fanout(blockSize);
  let node = score;
  for (let h = depthFor(size, blockSize); h >= 1; h--) {
    if (isZeroScore(node)) return null;
    const idx = Math.floor(index / f ** h);
    const count = childCount(n, f, h, idx);
    const ptrs = decodePointers(await fetch(store, node, POINTER, count * SCORE_BYTES, 'content tree'), count, 'content tree');
    node = ptrs[Math.floor((index - idx * f ** h) / f ** (h - 1))]!;
  }
  if (isZeroScore(node)) return null;
  return fetch(store, node, leafType, leafLength(size, blockSize, index), 'content leaf');
}

export interface Leaf { index: number; data: Buffer | null }

/**
 * Leaves [from, to) in order, descending the tree once. Up to `ahead` leaf reads are in
 * flight at a time, so a reader streams at the store's speed.
 */
export async function* readLeaves(
  store: BlockReader, score: Score, size: number, blockSize: number,
  opts: { from?: number; to?: number; leafType?: number; ahead?: number } = {},
): AsyncGenerator<Leaf> {
  const n = leafCount(size, blockSize);
  const from = opts.from ?? 0;
  const to = Math.min(opts.to ?? n, n);
  const leafType = opts.leafType ?? DATA;
  const ahead = opts.ahead ?? 8;
  const f = fanout(blockSize);
  const window: Array<{ index: number; data: Promise<Buffer | null> }> = [];
  const leafAt = (s: Score, i: number) => (isZeroScore(s) ? Promise.resolve(null) : fetch(store, s, leafType, leafLength(size, blockSize, i), 'content leaf'));
  // Scores of the leaves in order, found by a depth-first descent that skips zero subtrees.
  async function* scores(node: Score, h: number, idx: number): AsyncGenerator<[number, Score]> {
    const first = idx * f ** h;
    const last = Math.min(first + f ** h, n);
    if (last <= from || first >= to) return;
    if (h === 0) { yield [idx, node]; return; }
    if (isZeroScore(node)) { for (let i = Math.max(first, from); i < Math.min(last, to); i++) yield [i, ZERO_SCORE]; return; }
    const count = childCount(n, f, h, idx);
    const ptrs = decodePointers(await fetch(store, node, POINTER, count * SCORE_BYTES, 'content tree'), count, 'content tree');
    for (let c = 0; c < count; c++) yield* scores(ptrs[c]!, h - 1, idx * f + c);
  }
  if (from >= to) return;
  for await (const [i, s] of scores(score, depthFor(size, blockSize), 0)) {
    const data = leafAt(s, i);
    data.catch(() => {}); // awaited below; an early return must not leave it unhandled
    window.push({ index: i, data });
    if (window.length >= ahead) { const w = window.shift()!; yield { index: w.index, data: await w.data }; }
  }
  for (const w of window) yield { index: w.index, data: await w.data };
}

/** `length` bytes from `offset` (clipped to the stream), zeros where the tree is sparse. */
export async function readRange(store: BlockReader, score: Score, size: number, blockSize: number, offset: number, length: number, leafType = DATA): Promise<Buffer> {
  const end = Math.min(size, offset + length);
  if (offset >= end) return Buffer.alloc(0);
  const out = Buffer.alloc(end - offset);
  const from = Math.floor(offset / blockSize);
  for await (const leaf of readLeaves(store, score, size, blockSize, { from, to: Math.ceil(end / blockSize), leafType })) {
    if (!leaf.data) continue;
    const base = leaf.index * blockSize;
    const s = Math.max(offset, base);
    leaf.data.copy(out, s - offset, s - base, Math.min(end, base + leaf.data.length) - base);
  }
  return out;
}

/** The whole stream in memory: for directory streams, never for file content. */
export async function readAll(store: BlockReader, score: Score, size: number, blockSize: number, leafType: number): Promise<Buffer> {
  return readRange(store, score, size, blockSize, 0, size, leafType);
}

/**
 * Builds a content tree from leaves given in order. Memory is bounded by the depth (one
 * partial pointer block per level), never by the stream's size. `add(null)` is a zero leaf.
 */
export class ContentBuilder {
  /** levels[k]: the scores waiting for their parent at height k + 1. */
  private readonly levels: Score[][] = [];
  private leaves = 0;
  private bytes = 0;
  private short = false;
  private readonly f: number;

  constructor(private readonly store: BlockWriter, readonly blockSize: number, readonly leafType = DATA) {
    checkBlockSize(blockSize);
    this.f = fanout(blockSize);
  }

  get size(): number { return this.bytes; }

  /** Adds the next leaf: its bytes (all zeros are elided), or null for `length` zero bytes. */
  async add(data: Uint8Array | null, length = data ? data.length : this.blockSize): Promise<void> {
    if (data && data.length !== length) throw invalid(`a leaf of ${data.length} bytes given as ${length}`);
    await this.addStored(data ? await this.storeLeaf(data) : ZERO_SCORE, length);
  }

  /**
   * Stores a leaf without adding it (the zero score for all zeros), so a caller can have
   * several leaves in the store's queue at once and add them in order with `addStored`.
   * The bytes must stay unchanged until the promise settles.
   */
  storeLeaf(data: Uint8Array): Promise<Score> {
    if (data.length <= 0 || data.length > this.blockSize) throw invalid(`a leaf of ${data.length} bytes in a tree of ${this.blockSize}-byte blocks`);
    return isAllZero(data) ? Promise.resolve(ZERO_SCORE) : this.store.put(this.leafType, data);
  }

  /** Adds the next leaf by the score `storeLeaf` gave for its `length` bytes. */
  async addStored(score: Score, length: number): Promise<void> {
    if (this.short) throw invalid('only the last leaf of a content tree may be short');
    if (length <= 0 || length > this.blockSize) throw invalid(`a leaf of ${length} bytes in a tree of ${this.blockSize}-byte blocks`);
    if (length < this.blockSize) this.short = true;
    this.leaves++;
    this.bytes += length;
    await this.push(0, score);
  }

  private async push(k: number, score: Score): Promise<void> {
    const level = (this.levels[k] ??= []);
    level.push(score);
    if (level.length === this.f) { this.levels[k] = []; await this.push(k + 1, await this.pointer(level)); }
  }

  private async pointer(children: Score[]): Promise<Score> {
    if (children.every(isZeroScore)) return ZERO_SCORE;
    return this.store.put(POINTER, Buffer.concat(children));
  }

  /** Closes the tree: its root score (ZERO_SCORE when empty or all zero) and size. */
  async finish(): Promise<{ score: Score; size: number }> {
    const d = depthFor(this.bytes, this.blockSize);
    for (let k = 0; k < d; k++) {
      const level = this.levels[k] ?? [];
      if (level.length) { this.levels[k] = []; (this.levels[k + 1] ??= []).push(await this.pointer(level)); }
    }
    const top = this.levels[d] ?? [];
    return { score: top[0] ?? ZERO_SCORE, size: this.bytes };
  }
}

/** A byte stream of any chunking into a content tree: stages one leaf at a time. */
export class ContentWriter {
  private readonly builder: ContentBuilder;
  private readonly stage: Buffer;
  private staged = 0;

  constructor(store: BlockWriter, readonly blockSize: number, leafType = DATA) {
    this.builder = new ContentBuilder(store, blockSize, leafType);
    this.stage = Buffer.allocUnsafe(blockSize);
  }

  async write(chunk: Uint8Array): Promise<void> {
    let at = 0;
    if (this.staged === 0) {
      // Whole leaves straight from the chunk, with no copy.
      while (chunk.length - at >= this.blockSize) { await this.builder.add(chunk.subarray(at, at + this.blockSize)); at += this.blockSize; }
    }
    while (at < chunk.length) {
      const n = Math.min(chunk.length - at, this.blockSize - this.staged);
      this.stage.set(chunk.subarray(at, at + n), this.staged);
      this.staged += n;
      at += n;
      if (this.staged === this.blockSize) { await this.builder.add(this.stage); this.staged = 0; }
    }
  }

  async finish(): Promise<{ score: Score; size: number }> {
    if (this.staged > 0) await this.builder.add(this.stage.subarray(0, this.staged));
    this.staged = 0;
    return this.builder.finish();
  }
}

/** A buffer held in memory (a directory stream) into a content tree. */
export async function writeContent(store: BlockWriter, bytes: Buffer, blockSize: number, leafType = DATA): Promise<{ score: Score; size: number }> {
  const b = new ContentBuilder(store, blockSize, leafType);
  for (let at = 0; at < bytes.length; at += blockSize) await b.add(bytes.subarray(at, Math.min(at + blockSize, bytes.length)));
  return b.finish();
}

