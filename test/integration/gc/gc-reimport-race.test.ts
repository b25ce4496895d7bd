// A re-import reuses the content of unchanged files from its import cache without writing
// it: `hasMany` says the blocks are there, and nothing holds them when the name that
// pointed at them has been forgotten. A collection running meanwhile must not drop them
// (the import holds the trees before it asks), and a collection that has already gathered
// what is held makes the import wait, so what it then finds is what stays.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { WriteHolds, collectGarbage, heldNow } from '../../../appliance/gc/index.js';
import { MemoryLog } from '../../../appliance/log.js';
import { exportDirectory, importDirectory } from '../../../appliance/snapshot/index.js';
import { BlockStore, type Score } from '../../../appliance/store/index.js';
import { gated } from '../../helpers/gate.js';
import { tmpDir } from '../../helpers/tmp.js';

const pattern = (n: number, seed: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed * 89 + Math.floor(i / 4096)) % 251));
const FILES = 6;

/** A store with small arenas and a tree imported once (named by nothing now), its cache written. */
async function imported(t: Test) {
  const store = await BlockStore.open(await tmpDir(t), { arenaBytes: 1 << 20, maxBlockBytes: 128 << 10, cacheBytes: 0, compress: 'off' });
  t.teardown(() => store.close().catch(() => {}));
  const src = await tmpDir(t);
  await mkdir(join(src, 'd'));
  for (let i = 0; i < FILES; i++) await writeFile(join(src, 'd', `f${i}`), pattern(400_000, i));
  const cache = join(await tmpDir(t), 'import-cache');
  // The cache trusts only files whose ctime is well before the run that read them.
  await new Promise((r) => setTimeout(r, 150));
  await importDirectory(store, src, { xattrs: false, cache });
  await store.sync();
  t.ok((await store.stats()).sealedArenas >= 1, 'the first import filled sealed arenas');
  return { store, src, cache };
}

const collect = (store: BlockStore, holds: WriteHolds, roots = async () => heldNow({ catalog: { liveRoots: () => [] }, holds })) => collectGarbage({
  store, log: new MemoryLog(), bytesPerSecond: Number.POSITIVE_INFINITY, maxUnusedFraction: 0, minArenaGarbageFraction: 0, roots,
});

async function exportsExact(t: Test, store: BlockStore, root: Score, src: string) {
  const out = join(await tmpDir(t), 'x');
  await exportDirectory(store, root, out);
  let differ = 0;
  for (let i = 0; i < FILES; i++) if (!(await readFile(join(src, 'd', `f${i}`))).equals(await readFile(join(out, 'd', `f${i}`)))) differ++;
  t.equal(differ, 0, 'the re-imported tree exports byte-exact');
}

/** A re-import stopped just after `hasMany` answered, a whole collection run meanwhile, then the rest. */
async function reimportAroundCollection(t: Test, useHolds: boolean) {
  const { store, src, cache } = await imported(t);
  const holds = new WriteHolds();
  const { store: held, release } = holds.hold(store);
  const gate = gated(useHolds ? held : store, ['hasMany'], (n) => n === 1, 'after');
  const importing = importDirectory(gate.target, src, { xattrs: false, cache });
  await gate.reached;
  await holds.collecting(() => collect(store, holds));
  gate.go();
  const { root, stats } = await importing;
  release();
  return { store, src, root, stats };
}

t.test('a collection that starts after the re-import found its content keeps that content', async (t) => {
  const { store, src, root, stats } = await reimportAroundCollection(t, true);
  t.equal(stats.reused, FILES, 'every file came from the cache, unread');
  await exportsExact(t, store, root, src);
});

t.test('without the hold the same collection breaks the re-import (the race is real)', async (t) => {
  const { store, root, stats } = await reimportAroundCollection(t, false);
  t.equal(stats.reused, FILES);
  await t.rejects(exportDirectory(store, root, join(await tmpDir(t), 'x')), { code: 'COLONY_NOT_FOUND' });
});

t.test('a re-import that asks after a collection gathered waits for it, then reads what it dropped', async (t) => {
  const { store, src, cache } = await imported(t);
  const holds = new WriteHolds();
  const { store: held, release } = holds.hold(store);
  let gathered!: () => void;
  let resume!: () => void;
  const atGather = new Promise<void>((r) => { gathered = r; });
  const gate = new Promise<void>((r) => { resume = r; });
  const collecting = holds.collecting(() => collect(store, holds, async () => {
    const h = heldNow({ catalog: { liveRoots: () => [] }, holds });
    gathered();
    await gate; // the collection stops between its gather and its mark
    return h;
  }));
  await atGather;
  let asked = 0;
  const counted = new Proxy(held, {
    get(target, prop) {
      const v = Reflect.get(target, prop, target) as unknown;
      if (prop === 'holdTrees') return async (...a: unknown[]) => { asked++; return (v as (...x: unknown[]) => Promise<void>)(...a); };
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  const importing = importDirectory(counted, src, { xattrs: false, cache });
  let settled = false;
  void importing.then(() => { settled = true; }, () => { settled = true; });
  for (let i = 0; i < 200 && asked === 0 && !settled; i++) await new Promise((r) => setTimeout(r, 10));
  t.equal(asked, 1, 'the import asked to hold its reused content');
  await new Promise((r) => setTimeout(r, 50));
  t.notOk(settled, 'and waits while the collection that gathered without it runs');
  resume();
  await collecting;
  const { root, stats } = await importing;
  release();
  t.ok(stats.reused < FILES, 'content the collection dropped was read again');
  await exportsExact(t, store, root, src);
});

t.test('after a collection dropped blocks, a re-import trusts none of its cache (a file\'s top can outlive its leaves)', async (t) => {
  const { store, src, cache } = await imported(t);
  const before = store.dropMark();
  const report = await collect(store, new WriteHolds());
  t.ok(report.freedBytes > 0, 'the collection freed the unnamed tree\'s sealed arenas');
  t.not(store.dropMark(), before, 'and the store\'s drop mark moved');
  const { root, stats } = await importDirectory(store, src, { xattrs: false, cache });
  t.equal(stats.reused, 0, 'every file was read again');
  await exportsExact(t, store, root, src);
  const again = await importDirectory(store, src, { xattrs: false, cache });
  t.equal(again.stats.reused, FILES, 'and the next re-import trusts the cache again');
});
