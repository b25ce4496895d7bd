// Saving a volume: a point-in-time view taken in one synchronous step (no await, so no
// request can change anything half-way), then written bottom-up: changed leaves, the
// pointer blocks on their paths, every changed directory, and a new root. Unchanged
// subtrees are reused by score without being read. After the store syncs, inodes that did
// not change meanwhile take the saved tree as their new base.
import { FORMAT_VERSION, INLINE_MAX, ROOT, ZERO_SCORE, blankEntry, encodeRoot, isAllZero, leafCount, leafLength, rewriteLeaves, writeDirectory, type Entry, type Root } from '../snapshot/index.js';
import { internal } from '../errors.js';
import type { BlockSource, Score } from '../store/index.js';
import { FileData, type FileCapture } from './file-data.js';
import { SaveHold } from './held.js';
import { nowNs, type Inode } from './inode.js';
import type { Volume } from './volume.js';
import { ROOT_INO } from './volume.js';

type Spec =
  | { reuse: Entry }
  | { node: Inode; attrs: Omit<Entry, 'name' | 'size' | 'score' | 'inline'>; file?: FileCapture; children?: Array<{ raw: Buffer; spec: Spec }> };

/** Changed leaves a save holds in memory at once (per file). */
const SAVE_BATCH_BYTES = 8 << 20;

export interface SaveOptions { comment?: string; meta?: Record<string, string> }

type NodeSpec = Extract<Spec, { node: Inode }>;

/**
 * The whole tree as it is at this instant. Must not await. An explicit stack, not
 * recursion: a 10,000-level tree overflowed the call stack and every checkpoint failed.
 */
function capture(vol: Volume, newLinks: Map<number, number>, nextLink: { n: number }): { top: Spec; count: number } {
  const describe = (node: Inode): Spec => {
    if (node.base) return { reuse: node.base };
    let link = 0;
    // Any non-directory may have several names (a socket bound and then linked, a device node).
    if (!node.dir && node.nlink > 1) {
      link = node.baseLink || (newLinks.get(node.ino) ?? 0);
      if (!link) { link = nextLink.n++; newLinks.set(node.ino, link); }
    }
    const attrs = {
      kind: node.kind, mode: node.mode, uid: node.uid, gid: node.gid, mtime: node.mtime, link,
      xattrs: [...node.xattrs].map(([k, v]) => ({ name: Buffer.from(k), value: v })).sort((a, b) => Buffer.compare(a.name, b.name)),
      target: node.target, major: node.major, minor: node.minor,
    };
    if (node.file) return { node, attrs, file: node.file.capture() };
    if (node.dir) return { node, attrs, children: [] }; // filled by the loop below
    return { node, attrs };
  };
  const top = describe(vol.inode(ROOT_INO));
  const stack: NodeSpec[] = 'children' in top ? [top as NodeSpec] : [];
  let count = 1;
  // Each directory is pushed once (directories have one name), so the table bounds the loop.
  for (let steps = 0; stack.length; steps++) {
    if (steps > vol.inodeCount) throw internal('save: the directory tree has a cycle');
    const spec = stack.pop()!;
    const children = spec.children!;
    for (const child of spec.node.dir!.children.values()) {
      const c = child.ino !== undefined ? describe(vol.inode(child.ino)) : { reuse: child.entry! };
      children.push({ raw: child.raw, spec: c });
      count++;
      if ('node' in c && c.children) stack.push(c);
    }
    children.sort((a, b) => Buffer.compare(a.raw, b.raw));
  }
  return { top, count };
}

async function fileContent(vol: Volume, store: Writer, cap: FileCapture): Promise<Pick<Entry, 'size' | 'score' | 'inline'>> {
  const unchanged = cap.leaves.size === 0 && cap.size === cap.baseSize && cap.baseVisible === cap.baseSize;
  if (unchanged) return { size: cap.size, score: cap.baseScore, inline: cap.baseInline };
  const view = FileData.fromCapture(vol.budget, cap);
  if (cap.size === 0) return { size: 0, score: ZERO_SCORE, inline: null };
  if (cap.size <= INLINE_MAX) return { size: cap.size, score: ZERO_SCORE, inline: await view.read(0, cap.size, false) };
  const bs = vol.blockSize;
  // From an inline base there is no old tree: every leaf is a change.
  const oldScore = cap.baseInline ? ZERO_SCORE : cap.baseScore;
  const oldSize = cap.baseInline ? 0 : cap.baseSize;
  const n = leafCount(cap.size, bs);
  const changed = new Set<number>(cap.leaves.keys());
  if (cap.baseInline) changed.add(0);
  for (let i = Math.floor(cap.baseVisible / bs); i < Math.min(leafCount(oldSize, bs), n); i++) changed.add(i);
  // In batches of SAVE_BATCH_BYTES, each over the tree the last one made: gathering every
  // changed leaf first held a whole file in memory (512 MiB for a 512 MiB file).
  const order = [...changed].filter((i) => i < n).sort((a, b) => a - b);
  const perBatch = Math.max(1, Math.floor(SAVE_BATCH_BYTES / bs));
  let score = oldScore;
  let from = oldSize;
  for (let b = 0; b === 0 || b < order.length; b += perBatch) {
    const changes = new Map<number, Buffer | null>();
    for (const i of order.slice(b, b + perBatch)) {
      const data = await view.leaf(i);
      const len = leafLength(cap.size, bs, i);
      if (!data || isAllZero(data)) { changes.set(i, null); continue; }
      changes.set(i, data.length === len ? data : data.length > len ? data.subarray(0, len) : Buffer.concat([data, Buffer.alloc(len - data.length)]));
    }
    score = await rewriteLeaves(store, score, from, cap.size, changes, { blockSize: bs });
    from = cap.size;
  }
  return { size: cap.size, score, inline: null };
}

