// The in-memory tree an import builds before anything is encoded: metadata only (file
// content is already in the store by then). Link groups are numbered in walk order and
// directories are written bottom-up, so the same tree always yields the same root score.
import { invalid } from '../errors.js';
import type { Score } from '../store/index.js';
import type { BlockWriter } from './content.js';
import { writeDirectory } from './directory.js';
import { DEFAULT_BLOCK_SIZE, FORMAT_VERSION, ROOT, blankEntry, checkBlockSize, encodeRoot, type Entry, type EntryKind } from './format.js';

/** A node: an entry without its name. Hard links are several names sharing one node. */
export interface TreeNode {
  entry: Entry;
  /**
   * Open directories only: children by name (the name's bytes as a latin1 string, which
   * sorts as bytes). A directory without it is already written: its entry's score and size
   * are final (tar imports write directories as they complete).
   */
  children?: Map<string, TreeNode>;
  /** How many names in the tree refer to this node. */
  refs: number;
}

export function newNode(kind: EntryKind): TreeNode {
  const node: TreeNode = { entry: blankEntry(kind), refs: 0 };
  if (kind === 'dir') node.children = new Map();
  return node;
}

const sortedKeys = (m: Map<string, TreeNode>) => [...m.keys()].sort();

/**
 * Assigns link-group numbers 1, 2, ... to multiply-referenced nodes in walk order (pre-order,
 * names sorted). Iterative: a tree thousands of levels deep must not need a deep stack. A
 * directory already written (no `children`) holds no link group: see tar-tree.ts.
 */
export function numberLinks(top: TreeNode): number {
  let next = 0;
  const seen = new Set<TreeNode>();
  const stack = [{ dir: top, keys: sortedKeys(top.children!), i: 0 }];
  while (stack.length > 0) {
    const f = stack.at(-1)!;
    if (f.i >= f.keys.length) { stack.pop(); continue; }
    const child = f.dir.children!.get(f.keys[f.i++]!)!;
    if (child.children) stack.push({ dir: child, keys: sortedKeys(child.children), i: 0 });
    else if (child.entry.kind === 'dir') continue;
    else if (child.refs > 1 && !seen.has(child)) { seen.add(child); child.entry.link = ++next; }
    else if (child.refs <= 1) child.entry.link = 0;
  }
  return next;
}

/**
 * Encodes and stores one directory whose children are all leaves or written directories,
 * and sets its entry's score and size. Link numbers must already be set (numberLinks).
 */
export async function writeDirNode(store: BlockWriter, dir: TreeNode, blockSize: number): Promise<void> {
  const entries: Entry[] = [];
  for (const k of sortedKeys(dir.children!)) entries.push({ ...dir.children!.get(k)!.entry, name: Buffer.from(k, 'latin1') });
  const { score, size } = await writeDirectory(store, entries, blockSize);
  dir.entry.score = score;
  dir.entry.size = size;
}

export interface RootOptions {
  blockSize?: number;
  /** Creation time: ns since the epoch (bigint), a Date, or ms (number). Defaults to now. */
  created?: bigint | Date | number;
  comment?: string;
  parent?: Score | null;
  meta?: Record<string, string>;
}

export function createdNs(created: RootOptions['created']): bigint {
  if (created === undefined) return BigInt(Date.now()) * 1_000_000n;
  if (typeof created === 'bigint') return created;
  const ms = created instanceof Date ? created.getTime() : created;
  if (!Number.isFinite(ms)) throw invalid('created is not a valid time');
  return BigInt(Math.trunc(ms)) * 1_000_000n;
}

/** Writes every open directory bottom-up and then the root block; returns the root score. */
export async function writeTree(store: BlockWriter, top: TreeNode, opts: RootOptions, counts?: { dirs: number }): Promise<Score> {
  const blockSize = opts.blockSize ?? DEFAULT_BLOCK_SIZE;
  checkBlockSize(blockSize);
  numberLinks(top);
  // Every open directory, parents before children; written in reverse, so children first.
  const order: TreeNode[] = [];
  for (const stack = [top]; stack.length > 0;) {
    const dir = stack.pop()!;
    order.push(dir);
    for (const child of dir.children!.values()) if (child.children) stack.push(child);
  }
  for (let i = order.length - 1; i >= 0; i--) {
    await writeDirNode(store, order[i]!, blockSize);
    if (counts) counts.dirs++;
  }
  const root = encodeRoot({
    version: FORMAT_VERSION, blockSize, top: { ...top.entry, name: Buffer.alloc(0), link: 0 },
    parent: opts.parent ?? null, created: createdNs(opts.created), comment: opts.comment ?? '', meta: opts.meta ?? {},
  });
  return store.put(ROOT, root);
}
