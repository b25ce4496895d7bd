// Mark: the live set is every block reachable from the roots held, plus single blocks held
// outside any tree (a running volume's spilled leaves). Only root, directory and pointer
// blocks are read; data leaves are named by their parents and never read, so marking costs
// the tree's metadata, not its bytes. Roots shared by names and environments, and subtrees
// shared between roots, are walked once: a score already in the set is a subtree already done.
import { corruptData, isColonyError } from '../errors.js';
import { POINTER, ROOT, decodeRoot, depthFor, fanout, isZeroScore, leafCount, readDirectory, type BlockReader, type Entry } from '../snapshot/index.js';
import { SCORE_BYTES, formatScore, type Score } from '../store/index.js';
import { ScoreSet } from './score-set.js';

/** A content tree held outside any root (a volume's file whose base is an older tree). */
export interface HeldTree { score: Score; size: number; blockSize: number; kind: 'file' | 'dir' }

/** What must stay: snapshot roots, single blocks, and loose content trees. */
export interface HeldSet { roots: Score[]; scores: Score[]; trees?: HeldTree[] }

export interface MarkProgress { roots: number; rootsDone: number; marked: number; blocksRead: number }

export interface MarkOptions {
  onProgress?: (p: MarkProgress) => void;
  signal?: AbortSignal;
  /** Sizes the set up front when the caller knows roughly how many blocks the store holds. */
  expectedBlocks?: number;
}

export interface MarkResult {
  live: ScoreSet;
  blocksRead: number;
  /** Tree blocks that were not in the store (a name still replicating): nothing below them is marked. */
  missing: number;
  /** Roots with at least one missing tree block. */
  incompleteRoots: Score[];
}

const PROGRESS_EVERY = 4096;

/** Pending work: only the fields the walk needs, so a wide directory costs little while it waits. */
type Todo = { kind: 'file' | 'dir'; score: Score; size: number; blockSize: number };

export async function markLive(store: BlockReader, held: HeldSet, opts: MarkOptions = {}): Promise<MarkResult> {
  const live = new ScoreSet(opts.expectedBlocks ?? 0);
  const progress: MarkProgress = { roots: held.roots.length, rootsDone: 0, marked: 0, blocksRead: 0 };
  let missing = 0;
  let incomplete = false;
  const incompleteRoots: Score[] = [];
  let nextReport = PROGRESS_EVERY;

  const report = () => { progress.marked = live.size; opts.onProgress?.({ ...progress }); };
  /** A block's bytes, or undefined when the store lacks it; any other failure (corruption) ends the run. */
  const read = async (score: Score, type: number): Promise<Buffer | undefined> => {
    opts.signal?.throwIfAborted();
    let block: { type: number; data: Buffer };
    try {
      block = await store.getBlock(score);
    } catch (err) {
      if (!isColonyError(err, 'COLONY_NOT_FOUND')) throw err;
      missing++;
      incomplete = true;
      return undefined;
    }
    if (block.type !== type) throw corruptData(`${formatScore(score)} is a block of type ${block.type}, expected ${type}`);
    if (++progress.blocksRead >= nextReport) { nextReport += PROGRESS_EVERY; report(); }
    return block.data;
  };

  /** Marks a content tree below its top (already in the set): pointer blocks read, leaves only named. */
  const markContent = async (t: Todo): Promise<void> => {
    const f = fanout(t.blockSize);
    const n = leafCount(t.size, t.blockSize);
    const stack: Array<{ node: Score; h: number; idx: number }> = [{ node: t.score, h: depthFor(t.size, t.blockSize), idx: 0 }];
    while (stack.length > 0) {
      const { node, h, idx } = stack.pop()!;
      if (h === 0) continue;
      const ptrs = await read(node, POINTER);
      if (!ptrs) continue;
      const span = f ** (h - 1);
      const first = idx * span * f;
      const count = Math.ceil((Math.min(first + span * f, n) - first) / span);
      if (ptrs.length !== count * SCORE_BYTES) throw corruptData(`pointer block ${formatScore(node)} holds ${ptrs.length} bytes, expected ${count} scores`);
      for (let c = 0; c < count; c++) {
        const child = Buffer.from(ptrs.subarray(c * SCORE_BYTES, (c + 1) * SCORE_BYTES));
        if (live.add(child)) stack.push({ node: child, h: h - 1, idx: idx * f + c });
      }
    }
  };

  /** Marks trees in pre-order from `todo`; a directory's entries are read after its content is marked. */
  const markTrees = async (todo: Todo[]): Promise<void> => {
    while (todo.length > 0) {
      const t = todo.pop()!;
      if (t.size === 0 || isZeroScore(t.score) || !live.add(t.score)) continue;
      await markContent(t);
      if (t.kind !== 'dir') continue;
      let entries: Entry[];
      try {
        entries = await readDirectory(store, { kind: 'dir', size: t.size, score: t.score, name: Buffer.alloc(0) }, t.blockSize);
      } catch (err) {
        if (!isColonyError(err, 'COLONY_NOT_FOUND')) throw err;
        missing++; // a DIR leaf is missing: its entries cannot be known
        incomplete = true;
        continue;
      }
      progress.blocksRead += Math.ceil(t.size / t.blockSize);
      for (const e of entries) {
        if ((e.kind === 'file' || e.kind === 'dir') && !isZeroScore(e.score)) todo.push({ kind: e.kind, score: e.score, size: e.size, blockSize: t.blockSize });
      }
    }
  };

  for (const root of held.roots) {
    incomplete = false;
    if (live.add(root)) {
      const data = await read(root, ROOT);
      if (data) {
        const r = decodeRoot(data);
        await markTrees([{ kind: 'dir', score: r.top.score, size: r.top.size, blockSize: r.blockSize }]);
      }
    }
    if (incomplete) incompleteRoots.push(root);
    progress.rootsDone++;
  }
  for (const tree of held.trees ?? []) await markTrees([{ ...tree }]);
  for (const s of held.scores) live.add(s);
  report();
  return { live, blocksRead: progress.blocksRead, missing, incompleteRoots };
}
