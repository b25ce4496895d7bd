// Rebuilding a content tree where only some leaves changed: what a volume's `save` calls.
// Unchanged subtrees whose shape did not change are reused by score without being read;
// only the pointer blocks on the paths to the changed leaves are read and rewritten.
import { invalid } from '../errors.js';
import { SCORE_BYTES, type Score } from '../store/index.js';
import { depthFor, fanout, leafCount, leafLength, readLeaf, isAllZero, type BlockReader, type BlockWriter } from './content.js';
import { DATA, POINTER, ZERO_SCORE, checkBlockSize, decodePointers, isZeroScore } from './format.js';

export interface RewriteOptions { blockSize: number; leafType?: number }

/**
 * The new content score of a stream that was `oldSize` bytes at `oldScore` and is now
 * `newSize` bytes, where `changes` maps leaf index → the leaf's new bytes (exactly its
 * length at `newSize`) or null (all zero). Leaves not in `changes` keep their old bytes;
 * bytes past the old end read as zero (as after a POSIX truncate and extend).
 */
export async function rewriteLeaves(
  store: BlockReader & BlockWriter, oldScore: Score, oldSize: number, newSize: number,
  changes: Map<number, Buffer | null>, opts: RewriteOptions,
): Promise<Score> {
  const bs = opts.blockSize;
  const leafType = opts.leafType ?? DATA;
  checkBlockSize(bs);
  const f = fanout(bs);
  const nOld = leafCount(oldSize, bs);
  const nNew = leafCount(newSize, bs);
  const dOld = depthFor(oldSize, bs);
  const dNew = depthFor(newSize, bs);
  const changed = [...changes.keys()].sort((a, b) => a - b);
  for (const i of changed) {
    const data = changes.get(i);
    if (!Number.isInteger(i) || i < 0 || i >= nNew) throw invalid(`changed leaf ${i} is outside a ${newSize}-byte stream`);
    if (data && data.length !== leafLength(newSize, bs, i)) throw invalid(`leaf ${i} has ${data.length} bytes, expected ${leafLength(newSize, bs, i)}`);
  }
  const anyChangeIn = (first: number, end: number) => {
    let lo = 0, hi = changed.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (changed[mid]! < first) lo = mid + 1; else hi = mid; }
    return lo < changed.length && changed[lo]! < end;
  };
  const oldLen = (i: number) => (i < nOld ? leafLength(oldSize, bs, i) : 0);
  const newLen = (i: number) => (i < nNew ? leafLength(newSize, bs, i) : 0);

  // Old pointer blocks read so far, by "height:index".
  const oldBlocks = new Map<string, Buffer[]>();
  async function oldNode(h: number, idx: number): Promise<Score> {
    if (h === dOld) return oldScore;
    const parent = await oldNode(h + 1, Math.floor(idx / f));
    if (isZeroScore(parent)) return ZERO_SCORE;
    const key = `${h + 1}:${Math.floor(idx / f)}`;
    let ptrs = oldBlocks.get(key);
    if (!ptrs) {
      const pIdx = Math.floor(idx / f);
      const span = f ** h;
      const count = Math.ceil((Math.min((pIdx + 1) * f * span, nOld) - pIdx * f * span) / span);
      const block = await store.getBlock(parent);
      if (block.type !== POINTER) throw invalid('the old content tree has a non-pointer block where a pointer was expected');
      ptrs = decodePointers(block.data, count, 'content tree');
      oldBlocks.set(key, ptrs);
    }
    return ptrs[idx % f]!;
  }

  // Whether the old node at (h, idx) has the very shape of the new one, so its score stands.
  const sameShape = (h: number, first: number, end: number) => {
    if (h > dOld || first >= nOld) return false;
    const endOld = Math.min(first + f ** h, nOld);
    return endOld === end && oldLen(end - 1) === newLen(end - 1);
  };

  async function build(h: number, idx: number): Promise<Score> {
    const first = idx * f ** h;
    const end = Math.min(first + f ** h, nNew);
    if (!anyChangeIn(first, end) && sameShape(h, first, end)) return oldNode(h, idx);
    if (h === 0) {
      let data: Buffer | null;
      if (changes.has(idx)) data = changes.get(idx) ?? null;
      else if (idx >= nOld) data = null;
      else {
        const old = await readLeaf(store, oldScore, oldSize, bs, idx, leafType);
        const len = newLen(idx);
        data = old === null ? null : old.length >= len ? old.subarray(0, len) : Buffer.concat([old, Buffer.alloc(len - old.length)]);
      }
      return data && !isAllZero(data) ? store.put(leafType, data) : ZERO_SCORE;
    }
    const count = Math.ceil((end - first) / f ** (h - 1));
    const kids: Score[] = [];
    for (let c = 0; c < count; c++) kids.push(await build(h - 1, idx * f + c));
    if (kids.every(isZeroScore)) return ZERO_SCORE;
    return store.put(POINTER, Buffer.concat(kids, count * SCORE_BYTES));
  }

  if (nNew === 0) return ZERO_SCORE;
  return build(dNew, 0);
}
