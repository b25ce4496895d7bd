import t from 'tap';
import { blankEntry } from '../../../appliance/snapshot/format.js';
import { newNode, numberLinks, writeTree, type TreeNode } from '../../../appliance/snapshot/tree.js';
import { walk } from '../../../appliance/snapshot/walk.js';
import { MemoryBlockSource } from '../../../appliance/store/index.js';

/** Builds a tree from "path" → node, making directories on the way. */
function tree(spec: Array<[string, TreeNode]>): TreeNode {
  const top = newNode('dir');
  for (const [path, node] of spec) {
    const parts = path.split('/');
    let dir = top;
    for (const p of parts.slice(0, -1)) {
      let next = dir.children!.get(Buffer.from(p).toString('latin1'));
      if (!next) { next = newNode('dir'); next.refs = 1; dir.children!.set(Buffer.from(p).toString('latin1'), next); }
      dir = next;
    }
    node.refs++;
    dir.children!.set(Buffer.from(parts.at(-1)!).toString('latin1'), node);
  }
  return top;
}
const file = (text: string) => { const n = newNode('file'); const b = Buffer.from(text); n.entry = { ...blankEntry('file'), size: b.length, inline: b.length ? b : null }; return n; };

t.test('link groups are numbered in walk order, whatever order they were found in', async (t) => {
  const x = file('x');
  const y = file('y');
  const lonely = file('z'); // nlink > 1 outside the tree, one name inside: no group
  const top = tree([['b/y2', y], ['a/x1', x], ['c', x], ['a/y1', y], ['lonely', lonely]]);
  t.equal(numberLinks(top), 2);
  t.equal(x.entry.link, 1, 'a/x1 is the first linked name in walk order');
  t.equal(y.entry.link, 2);
  t.equal(lonely.entry.link, 0);
  const store = await MemoryBlockSource.create();
  const root = await writeTree(store, top, { created: 0n, blockSize: 4096 });
  const seen: string[] = [];
  for await (const { path, entry } of walk(store, root)) seen.push(`${path.toString() || '.'}${entry.link ? `#${entry.link}` : ''}`);
  t.same(seen, ['.', 'a', 'a/x1#1', 'a/y1#2', 'b', 'b/y2#2', 'c#1', 'lonely']);
});

t.test('names sort as bytes, so insertion order never changes the score', async (t) => {
  const names = ['b', 'B', 'a', '_', 'é', 'z', 'ä', '0'];
  const store = await MemoryBlockSource.create();
  const scores = new Set<string>();
  for (const order of [names, [...names].reverse(), [...names].sort()]) {
    const top = tree(order.map((n) => [`d/${n}`, file(n)]));
    scores.add((await writeTree(store, top, { created: 5n })).toString('hex'));
  }
  t.equal(scores.size, 1);
  const order: string[] = [];
  const top = tree(names.map((n) => [n, file(n)]));
  for await (const { path } of walk(store, await writeTree(store, top, { created: 0n }))) order.push(path.toString());
  t.same(order, ['', '0', 'B', '_', 'a', 'b', 'z', 'ä', 'é'], 'byte order: UTF-8 "ä" (c3 a4) before "é" (c3 a9), both after ASCII');
});

t.test('the root records creation time, comment, parent and meta; they change the score and nothing else does', async (t) => {
  const store = await MemoryBlockSource.create();
  const mk = () => tree([['f', file('hello')]]);
  const a = await writeTree(store, mk(), { created: 1n, comment: 'c' });
  t.same(await writeTree(store, mk(), { created: 1n, comment: 'c' }), a);
  t.not((await writeTree(store, mk(), { created: 2n, comment: 'c' })).toString('hex'), a.toString('hex'));
  t.not((await writeTree(store, mk(), { created: 1n, comment: 'd' })).toString('hex'), a.toString('hex'));
  t.not((await writeTree(store, mk(), { created: 1n, comment: 'c', meta: { invited: 'bob' } })).toString('hex'), a.toString('hex'));
  t.not((await writeTree(store, mk(), { created: 1n, comment: 'c', parent: a })).toString('hex'), a.toString('hex'));
  t.same(await writeTree(store, mk(), { created: new Date(0), meta: { b: '1', a: '2' } }), await writeTree(store, mk(), { created: 0, meta: { a: '2', b: '1' } }));
});
