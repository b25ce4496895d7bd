// The collection end to end on a real store: an interrupted import and a forgotten name are
// freed, the live name still exports byte-exact, a running volume's spilled leaves survive,
// a dry run changes nothing, and one collection runs at a time.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { collectGarbage, usageByUser, type GcProgress, type GcReport } from '../../../appliance/gc/index.js';
import { MemoryLog } from '../../../appliance/log.js';
import { exportDirectory, importDirectory } from '../../../appliance/snapshot/index.js';
import { BlockStore, type Score } from '../../../appliance/store/index.js';
import { ROOT_CRED as C, ROOT_INO, Volume } from '../../../appliance/volume/index.js';
import { tmpDir } from '../../helpers/tmp.js';

// compress 'off': the trees are patterned bytes, and the arena layout (which trees share an arena) is what these tests reason about.
const storeOpts = { arenaBytes: 1 << 20, maxBlockBytes: 128 << 10, cacheBytes: 0, compress: 'off' as const };
const fast = Number.POSITIVE_INFINITY;
const pattern = (n: number, seed: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed * 101 + Math.floor(i / 4096)) % 253));

/** A tree of `files` files of `each` bytes, unique to `seed`. */
async function tree(t: Test, seed: number, files: number, each: number): Promise<string> {
  const src = await tmpDir(t);
  await mkdir(join(src, 'd'));
  for (let i = 0; i < files; i++) await writeFile(join(src, 'd', `f${i}`), pattern(each, seed * 1000 + i));
  return src;
}

async function world(t: Test) {
  const dir = await tmpDir(t);
  const store = await BlockStore.open(dir, storeOpts);
  t.teardown(() => store.close().catch(() => {}));
  const imp = async (src: string) => { const r = (await importDirectory(store, src, { xattrs: false })).root; await store.sync(); return r; };
  const interrupted = await imp(await tree(t, 1, 12, 200_000)); // never named: as an import cut off before its name
  const liveSrc = await tree(t, 2, 6, 200_000);
  const live = await imp(liveSrc);
  const forgotten = await imp(await tree(t, 3, 8, 200_000)); // named once, then forgotten
  const tail = await imp(await tree(t, 4, 8, 200_000)); // live too: fills the newest arenas, so the forgotten tree's are sealed
  return { dir, store, live, liveSrc, interrupted, forgotten, tail };
}

async function sameFiles(t: Test, a: string, b: string, what: string) {
  let differ = 0;
  for (let i = 0; i < 6; i++) if (!(await readFile(join(a, 'd', `f${i}`))).equals(await readFile(join(b, 'd', `f${i}`)))) differ++;
  t.equal(differ, 0, what);
}

t.test('a dry run plans and changes nothing', async (t) => {
  const w = await world(t);
  const before = await w.store.stats();
  const report = await collectGarbage({ store: w.store, roots: async () => ({ roots: [w.live, w.tail], scores: [] }), log: new MemoryLog(), dryRun: true });
  t.equal(report.dryRun, true);
  t.ok(report.remove.length > 0, `arenas ${report.remove} hold nothing live`);
  t.ok(report.bytesToFree > report.garbageBytes / 2, `${report.bytesToFree} bytes would be freed of ${report.garbageBytes} garbage`);
  t.equal(report.freedBytes, 0);
  t.equal(report.writtenBytes, 0);
  const after = await w.store.stats();
  t.equal(after.diskBytes, before.diskBytes, 'not a byte moved');
  t.equal(after.arenas, before.arenas);
});

