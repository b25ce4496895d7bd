// What a running volume holds in the store beyond its current root, for garbage collection:
// blocks no name and no root reaches yet, which a collection must keep.
//
// The rule (argued in README.md, "What a volume holds"): every inode whose `base` is set and
// that still has a name is part of the tree under `rootScore`, or under a directory entry
// listed here. So beyond the root it is enough to list, for each inode that changed since
// its base (base null) or that lost its last name while open:
//  - a file: its base content tree (an older tree's, until a save adopts the file) and the
//    leaves it spilled into the store;
//  - a directory: the entries it was loaded with (their subtrees come from older trees).
// And for a save in flight: every block it has written so far and the trees its capture
// reuses, until the save returns (its root is then the volume's root).
import { isZeroScore, type Entry } from '../snapshot/index.js';
import type { Score } from '../store/index.js';
import type { Inode } from './inode.js';

/** A content tree to keep whole: a file's leaves under pointer blocks, or a directory and everything below it. */
export interface HeldTree { score: Score; size: number; blockSize: number; kind: 'file' | 'dir' }

export interface VolumeHold {
  /** The snapshot root the volume runs on now. */
  roots: Score[];
  /** Single blocks: spilled leaves, and blocks an unfinished save wrote. */
  scores: Score[];
  /** Content trees outside the root. Many are also under the root; a collection walks a shared subtree once. */
  trees: HeldTree[];
}

/** What one save in flight holds; the volume keeps a set of these. */
export class SaveHold {
  readonly written = new Map<string, Score>();
  readonly trees: HeldTree[] = [];

  note(score: Score): void { this.written.set(score.toString('hex'), score); }

  noteEntry(e: Pick<Entry, 'kind' | 'score' | 'size'>, blockSize: number): void {
    if ((e.kind === 'file' || e.kind === 'dir') && e.size > 0 && !isZeroScore(e.score)) this.trees.push({ score: e.score, size: e.size, blockSize, kind: e.kind });
  }
}

export function heldBy(rootScore: Score, rootIno: number, blockSize: number, inodes: Iterable<Inode>, saves: Iterable<SaveHold>): VolumeHold {
  const scores: Score[] = [];
  const trees: HeldTree[] = [];
  const tree = (score: Score, size: number, kind: 'file' | 'dir') => {
    if (size > 0 && !isZeroScore(score)) trees.push({ score, size, blockSize, kind });
  };
  for (const node of inodes) {
    if (node.file) {
      for (const leaf of node.file.leaves.values()) if (leaf && 'score' in leaf) scores.push(leaf.score);
    }
    const exposed = node.base === null || (node.ino !== rootIno && node.parents.size === 0);
    if (!exposed) continue;
    if (node.file && !node.file.baseInline) tree(node.file.baseScore, node.file.baseSize, 'file');
    if (node.dir) {
      for (const child of node.dir.children.values()) {
        const e = child.entry;
        if (e && (e.kind === 'file' || e.kind === 'dir')) tree(e.score, e.size, e.kind);
      }
    }
  }
  for (const s of saves) {
    // Loops, not push(...): a large save writes more scores than a call takes arguments.
    for (const score of s.written.values()) scores.push(score);
    for (const t of s.trees) trees.push(t);
  }
  return { roots: [rootScore], scores, trees };
}
