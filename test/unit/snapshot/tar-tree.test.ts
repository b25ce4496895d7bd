// The tar import's tree (issue 12, finding 8): what it keeps in memory follows the widest
// directory, not the archive's entry count, and any entry order gives the same root as
// the whole tree built in memory, without orphan blocks while the pending budget holds.
import t from 'tap';
import { closure, type Entry } from '../../../appliance/snapshot/index.js';
import { blankEntry } from '../../../appliance/snapshot/format.js';
import { newStats } from '../../../appliance/snapshot/import-dir.js';
import type { TarEntry } from '../../../appliance/snapshot/tar-read.js';
import { TarTree } from '../../../appliance/snapshot/tar-tree.js';
import { newNode, writeTree, type TreeNode } from '../../../appliance/snapshot/tree.js';
import { MemoryBlockSource, type Score } from '../../../appliance/store/index.js';

const BS = 4096;
const entry = (path: string, over: Partial<TarEntry> = {}): TarEntry => ({
  path: Buffer.from(path), type: 'file', mode: 0o644, uid: 7, gid: 7, mtime: 5n, size: 0, linkname: Buffer.alloc(0), major: 0, minor: 0, xattrs: [], ...over,
});

/** `dirs` directories of `files` empty files each, listed as tar does: a directory, then its contents. */
function inOrder(dirs: number, files: number): TarEntry[] {
  const out = [entry('./', { type: 'dir', mode: 0o755 })];
  for (let d = 0; d < dirs; d++) {
    out.push(entry(`d${d}/`, { type: 'dir', mode: 0o700 }));
    for (let f = 0; f < files; f++) out.push(entry(`d${d}/f${f}`, { mtime: BigInt(f) }));
  }
  return out;
}

async function build(store: MemoryBlockSource, entries: TarEntry[], budget?: number): Promise<{ root: Score; tree: TarTree }> {
  const stats = newStats();
  const tree = new TarTree(store, BS, stats, async (node, size) => { node.entry.size = size; }, budget);
  for (const e of entries) await tree.add(e);
  return { root: await tree.finish({ created: 0n }), tree };
}

/** The same tree as `inOrder` built whole in memory and written once: the reference root. */
async function reference(store: MemoryBlockSource, dirs: number, files: number, links: Array<[string, string]> = []): Promise<Score> {
  const top = newNode('dir');
  Object.assign(top.entry, { uid: 7, gid: 7, mtime: 5n });
  const nodes = new Map<string, TreeNode>();
  for (let d = 0; d < dirs; d++) {
    const dir = newNode('dir');
    dir.refs = 1;
    Object.assign(dir.entry, { mode: 0o700, uid: 7, gid: 7, mtime: 5n });
    top.children!.set(`d${d}`, dir);
    for (let f = 0; f < files; f++) {
      const n: TreeNode = { entry: { ...blankEntry('file'), uid: 7, gid: 7, mtime: BigInt(f) } as Entry, refs: 1 };
      dir.children!.set(`f${f}`, n);
      nodes.set(`d${d}/f${f}`, n);
    }
  }
  for (const [name, target] of links) {
    const [d, f] = name.split('/');
    const n = nodes.get(target)!;
    n.refs++;
    top.children!.get(d!)!.children!.set(f!, n);
  }
  return writeTree(store, top, { created: 0n, blockSize: BS });
}

async function reachable(store: MemoryBlockSource, root: Score): Promise<number> {
  let n = 0;
  for await (const _ of closure(store, root)) n++;
  return n;
}

t.test('an archive in tar order keeps one directory of entries in memory, not all of them', async (t) => {
  const store = await MemoryBlockSource.create();
  const { root, tree } = await build(store, inOrder(40, 300));
  t.same(root, await reference(await MemoryBlockSource.create(), 40, 300));
  t.ok(tree.peakLive <= 300 + 40, `at most one directory's entries and the top's: ${tree.peakLive} of 12040 entries`);
  t.equal(tree.closedEarly, 39, 'every directory but the last closed before the end');
  t.equal(tree.reopened, 0);
  t.equal(store.blocks.size, await reachable(store, root), 'no orphan blocks');
});

t.test('any order, hard links into closed directories and late directory entries give the same root', async (t) => {
  const links: Array<[string, string]> = [['d3/hard', 'd1/f2'], ['d0/hard', 'd2/f0']];
  const want = await reference(await MemoryBlockSource.create(), 6, 20, links);
  const all = inOrder(6, 20);
  const linkEntries = links.map(([name, target]) => entry(name, { type: 'link', linkname: Buffer.from(target) }));

  // Tar order with the links last: each link reopens a closed directory.
  const store = await MemoryBlockSource.create();
  const ordered = await build(store, [...all, ...linkEntries]);
  t.same(ordered.root, want);
  t.equal(store.blocks.size, await reachable(store, ordered.root), 'directories closed early waited in memory: no orphan blocks');

  // Shuffled (directory entries too, after their contents), links still after their targets.
  let seed = 12345;
  const rand = () => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed / 2 ** 31; };
  const shuffled = [...all];
  for (let i = shuffled.length - 1; i > 0; i--) { const j = Math.floor(rand() * (i + 1)); [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!]; }
  const s = await build(await MemoryBlockSource.create(), [...shuffled, ...linkEntries]);
  t.same(s.root, want);
  t.ok(s.tree.reopened > 0, 'the shuffled archive returned to closed directories');

  // No pending budget: closed directories go to the store at once and are read back.
  const stored = await build(await MemoryBlockSource.create(), [...shuffled, ...linkEntries], 0);
  t.same(stored.root, want);
});
