// What a running volume holds beyond its root (volume.held()) is enough for a collection:
// after marking the root and the held blocks and trees, a store that drops everything else
// still serves every byte the volume can read (spilled leaves, files changed during a save,
// a file unlinked while open) and lets a save in flight finish into a whole tree.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { notFound } from '../../../appliance/errors.js';
import { markLive, type ScoreSet } from '../../../appliance/gc/index.js';
import { importDirectory } from '../../../appliance/snapshot/index.js';
import type { BlockSource, BlockStore, Score } from '../../../appliance/store/index.js';
import { ROOT_CRED as C, ROOT_INO, Volume } from '../../../appliance/volume/index.js';
import { tmpDir, tmpStore } from '../../helpers/tmp.js';

const pattern = (n: number, seed: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed * 17) % 253));

/**
 * The store as a collection leaves it: once `collect(live)` is called, a block neither live
 * nor put since then is gone (the real store keeps what is written after a collection
 * begins). Puts can be held at a gate to catch a save half-way.
 */
class Collected implements BlockSource {
  live: ScoreSet | undefined;
  readonly since = new Set<string>();
  puts = 0;
  gate: { after: number; reached: () => void; open: Promise<void> } | undefined;
  /** While set, every read and write waits for it. */
  paused: Promise<void> | undefined;
  constructor(readonly inner: BlockStore) {}
  get maxBlockBytes() { return this.inner.maxBlockBytes; }
  /** Holds every read and write until the function returned is called. */
  pause(): () => void {
    let open!: () => void;
    this.paused = new Promise<void>((r) => { open = r; });
    return () => { this.paused = undefined; open(); };
  }
  async put(type: number, data: Uint8Array): Promise<Score> {
    if (this.paused) await this.paused;
    if (this.gate && ++this.puts === this.gate.after) { this.gate.reached(); await this.gate.open; }
    const s = await this.inner.put(type, data);
    if (this.live) this.since.add(s.toString('hex'));
    return s;
  }
  private kept(s: Score) { return !this.live || this.live.has(s) || this.since.has(s.toString('hex')); }
  async getBlock(s: Score) { if (this.paused) await this.paused; if (!this.kept(s)) throw notFound(`block ${s.toString('hex')} (collected)`); return this.inner.getBlock(s); }
  async get(s: Score) { return (await this.getBlock(s)).data; }
  async has(s: Score) { return this.kept(s) && this.inner.has(s); }
  async hasMany(ss: Score[]) { return Promise.all(ss.map((s) => this.has(s))); }
  sync() { return this.inner.sync(); }
}

async function world(t: Test) {
  const { store } = await tmpStore(t);
  const src = await tmpDir(t);
  await mkdir(join(src, 'sub'));
  await mkdir(join(src, 'moved'));
  const files: Record<string, Buffer> = {
    'keep.bin': pattern(200_000, 1), 'gone.bin': pattern(300_000, 2), 'sub/deep.bin': pattern(150_000, 3), 'moved/x.bin': pattern(100_000, 4),
  };
  for (const [p, b] of Object.entries(files)) await writeFile(join(src, p), b);
  const { root } = await importDirectory(store, src, { xattrs: false });
  await store.sync();
  const col = new Collected(store);
  const vol = await Volume.open(col, root, { cacheBytes: 512 << 10 }); // spills past 384 KiB
  const model = new Map(Object.entries(files));
  return { store, col, vol, root, model };
}

async function put(vol: Volume, path: string, offset: number, data: Buffer, model: Map<string, Buffer>) {
  const parts = path.split('/');
  const dir = parts.length > 1 ? (await vol.resolvePath(parts.slice(0, -1).join('/'))).ino : ROOT_INO;
  let ino: number;
  try { ino = await vol.lookup(C, dir, parts.at(-1)!); } catch { ino = await vol.create(C, dir, parts.at(-1)!, 'file', 0o644, 0); }
  await vol.write(C, ino, offset, data);
  const old = model.get(path) ?? Buffer.alloc(0);
  const next = Buffer.alloc(Math.max(old.length, offset + data.length));
  old.copy(next);
  data.copy(next, offset);
  model.set(path, next);
}

