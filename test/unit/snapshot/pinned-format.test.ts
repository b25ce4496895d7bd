// Format version 1 is pinned by a snapshot written by the code that defined it
// (test/fixtures/snapshot/v1-small.json). Every later build must read it to the same tree,
// and today's writer must still produce exactly those bytes from the same input.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { closure, diff, importTar, readLeaf, readRoot, walk } from '../../../appliance/snapshot/index.js';
import { MemoryBlockSource, loadHash, parseScore } from '../../../appliance/store/index.js';
import { fixtureArchive } from './fixture-archive.js';

const fixture = JSON.parse(readFileSync(new URL('../../fixtures/snapshot/v1-small.json', import.meta.url), 'utf8')) as {
  root: string; blocks: Array<{ score: string; type: number; hex: string }>;
};

async function pinnedStore(): Promise<MemoryBlockSource> {
  const store = await MemoryBlockSource.create();
  const { hash } = await loadHash();
  for (const b of fixture.blocks) {
    const data = Buffer.from(b.hex, 'hex');
    if (`b3:${hash(data).toString('hex')}` !== b.score) throw new Error(`fixture block ${b.score} does not match its bytes`);
    await store.put(b.type, data);
  }
  return store;
}

t.test('the pinned v1 snapshot reads back to the tree it was made from', async (t) => {
  const store = await pinnedStore();
  const root = parseScore(fixture.root);
  const r = await readRoot(store, root);
  t.same([r.version, r.blockSize, r.created, r.comment, r.meta], [1, 4096, 1_700_000_000_000_000_000n, 'format v1 fixture', { purpose: 'pin' }]);
  t.same([r.top.mode, r.top.xattrs.map((x) => x.name.toString())], [0o755, ['user.top']]);
  const items = new Map<string, Awaited<ReturnType<typeof readRoot>>['top']>();
  for await (const { path, entry } of walk(store, root)) items.set(path.toString(), entry);
  t.equal(items.size, 1 + 1 + 150 + 1 + 7 + 3, 'top, many/, its 150 files and the hard link, 7 top-level entries, implied/parent/file');
  t.same([...items.keys()].slice(0, 8), ['', 'big', 'disk', 'empty', 'fifo', 'implied', 'implied/parent', 'implied/parent/file']);
  const big = items.get('big')!;
  t.same([big.kind, big.mode, big.size, big.link, big.xattrs[0]!.value], ['file', 0o4755, 600_000, 1, Buffer.from([0, 255, 10])]);
  t.equal(items.get('many/hard')!.link, 1, 'the hard link shares group 1');
  t.same(items.get('many/hard')!.score, big.score);
  t.equal((await readLeaf(store, big.score, big.size, 4096, 1))![5], ((4096 + 5) % 4096 % 251) + 1);
  t.equal(await readLeaf(store, big.score, big.size, 4096, 100), null, 'the hole is sparse');
  t.same([items.get('inline')!.inline?.toString(), items.get('inline')!.mtime], ['tiny', -5n]);
  t.same([items.get('disk')!.major, items.get('disk')!.minor], [259, 65536]);
  t.equal(items.get('link')!.target?.toString(), 'big');
  t.equal(items.get('implied')!.mode, 0o755, 'an implied parent gets the documented defaults');
  t.ok(items.get('many')!.size > 4096, 'the big directory spans several DIR leaves under a pointer');
  const all: string[] = [];
  for await (const s of closure(store, root)) all.push(`b3:${s.toString('hex')}`);
  t.same(new Set(all), new Set(fixture.blocks.map((b) => b.score)), 'the closure is exactly the pinned blocks');
});

t.test("today's writer produces the pinned bytes from the same input", async (t) => {
  const store = await pinnedStore();
  const before = store.blocks.size;
  const { root } = await importTar(store, [fixtureArchive()], { created: 1_700_000_000_000_000_000n, comment: 'format v1 fixture', blockSize: 4096, meta: { purpose: 'pin' } });
  t.equal(`b3:${root.toString('hex')}`, fixture.root);
  t.equal(store.blocks.size, before, 'not one new block');
  t.same(await diff(store, root, parseScore(fixture.root)), []);
});
