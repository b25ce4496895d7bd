// Import from a tar stream (plain or gzip, detected by magic). Entries become the same
// tree a directory import builds, so a directory and its tar give one score; directories
// are written as they complete (tar-tree.ts). Paths are normalised and checked: no
// absolute paths, no "..", nothing through a symlink or a file, hard links only to
// entries already in the archive, at most MAX_TAR_DEPTH components.
import { decompressed, type Chunks } from './byte-source.js';
import { ContentBuilder } from './content.js';
import { DATA, INLINE_MAX } from './format.js';
import { countingBlocks, newStats, type ImportOptions, type ImportResult, type SnapshotStore } from './import-dir.js';
import { TarReader } from './tar-read.js';
import { TarTree } from './tar-tree.js';
import type { TreeNode } from './tree.js';

export { normalizeTarPath } from './tar-tree.js';

/** Imports a tar stream (a Readable, such as process.stdin, or any async iterable of chunks). */
export async function importTar(store: SnapshotStore, input: Chunks, opts: ImportOptions = {}): Promise<ImportResult> {
  const blockSize = opts.blockSize ?? 64 * 1024;
  const stats = newStats();
  const root = await countingBlocks(store, stats, async () => {
    const src = await decompressed(input, 'the tar stream');
    try {
      const tar = new TarReader(src);
      const tree = new TarTree(store, blockSize, stats, (node, size) => readBody(store, tar, node, size, blockSize, stats));
      for (let e = await tar.next(); e; e = await tar.next()) {
        await tree.add(e);
        opts.onProgress?.({ bytes: stats.bytes, files: stats.files });
      }
      return await tree.finish(opts);
    } finally {
      await src.close();
    }
  });
  return { root, stats };
}

async function readBody(store: SnapshotStore, tar: TarReader, node: TreeNode, size: number, blockSize: number, stats: ReturnType<typeof newStats>): Promise<void> {
  node.entry.size = size;
  stats.bytes += size;
  if (size === 0) return;
  if (size <= INLINE_MAX) { node.entry.inline = Buffer.from(await tar.read(size)); return; }
  const builder = new ContentBuilder(store, blockSize, DATA);
  for (let left = size; left > 0; left -= blockSize) await builder.add(await tar.read(Math.min(blockSize, left)));
  node.entry.score = (await builder.finish()).score;
}