t.test('garbage is freed; live names export byte-exact; a running volume keeps its spilled leaves', async (t) => {
  const w = await world(t);
  // A running environment over the live name with unsaved writes spilled into the store.
  const vol = await Volume.open(w.store, w.live, { cacheBytes: 256 << 10 });
  const ino = await vol.create(C, ROOT_INO, 'unsaved.bin', 'file', 0o644, 0);
  const unsaved = pattern(1 << 20, 77);
  await vol.write(C, ino, 0, unsaved);
  t.ok(vol.heldScores().length > 0, 'some of it was spilled');
  await w.store.sync();
  const before = await w.store.stats();
  const progress: GcProgress['phase'][] = [];
  const report: GcReport = await collectGarbage({
    store: w.store, log: new MemoryLog(), bytesPerSecond: fast, maxUnusedFraction: 0, minArenaGarbageFraction: 0, // every arena with garbage
    roots: async () => { const v = vol.held(); return { roots: [w.live, w.tail, ...v.roots], scores: v.scores, trees: v.trees }; },
    onProgress: (p) => { if (progress.at(-1) !== p.phase) progress.push(p.phase); },
  });
  t.same(Object.keys(report).sort(), ['bytesToFree', 'bytesToWrite', 'copied', 'dryRun', 'freedBytes', 'garbageBytes', 'liveBytes', 'remove', 'rewrite', 'seconds', 'storeBytes', 'writtenBytes']);
  t.ok(report.freedBytes > 0, `${report.freedBytes} bytes freed`);
  const after = await w.store.stats();
  t.ok(after.diskBytes <= before.diskBytes - report.garbageBytes * 0.9, `the store shrank from ${before.diskBytes} to ${after.diskBytes} (${report.garbageBytes} garbage)`);
  t.ok(progress.includes('compact'), `phases: ${progress}`);
  const shrank = before.diskBytes - after.diskBytes;
  t.ok(Math.abs(report.freedBytes - shrank) < shrank * 0.02, `freedBytes ${report.freedBytes} is what the store lost: ${shrank}`);
  t.ok(Math.abs(report.bytesToFree - report.freedBytes) < shrank * 0.02, `the plan said ${report.bytesToFree}`);
  t.ok(report.writtenBytes <= report.bytesToWrite * 1.1 + 65536, `written ${report.writtenBytes}, planned ${report.bytesToWrite}`);

  const out = await tmpDir(t);
  await exportDirectory(w.store, w.live, join(out, 'x'));
  await sameFiles(t, w.liveSrc, join(out, 'x'), 'the live name exports byte-exact');
  vol.budget.clean.clear();
  t.ok((await vol.read(ino, 0, unsaved.length)).equals(unsaved), 'the unsaved file reads back whole');
  const { root } = await vol.save();
  t.ok(root.length === 32, 'and saves');
  await t.rejects(w.store.getBlock(w.interrupted), { code: 'COLONY_NOT_FOUND' }, 'the unnamed import is gone');
  await t.rejects(w.store.getBlock(w.forgotten), { code: 'COLONY_NOT_FOUND' }, 'the forgotten name is gone');
  const verify = await w.store.verify();
  t.same({ ok: verify.ok, corrupt: verify.corrupt }, { ok: true, corrupt: [] }, 'the store verifies');

  const again = await collectGarbage({ store: w.store, log: new MemoryLog(), bytesPerSecond: fast, roots: async () => ({ roots: [w.live, w.tail, root], scores: [] }) });
  t.same({ rewrite: again.rewrite, remove: again.remove }, { rewrite: [], remove: [] }, `a second run right after finds nothing worth doing: ${JSON.stringify(again)}`);
});

t.test('one collection at a time: a second one is COLONY_LOCKED', async (t) => {
  const w = await world(t);
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  const first = collectGarbage({ store: w.store, log: new MemoryLog(), dryRun: true, roots: async () => { await gate; return { roots: [w.live], scores: [] }; } });
  await t.rejects(collectGarbage({ store: w.store, log: new MemoryLog(), dryRun: true, roots: async () => ({ roots: [], scores: [] }) }), { code: 'COLONY_LOCKED' });
  release();
  await first;
  await collectGarbage({ store: w.store, log: new MemoryLog(), dryRun: true, roots: async () => ({ roots: [w.live], scores: [] }) });
  t.pass('the next one runs once the first ended');
});

t.test('usage counts a block once per user, and shared blocks for every user holding them', async (t) => {
  const w = await world(t);
  const sizeOf = async (roots: Score[]) => (await usageByUser({ store: w.store, rootsByUser: new Map([['x', roots]]) }))[0]!.bytes;
  const live = await sizeOf([w.live]);
  const tail = await sizeOf([w.tail]);
  t.ok(live > 6 * 200_000, `the live tree holds ${live} bytes`);
  const usage = await usageByUser({ store: w.store, rootsByUser: new Map([['bob', [w.live, w.tail, w.live]], ['alice', [w.live]], ['carol', []]]) });
  t.same(usage, [{ user: 'alice', bytes: live }, { user: 'bob', bytes: live + tail }, { user: 'carol', bytes: 0 }]);
});

t.test('a block a save stores again while the collection runs is kept, though no root held names it', async (t) => {
  const w = await world(t);
  // A leaf of the unnamed import, in a sealed arena that the plan deletes.
  const { readLeaf, walk } = await import('../../../appliance/snapshot/index.js');
  let leaf: { score: Score; data: Buffer } | undefined;
  for await (const it of walk(w.store, w.interrupted)) {
    if (it.entry.kind === 'file') { const data = (await readLeaf(w.store, it.entry.score, it.entry.size, 65536, 0))!; leaf = { score: (await w.store.put(3, data)), data }; break; }
  }
  const report = await collectGarbage({
    store: w.store, log: new MemoryLog(), bytesPerSecond: fast, maxUnusedFraction: 0, minArenaGarbageFraction: 0,
    // A save running meanwhile writes the same bytes (a dedup hit) before it names its tree.
    roots: async () => { await w.store.put(3, leaf!.data); return { roots: [w.live, w.tail], scores: [] }; },
  });
  t.ok(report.freedBytes > 0);
  t.ok((await w.store.get(leaf!.score)).equals(leaf!.data), 'the block the save reused is still here');
  await t.rejects(w.store.getBlock(w.interrupted), { code: 'COLONY_NOT_FOUND' }, 'the rest of that import is gone');
});
