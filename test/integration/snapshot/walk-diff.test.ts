// walk, diff and closure over real imports: diff skips identical subtrees without reading
// them, closure yields every reachable score once (and exactly the blocks an import wrote).
import { mkdir, rm, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { closure, diff, importDirectory, walk } from '../../../appliance/snapshot/index.js';
import { tmpDir, tmpStore } from '../../helpers/tmp.js';

async function makeTree(src: string) {
  for (const d of ['same/a/b', 'changes', 'gone/deep']) await mkdir(join(src, d), { recursive: true });
  for (let i = 0; i < 30; i++) await writeFile(join(src, 'same', 'a', 'b', `f${i}`), Buffer.alloc(2000 + i, i));
  await writeFile(join(src, 'changes', 'edit'), Buffer.alloc(100_000, 1));
  await writeFile(join(src, 'changes', 'mode'), 'm');
  await writeFile(join(src, 'gone', 'deep', 'x'), 'x');
  await writeFile(join(src, 'dup1'), Buffer.alloc(70_000, 9));
  await writeFile(join(src, 'dup2'), Buffer.alloc(70_000, 9));
}

t.test('diff lists added, removed and modified paths and never opens identical subtrees', async (t) => {
  const { store } = await tmpStore(t);
  const src = await tmpDir(t);
  await makeTree(src);
  const a = await importDirectory(store, src, { created: 0n, xattrs: false });
  await writeFile(join(src, 'changes', 'edit'), Buffer.alloc(100_000, 2));
  await chmod(join(src, 'changes', 'mode'), 0o600);
  await writeFile(join(src, 'changes', 'new'), 'n');
  await rm(join(src, 'gone'), { recursive: true });
  const b = await importDirectory(store, src, { created: 0n, xattrs: false });
  const reads: string[] = [];
  const counting = { getBlock: (s: Buffer) => { reads.push(s.toString('hex')); return store.getBlock(s); } };
  const changes = await diff(counting, a.root, b.root);
  t.same(changes.map((c) => `${c.kind} ${c.path.toString() || '.'}`), [
    'modified .', 'modified changes', 'modified changes/edit', 'modified changes/mode', 'added changes/new', 'removed gone',
  ]);
  const sameDir = async (root: Buffer) => { for await (const w of walk(store, root)) if (w.path.toString() === 'same') return w.entry.score.toString('hex'); return ''; };
  t.notOk(reads.includes(await sameDir(a.root)), 'the unchanged "same" subtree was not read');
  t.same(await diff(store, a.root, a.root), []);
});

t.test('closure yields every reachable score once: exactly what a first import stored', async (t) => {
  const { store } = await tmpStore(t);
  const src = await tmpDir(t);
  await makeTree(src);
  const { root, stats } = await importDirectory(store, src, { created: 0n, xattrs: false });
  const scores: string[] = [];
  for await (const s of closure(store, root)) scores.push(s.toString('hex'));
  t.equal(scores[0], root.toString('hex'), 'the root first');
  t.equal(new Set(scores).size, scores.length, 'each once (dup1 and dup2 share their content)');
  t.equal(scores.length, stats.blocksWritten, 'the store held nothing before, so the closure is every block written');
  const stored = new Set<string>();
  await store.sync();
  for await (const b of store.iterate(0)) stored.add(b.score.toString('hex'));
  t.same(new Set(scores), stored);
});

t.test('a directory of 20k entries is a stream over several DIR blocks, read back whole', async (t) => {
  const { store } = await tmpStore(t);
  const src = await tmpDir(t);
  await mkdir(join(src, 'big'));
  const names = Array.from({ length: 20_000 }, (_, i) => `a-rather-long-file-name-so-the-directory-passes-one-mebibyte-${String(i).padStart(5, '0')}`);
  for (const n of names) await writeFile(join(src, 'big', n), '');
  const { root } = await importDirectory(store, src, { created: 0n, xattrs: false });
  let big;
  const seen: string[] = [];
  for await (const w of walk(store, root)) {
    if (w.path.toString() === 'big') big = w.entry;
    else if (w.path.length) seen.push(w.path.toString().slice(4));
  }
  t.ok(big!.size > 1 << 20, `the stream is ${big!.size} bytes, over the store's 1 MiB block limit`);
  t.equal((await store.getBlock(big!.score)).type, 4, 'so its score names a pointer block');
  t.same(seen, names, 'every entry, in order');
});
