// The difference between two snapshots, skipping every subtree whose score is the same on
// both sides without reading it.
import type { Score } from '../store/index.js';
import type { BlockReader } from './content.js';
import { readDirectory } from './directory.js';
import type { Entry } from './format.js';
import { joinPath, readRoot } from './walk.js';

export interface Change {
  /** Relative path bytes; empty for the top directory. An added or removed directory is listed once, not its contents. */
  path: Buffer;
  kind: 'added' | 'removed' | 'modified';
  before?: Entry;
  after?: Entry;
}

const sameXattrs = (a: Entry, b: Entry) => a.xattrs.length === b.xattrs.length && a.xattrs.every((x, i) => x.name.equals(b.xattrs[i]!.name) && x.value.equals(b.xattrs[i]!.value));
const nullableEq = (a: Buffer | null, b: Buffer | null) => (a === null || b === null ? a === b : a.equals(b));

/**
 * Whether the entry itself (not a directory's contents) differs. Link-group numbers are
 * compared only as "linked or not": they are renumbered whenever a group is added before them.
 */
function entryDiffers(a: Entry, b: Entry): boolean {
  return a.kind !== b.kind || a.mode !== b.mode || a.uid !== b.uid || a.gid !== b.gid || a.mtime !== b.mtime
    || (a.link === 0) !== (b.link === 0) || !sameXattrs(a, b)
    || (a.kind !== 'dir' && (a.size !== b.size || !a.score.equals(b.score) || !nullableEq(a.inline, b.inline) || !nullableEq(a.target, b.target) || a.major !== b.major || a.minor !== b.minor));
}

/** What changed from `a` to `b`, in walk order. */
export async function diff(store: BlockReader, a: Score, b: Score): Promise<Change[]> {
  const out: Change[] = [];
  if (a.equals(b)) return out;
  const [ra, rb] = await Promise.all([readRoot(store, a), readRoot(store, b)]);
  // Iterative: one frame per pair of directories being merged, the innermost last, so a
  // deep tree needs no deep stack. A frame is pushed where the recursion would descend,
  // which keeps the output in walk order.
  const stack: Array<{ path: Buffer; la: Entry[]; lb: Entry[]; i: number; j: number }> = [];
  const enter = async (path: Buffer, ea: Entry, eb: Entry) => {
    if (entryDiffers(ea, eb)) out.push({ path, kind: 'modified', before: ea, after: eb });
    if (ea.kind !== 'dir' || eb.kind !== 'dir') return;
    if (ea.size === eb.size && ea.score.equals(eb.score) && ra.blockSize === rb.blockSize) return;
    const [la, lb] = await Promise.all([readDirectory(store, ea, ra.blockSize), readDirectory(store, eb, rb.blockSize)]);
    stack.push({ path, la, lb, i: 0, j: 0 });
  };
  await enter(Buffer.alloc(0), ra.top, rb.top);
  while (stack.length > 0) {
    const f = stack.at(-1)!;
    const { la, lb } = f;
    if (f.i >= la.length && f.j >= lb.length) { stack.pop(); continue; }
    const c = f.i >= la.length ? 1 : f.j >= lb.length ? -1 : Buffer.compare(la[f.i]!.name, lb[f.j]!.name);
    if (c < 0) { out.push({ path: joinPath(f.path, la[f.i]!.name), kind: 'removed', before: la[f.i]! }); f.i++; }
    else if (c > 0) { out.push({ path: joinPath(f.path, lb[f.j]!.name), kind: 'added', after: lb[f.j]! }); f.j++; }
    else { const a = la[f.i++]!, b = lb[f.j++]!; await enter(joinPath(f.path, a.name), a, b); }
  }
  return out;
}
