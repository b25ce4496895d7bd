// The snapshot subsystem's public surface: the tree format over the block store, import
// and export of real trees (directories and tar streams), walk, diff and closure.
export {
  ROOT, DIR, DATA, POINTER, FORMAT_VERSION, DEFAULT_BLOCK_SIZE, MIN_BLOCK_SIZE, MAX_BLOCK_SIZE, INLINE_MAX, ZERO_SCORE,
  blankEntry, isZeroScore, badName, encodeEntry, decodeEntry, encodeDirectory, decodeDirectory, encodeRoot, decodeRoot,
  type Entry, type EntryKind, type Root, type Xattr,
} from './format.js';
export {
  depthFor, leafCount, leafLength, fanout, isAllZero, readLeaf, readLeaves, readRange, ContentBuilder, ContentWriter, writeContent,
  type BlockReader, type BlockWriter, type Leaf,
} from './content.js';
export { rewriteLeaves, type RewriteOptions } from './rewrite.js';
export { readDirectory, writeDirectory } from './directory.js';
export { importDirectory, type ImportOptions, type ImportResult, type ImportStats, type ImportProgress, type SnapshotStore } from './import-dir.js';
export { importTar } from './import-tar.js';
export { exportTar, type ExportOptions, type ExportStats, type ExportProgress } from './export-tar.js';
export { exportDirectory, type ExportDirOptions } from './export-dir.js';
export { readRoot, walk, closure, type WalkItem } from './walk.js';
export { diff, type Change } from './diff.js';
export type { RootOptions } from './tree.js';
