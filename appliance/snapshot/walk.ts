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
 * numbers hard-link groups. Iterative, with one frame per open directory holding its
 * entries, and only names on the path (a path is built per item, so a deep chain of long names
 * does not keep every prefix alive): memory is bounded by depth times the widest directory.
 */
export async function* walk(store: BlockReader, root: Score | Root): AsyncGenerator<WalkItem> {
  const r = Buffer.isBuffer(root) ? await readRoot(store, root) : root;
  yield { path: Buffer.alloc(0), entry: r.top };
  const stack: Array<{ entries: Entry[]; next: number }> = [{ entries: await readDirectory(store, r.top, r.blockSize), next: 0 }];
  const names: Buffer[] = [];
  while (stack.length > 0) {
    const f = stack.at(-1)!;
    if (f.next >= f.entries.length) { stack.pop(); names.pop(); continue; } // the top's frame pops nothing
    const entry = f.entries[f.next++]!;
    names.push(entry.name);
    const path = pathOf(names);
    names.pop();
    yield { path, entry };
    if (entry.kind === 'dir') {
      const entries = await readDirectory(store, entry, r.blockSize);
      stack.push({ entries, next: 0 });
      names.push(entry.name);
    }
  }
}

/** Components joined by "/". */
function pathOf(names: Buffer[]): Buffer {
  if (names.length === 1) return names[0]!;
  const parts: Buffer[] = [];
  names.forEach((n, i) => { if (i > 0) parts.push(SLASH); parts.push(n); });
  return Buffer.concat(parts);
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
  // Iterative pre-order: the entries still to visit, the next one last.
  const todo: Entry[] = [r.top];
  while (todo.length > 0) {
    const e = todo.pop()!;
    if (isZeroScore(e.score) || seen.has(e.score.toString('hex'))) continue;
    yield* contentScores(store, e.score, e.size, r.blockSize, fresh);
    if (e.kind !== 'dir') continue;
    const children = await readDirectory(store, e, r.blockSize);
    for (let i = children.length - 1; i >= 0; i--) todo.push(children[i]!);
  }
}
