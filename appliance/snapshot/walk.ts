// Reading a whole snapshot: the root block, every entry in walk order, and the closure of
// every score reachable from a root (what replication copies).
import { corruptData } from '../errors.js';
import { formatScore, type Score } from '../store/index.js';
import { depthFor, fanout, leafCount, type BlockReader } from './content.js';
import { readDirectory } from './directory.js';
import { POINTER, ROOT, decodePointers, decodeRoot, isZeroScore, type Entry, type Root } from './format.js';

export async function readRoot(store: BlockReader, score: Score): Promise<Root> {
  const block = await store.getBlock(score);
  if (block.type !== ROOT) throw corruptData(`${formatScore(score)} is a block of type ${block.type}, not a snapshot root`);
  return decodeRoot(block.data);
}

export interface WalkItem {
  /** Relative path bytes, components joined by "/"; empty for the top directory. */
  path: Buffer;
  entry: Entry;
}

const SLASH = Buffer.from('/');
export const joinPath = (dir: Buffer, name: Buffer) => (dir.length ? Buffer.concat([dir, SLASH, name]) : name);

/**
 * Every entry in walk order: the top first (path empty), then depth-first with each
 * directory's entries sorted by name, a directory before its contents. This order also
 * numbers hard-link groups.
 */
export async function* walk(store: BlockReader, root: Score | Root): AsyncGenerator<WalkItem> {
  const r = Buffer.isBuffer(root) ? await readRoot(store, root) : root;
  yield { path: Buffer.alloc(0), entry: r.top };
  yield* walkDir(store, r.top, Buffer.alloc(0), r.blockSize);
}

async function* walkDir(store: BlockReader, dir: Entry, path: Buffer, blockSize: number): AsyncGenerator<WalkItem> {
  for (const entry of await readDirectory(store, dir, blockSize)) {
    const p = joinPath(path, entry.name);
    yield { path: p, entry };
    if (entry.kind === 'dir') yield* walkDir(store, entry, p, blockSize);
  }
}

/**
 * Every score of a content tree's pointer blocks and non-zero leaves, reading pointers
 * only. A node for which `fresh` says false is neither yielded nor descended into.
 */
export async function* contentScores(store: BlockReader, score: Score, size: number, blockSize: number, fresh: (s: Score) => boolean = () => true): AsyncGenerator<Score> {
  const n = leafCount(size, blockSize);
  const f = fanout(blockSize);
  async function* visit(node: Score, h: number, idx: number): AsyncGenerator<Score> {
    if (isZeroScore(node) || !fresh(node)) return;
    yield node;
    if (h === 0) return;
    const span = f ** (h - 1);
    const first = idx * span * f;
    const count = Math.ceil((Math.min(first + span * f, n) - first) / span);
    const block = await store.getBlock(node);
    if (block.type !== POINTER) throw corruptData(`${formatScore(node)} should be a pointer block`);
    const ptrs = decodePointers(block.data, count, 'content tree');
    for (let c = 0; c < count; c++) yield* visit(ptrs[c]!, h - 1, idx * f + c);
  }
  yield* visit(score, depthFor(size, blockSize), 0);
}

/**
 * Every score reachable from `root`, each once, the root first. Identical subtrees (same
 * directory or file content seen twice) are visited once. Memory grows with the number of
 * distinct scores (a set of them is kept).
 */
export async function* closure(store: BlockReader, root: Score): AsyncGenerator<Score> {
  const seen = new Set<string>();
  const fresh = (s: Score) => { const k = s.toString('hex'); if (seen.has(k)) return false; seen.add(k); return true; };
  const r = await readRoot(store, root);
  fresh(root);
  yield root;
  async function* tree(e: Entry): AsyncGenerator<Score> {
    if (isZeroScore(e.score) || seen.has(e.score.toString('hex'))) return;
    yield* contentScores(store, e.score, e.size, r.blockSize, fresh);
    if (e.kind !== 'dir') return;
    for (const child of await readDirectory(store, e, r.blockSize)) yield* tree(child);
  }
  yield* tree(r.top);
}