async function readAllFiles(t: Test, vol: Volume, model: Map<string, Buffer>, what: string) {
  for (const [path, bytes] of model) {
    const node = await vol.resolvePath(path);
    const got = await vol.read(node.ino, 0, bytes.length + 1);
    t.ok(got.equals(bytes), `${what}: ${path} reads back whole`);
  }
}

t.test('a fresh volume holds its root only; spilled leaves are held until a save adopts them', async (t) => {
  const { vol, root, model } = await world(t);
  t.same(vol.held(), { roots: [root], scores: [], trees: [] });
  await put(vol, 'new.bin', 0, pattern(1 << 20, 9), model);
  const spilled = vol.heldScores();
  t.ok(spilled.length >= 8, `${spilled.length} spilled leaves held`);
  t.equal(spilled.length, vol.stats().spilledLeaves, 'every spilled leaf, once');
  const { root: saved } = await vol.save();
  t.same(vol.held(), { roots: [saved], scores: [], trees: [] }, 'after the save the new root holds everything');
});

t.test('after a collection that keeps only the root and what the volume holds, every byte still reads', async (t) => {
  const { store, col, vol, model } = await world(t);
  await put(vol, 'new.bin', 0, pattern(1 << 20, 9), model); // spilled
  const gone = await vol.resolvePath('gone.bin');
  await vol.open(C, gone.ino, 0);
  await vol.unlink(C, ROOT_INO, 'gone.bin', false); // open, no name: no tree will hold it
  const goneBytes = model.get('gone.bin')!;
  model.delete('gone.bin');
  await put(vol, 'keep.bin', 70_000, Buffer.alloc(1000, 0xee), model);
  await vol.save();
  await put(vol, 'sub/deep.bin', 0, pattern(500_000, 5), model); // changed after the save: its base is the old tree's
  await vol.rename(C, ROOT_INO, 'moved', ROOT_INO, 'moved2');
  model.set('moved2/x.bin', model.get('moved/x.bin')!);
  model.delete('moved/x.bin');

  // A save begins and stops half-way; the collection marks now.
  let reached!: () => void;
  let open!: () => void;
  const halfway = new Promise<void>((r) => { reached = r; });
  col.puts = 0;
  col.gate = { after: 8, reached, open: new Promise<void>((r) => { open = r; }) };
  const saving = vol.save();
  await halfway;
  const { live } = await markLive(store, vol.held());
  col.live = live;
  vol.budget.clean.clear(); // nothing read from here on may come from the volume's cache
  open();
  const { root: saved } = await saving;

  await readAllFiles(t, vol, model, 'the running volume');
  t.ok((await vol.read(gone.ino, 0, goneBytes.length)).equals(goneBytes), 'the open unlinked file reads back whole');
  const fresh = await Volume.open(col, saved);
  await readAllFiles(t, fresh, model, 'the tree the save finished');
});

t.test('a save in flight keeps the older tree it reads from, even once the file is gone', async (t) => {
  const { store, col, vol, model } = await world(t);
  await put(vol, 'keep.bin', 70_000, Buffer.alloc(1000, 0xa1), model); // changed before the first save's capture
  await vol.read((await vol.resolvePath('keep.bin')).ino, 0, 300_000); // in the cache: the write below needs no store read
  let release = col.pause();
  const first = vol.save(); // the capture is taken before save() returns
  await put(vol, 'keep.bin', 140_000, Buffer.alloc(1000, 0xa2), model); // and after it: not adopted, its base stays the original tree
  release();
  await first;
  release = col.pause();
  const second = vol.save(); // captures keep.bin over the original tree's pointer block, which no root holds now
  await vol.unlink(C, ROOT_INO, 'keep.bin', false); // not open: the inode goes, only the save's capture names that tree
  const { live } = await markLive(store, vol.held());
  col.live = live;
  vol.budget.clean.clear();
  release();
  const { root } = await second;
  const fresh = await Volume.open(col, root);
  // The capture came before the unlink, so the saved tree has keep.bin, built over the original tree.
  await readAllFiles(t, fresh, model, 'the second save');
});
