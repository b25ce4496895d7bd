// Import from a tar stream (plain or gzip, detected by magic). Entries become the same
// in-memory tree a directory import builds, so a directory and its tar give one score.
// Paths are normalised and checked: no absolute paths, no "..", nothing through a
// symlink or a file, hard links only to entries already in the archive.
import { invalid } from '../errors.js';
import { decompressed, type Chunks } from './byte-source.js';
import { ContentBuilder } from './content.js';
import { DATA, INLINE_MAX, badName, type EntryKind } from './format.js';
import { countingBlocks, newStats, type ImportOptions, type ImportResult, type SnapshotStore } from './import-dir.js';
import { TarReader, type TarEntry } from './tar-read.js';
import { newNode, writeTree, type TreeNode } from './tree.js';

/** Splits a tar path into checked components: "./a//b/" → ["a", "b"]; "" or "./" → [] (the top). */
export function normalizeTarPath(path: Buffer): string[] {
  const shown = JSON.stringify(path.toString());
  if (path[0] === 0x2f) throw invalid(`tar entry ${shown} has an absolute path`);
  const out: string[] = [];
  for (const part of path.toString('latin1').split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') throw invalid(`tar entry ${shown} has a ".." component`);
    const why = badName(Buffer.from(part, 'latin1'));
    if (why) throw invalid(`tar entry ${shown} has ${why}`);
    out.push(part);
  }
  return out;
}

/** Imports a tar stream (a Readable, such as process.stdin, or any async iterable of chunks). */
export async function importTar(store: SnapshotStore, input: Chunks, opts: ImportOptions = {}): Promise<ImportResult> {
  const blockSize = opts.blockSize ?? 64 * 1024;
  const stats = newStats();
  const root = await countingBlocks(store, stats, async () => {
    const src = await decompressed(input, 'the tar stream');
    try {
      const tar = new TarReader(src);
      const top = newNode('dir');
      for (let e = await tar.next(); e; e = await tar.next()) {
        await addEntry(store, tar, top, e, blockSize, stats);
        opts.onProgress?.({ bytes: stats.bytes, files: stats.files });
      }
      return await writeTree(store, top, { ...opts, blockSize }, stats);
    } finally {
      await src.close();
    }
  });
  return { root, stats };
}

/** The node at `parts` without following anything; missing directories are made when `make`. */
function lookup(top: TreeNode, parts: string[], shown: string, make: boolean): TreeNode | undefined {
  let dir = top;
  for (const part of parts) {
    let next = dir.children!.get(part);
    if (!next) {
      if (!make) return undefined;
      next = newNode('dir');
      next.refs = 1;
      dir.children!.set(part, next);
    }
    if (!next.children) throw invalid(`tar entry ${shown} passes through ${next.entry.kind === 'symlink' ? 'a symlink' : 'a non-directory'} ("${part}")`);
    dir = next;
  }
  return dir;
}

async function addEntry(store: SnapshotStore, tar: TarReader, top: TreeNode, e: TarEntry, blockSize: number, stats: ReturnType<typeof newStats>): Promise<void> {
  const shown = JSON.stringify(e.path.toString());
  const parts = normalizeTarPath(e.path);
  if (parts.length === 0) {
    if (e.type !== 'dir') throw invalid(`tar entry ${shown} names the top directory but is a ${e.type}`);
    setAttrs(top, e);
    return;
  }
  const parent = lookup(top, parts.slice(0, -1), shown, true)!;
  const name = parts.at(-1)!;
  const old = parent.children!.get(name);
  if (old?.children && e.type === 'dir') { setAttrs(old, e); return; }
  if (old?.children) throw invalid(`tar entry ${shown} would replace a directory with a ${e.type}`);
  let node: TreeNode;
  if (e.type === 'link') {
    const target = normalizeTarPath(e.linkname);
    const tname = target.at(-1);
    const found = tname === undefined ? undefined : lookup(top, target.slice(0, -1), shown, false)?.children!.get(tname);
    if (!found || found.children) throw invalid(`tar entry ${shown} is a hard link to ${JSON.stringify(e.linkname.toString())}, which is not an earlier non-directory entry`);
    if (found === old) return;
    node = found;
    stats.hardlinks++;
  } else {
    node = newNode(e.type as EntryKind);
    setAttrs(node, e);
    if (e.type === 'dir') { /* counted when written */ } else if (e.type === 'file') { stats.files++; await readBody(store, tar, node, e.size, blockSize, stats); }
    else if (e.type === 'symlink') {
      if (e.linkname.length === 0) throw invalid(`tar entry ${shown} is a symlink without a target`);
      stats.symlinks++;
      node.entry.target = Buffer.from(e.linkname);
    } else {
      stats.specials++;
      node.entry.major = e.major;
      node.entry.minor = e.minor;
    }
  }
  if (old) old.refs--;
  node.refs++;
  parent.children!.set(name, node);
}

function setAttrs(node: TreeNode, e: TarEntry): void {
  Object.assign(node.entry, { mode: e.mode, uid: e.uid, gid: e.gid, mtime: e.mtime, xattrs: e.xattrs });
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