/** Writes one captured node whose children (if a directory) are written already; records it. */
async function writeNode(vol: Volume, store: Writer, spec: NodeSpec, entries: Entry[], written: Map<Inode, Entry>): Promise<Entry> {
  let content: Pick<Entry, 'size' | 'score' | 'inline'> = { size: 0, score: ZERO_SCORE, inline: null };
  if (spec.file) content = await fileContent(vol, store, spec.file);
  if (spec.children) {
    const dir = await writeDirectory(store, entries, vol.blockSize);
    content = { size: dir.size, score: dir.score, inline: null };
  }
  const entry: Entry = { ...blankEntry(spec.attrs.kind), ...spec.attrs, ...content, name: Buffer.alloc(0) };
  written.set(spec.node, entry);
  return entry;
}

/**
 * Writes a captured tree bottom-up and returns the top's entry (name empty). Depth first
 * with an explicit stack of the directories on the current path, each with the entries of
 * its children written so far: memory is one path, and any depth works.
 */
async function write(vol: Volume, store: Writer, { top, count }: { top: Spec; count: number }, written: Map<Inode, Entry>): Promise<Entry> {
  if ('reuse' in top) return top.reuse;
  type Frame = { spec: NodeSpec; raw: Buffer; entries: Entry[]; next: number };
  const stack: Frame[] = [{ spec: top, raw: Buffer.alloc(0), entries: [], next: 0 }];
  // Each step takes one of the `count` nodes or finishes one; the bound is only a guard.
  for (let steps = 0; steps <= 2 * count; steps++) {
    const f = stack[stack.length - 1]!;
    const kids = f.spec.children ?? [];
    if (f.next < kids.length) {
      const { raw, spec } = kids[f.next++]!;
      if ('reuse' in spec) f.entries.push({ ...spec.reuse, name: raw });
      else if (spec.children) stack.push({ spec, raw, entries: [], next: 0 });
      else f.entries.push({ ...(await writeNode(vol, store, spec, [], written)), name: raw });
      continue;
    }
    stack.pop();
    const entry = await writeNode(vol, store, f.spec, f.entries, written);
    const up = stack[stack.length - 1];
    if (!up) return entry;
    up.entries.push({ ...entry, name: f.raw });
  }
  throw internal('save: the captured tree has more nodes than were captured');
}

export async function saveVolume(vol: Volume, opts: SaveOptions = {}): Promise<{ root: Score; rootBlock: Root }> {
  // Until it returns, the save's blocks are named by nothing a collection can see: hold them.
  const hold = new SaveHold();
  vol.saving.add(hold);
  try {
    return await saveHeld(vol, opts, hold);
  } finally {
    vol.saving.delete(hold);
  }
}

/** The store as a save writes to it: every block written is noted in the save's hold. */
type Writer = Pick<BlockSource, 'getBlock' | 'put'>;

/** Notes what a capture reads from besides the blocks it will write: base trees, reused entries, spilled leaves. */
function holdCapture(top: Spec, hold: SaveHold, blockSize: number): void {
  const stack: Spec[] = [top];
  while (stack.length) {
    const spec = stack.pop()!;
    if ('reuse' in spec) { hold.noteEntry(spec.reuse, blockSize); continue; }
    const cap = spec.file;
    if (cap) {
      if (!cap.baseInline) hold.noteEntry({ kind: 'file', score: cap.baseScore, size: cap.baseSize }, blockSize);
      for (const leaf of cap.leaves.values()) if (leaf && 'score' in leaf) hold.note(leaf.score);
    }
    for (const c of spec.children ?? []) stack.push(c.spec);
  }
}

async function saveHeld(vol: Volume, opts: SaveOptions, hold: SaveHold): Promise<{ root: Score; rootBlock: Root }> {
  const store: Writer = {
    getBlock: (s) => vol.store.getBlock(s),
    put: async (type, data) => { const s = await vol.store.put(type, data); hold.note(s); return s; },
  };
  // New link groups are numbered above every group in the base, which needs the base's groups.
  const needsGroups = [...vol.allInodes()].some((n) => n.file && n.nlink > 1 && n.baseLink === 0);
  const nextLink = { n: needsGroups ? vol.maxBaseLink(await vol.baseLinkGroups()) + 1 : 1 };
  const newLinks = new Map<number, number>();
  const at = vol.changeCount;
  const spec = capture(vol, newLinks, nextLink);
  holdCapture(spec.top, hold, vol.blockSize);
  vol.budget.epoch++; // from here on, writes copy the leaves the capture holds
  const written = new Map<Inode, Entry>();
  const top = await write(vol, store, spec, written);
  const rootBlock: Root = {
    version: FORMAT_VERSION, blockSize: vol.blockSize, top: { ...top, name: Buffer.alloc(0) }, parent: vol.rootScore,
    created: nowNs(), comment: opts.comment ?? '', meta: { ...vol.root.meta, ...(opts.meta ?? {}) },
  };
  const root = await store.put(ROOT, encodeRoot(rootBlock));
  await vol.store.sync();
  for (const [node, entry] of written) {
    if (node.changedAt > at || !vol.has(node.ino)) continue;
    node.base = entry;
    if (entry.link) node.baseLink = entry.link;
    if (node.file && entry.kind === 'file') node.file.rebase(entry.score, entry.size, entry.inline);
  }
  vol.rebaseRoot(root, rootBlock, newLinks);
  return { root, rootBlock };
}
