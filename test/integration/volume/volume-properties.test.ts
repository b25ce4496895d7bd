// The volume's promises, one test each: writes spill past the cache, save is
// point-in-time, spawn is O(1), open-but-unlinked files live on, POSIX permissions hold.
import { randomBytes } from 'node:crypto';
import { mkdir, truncate, writeFile, link } from 'node:fs/promises';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { exportDirectory, importDirectory } from '../../../appliance/snapshot/index.js';
import type { BlockStore } from '../../../appliance/store/index.js';
import { ROOT_INO, Volume } from '../../../appliance/volume/index.js';
import { manifest } from '../../helpers/manifest.js';
import { tmpDir, tmpStore } from '../../helpers/tmp.js';

const root = { uid: 0, gid: 0 };
const alice = { uid: 1000, gid: 1000 };

async function volumeOf(t: Test, build: (dir: string) => Promise<void>, cacheBytes?: number) {
  const base = await tmpDir(t);
  const src = join(base, 'src');
  await mkdir(src);
  await build(src);
  const { store } = await tmpStore(t);
  const { root: score } = await importDirectory(store, src);
  return { base, src, store, score, volume: await Volume.open(store, score, cacheBytes ? { cacheBytes } : {}) };
}

t.test('writing ten times the cache succeeds: dirty data spills into the store', async (t) => {
  const { volume, store, base } = await volumeOf(t, async () => {}, 1 << 20);
  const ino = await volume.create(root, ROOT_INO, 'big', 'file', 0o644, 0);
  const data = randomBytes(10 << 20);
  for (let off = 0; off < data.length; off += 128 << 10) await volume.write(root, ino, off, data.subarray(off, off + (128 << 10)));
  const st = volume.stats();
  t.ok(st.dirtyBytes <= 1 << 20, `dirty data in memory (${st.dirtyBytes}) stays within the 1 MiB cache`);
  t.ok(st.spilledLeaves >= 100, `${st.spilledLeaves} leaves spilled`);
  t.ok((await volume.read(ino, 0, data.length)).equals(data), 'everything reads back');
  const { root: saved } = await volume.save();
  const out = join(base, 'out');
  await exportDirectory(store, saved, out);
  const { readFile } = await import('node:fs/promises');
  t.ok((await readFile(join(out, 'big'))).equals(data), 'and the saved snapshot holds it');
});

t.test('save is point-in-time: writes issued after save() starts are not in the snapshot', async (t) => {
  const { volume, store, base } = await volumeOf(t, async (src) => { await writeFile(join(src, 'f'), Buffer.alloc(500_000, 1)); });
  const ino = (await volume.resolvePath('f')).ino;
  await volume.write(root, ino, 0, Buffer.alloc(100_000, 2));
  const saving = volume.save({ comment: 'pit' });
  // These run while the save is writing blocks.
  const later = [volume.write(root, ino, 50_000, Buffer.alloc(300_000, 3)), volume.create(root, ROOT_INO, 'after', 'file', 0o644, 0)];
  const { root: saved } = await saving;
  await Promise.all(later);
  const out = join(base, 'out');
  await exportDirectory(store, saved, out);
  const { readFile } = await import('node:fs/promises');
  const got = await readFile(join(out, 'f'));
  const want = Buffer.concat([Buffer.alloc(100_000, 2), Buffer.alloc(400_000, 1)]);
  t.ok(got.equals(want), 'the saved file has exactly the data from before the save');
  t.same(Object.keys(await manifest(out)).sort(), ['.', 'f'], 'a file created during the save is not in it');
  const live = await volume.read(ino, 0, 500_000);
  t.equal(live[60_000], 3, 'the live volume has the later write');
  const { root: second } = await volume.save();
  const out2 = join(base, 'out2');
  await exportDirectory(store, second, out2);
  t.ok((await readFile(join(out2, 'f'))).equals(live), 'the next save has it too');
  t.ok((await manifest(out2)).after, 'and the file created meanwhile');
});

t.test('opening a volume reads one block, whatever the snapshot size', async (t) => {
  const count = async (store: BlockStore, fn: () => Promise<unknown>) => {
    let n = 0;
    const orig = store.getBlock.bind(store);
    store.getBlock = async (s) => { n++; return orig(s); };
    try { await fn(); } finally { store.getBlock = orig; }
    return n;
  };
  const small = await volumeOf(t, async (src) => { await writeFile(join(src, 'one'), 'x'); });
  const big = await volumeOf(t, async (src) => {
    for (let d = 0; d < 20; d++) {
      await mkdir(join(src, `d${d}`));
      for (let f = 0; f < 100; f++) await writeFile(join(src, `d${d}`, `f${f}`), `file ${d}/${f}\n`);
    }
    await writeFile(join(src, 'sparse'), '');
    await truncate(join(src, 'sparse'), 2 ** 31);
  });
  t.equal(await count(small.store, () => Volume.open(small.store, small.score)), 1);
  t.equal(await count(big.store, () => Volume.open(big.store, big.score)), 1);
});

t.test('an unlinked file stays readable and writable while it is open', async (t) => {
  const { volume } = await volumeOf(t, async (src) => { await writeFile(join(src, 'f'), 'still here'); });
  const ino = (await volume.resolvePath('f')).ino;
  await volume.open(root, ino, 2);
  await volume.unlink(root, ROOT_INO, 'f', false);
  await t.rejects(volume.lookup(root, ROOT_INO, 'f'), { code: 'COLONY_NOT_FOUND' });
  t.equal((await volume.read(ino, 0, 100)).toString(), 'still here');
  await volume.write(root, ino, 0, Buffer.from('STILL'));
  t.equal((await volume.getattr(ino)).nlink, 0);
  volume.release(ino);
  await t.rejects(volume.getattr(ino), { code: 'COLONY_NOT_FOUND' });
});

t.test('permissions are enforced for a non-root caller', async (t) => {
  const { volume } = await volumeOf(t, async (src) => {
    await writeFile(join(src, 'rootfile'), 'mine');
    await mkdir(join(src, 'tmp'), { mode: 0o777 });
  });
  await volume.setattr(root, (await volume.resolvePath('tmp')).ino, { mode: 0o1777 });
  const rf = (await volume.resolvePath('rootfile')).ino;
  await t.rejects(volume.open(alice, rf, 1), { code: 'COLONY_PERMISSION', posix: 'EACCES' }, 'no write to a 644 root file');
  await volume.open(alice, rf, 0);
  await t.rejects(volume.create(alice, ROOT_INO, 'x', 'file', 0o644, 1000), { code: 'COLONY_PERMISSION', posix: 'EACCES' }, 'no create in a 755 root dir');
  await t.rejects(volume.setattr(alice, rf, { mode: 0o777 }), { code: 'COLONY_PERMISSION', posix: 'EPERM' }, 'only the owner chmods');
  await t.rejects(volume.setattr(alice, rf, { uid: 1000 }), { code: 'COLONY_PERMISSION', posix: 'EPERM' }, 'only root chowns');
  await t.rejects(volume.setattr(alice, rf, { mtime: 5n }), { code: 'COLONY_PERMISSION', posix: 'EPERM' }, 'only the owner sets explicit times');
  const tmp = (await volume.resolvePath('tmp')).ino;
  const mine = await volume.create(alice, tmp, 'alices', 'file', 0o600, 1000);
  t.equal((await volume.getattr(mine)).uid, 1000);
  await volume.create(root, tmp, 'roots', 'file', 0o666, 0);
  await t.rejects(volume.unlink(alice, tmp, 'roots', false), { code: 'COLONY_PERMISSION', posix: 'EPERM' }, 'the sticky bit protects other users\' files');
  await volume.unlink(alice, tmp, 'alices', false);
  await t.rejects(volume.create(alice, tmp, 'dev', 'char', 0o600, 1000, { major: 1, minor: 3 }), { code: 'COLONY_PERMISSION', posix: 'EPERM' }, 'only root makes devices');
});

t.test('editing a hard-linked file through one name changes every name, across a save', async (t) => {
  const { volume, store, base } = await volumeOf(t, async (src) => {
    await mkdir(join(src, 'a'));
    await mkdir(join(src, 'b'));
    await writeFile(join(src, 'a/x'), 'original');
    await link(join(src, 'a/x'), join(src, 'b/y'));
  });
  const x = (await volume.resolvePath('a/x')).ino;
  t.equal((await volume.getattr(x)).nlink, 2, 'the link count comes from the snapshot');
  await volume.write(root, x, 0, Buffer.from('CHANGED!'));
  t.equal((await volume.read((await volume.resolvePath('b/y')).ino, 0, 100)).toString(), 'CHANGED!');
  const { root: saved } = await volume.save();
  const out = join(base, 'out');
  await exportDirectory(store, saved, out);
  const m = await manifest(out);
  t.match(m['b/y'], /link=a\/x/, 'the two names are still one file');
  const { readFile } = await import('node:fs/promises');
  t.equal(await readFile(join(out, 'b/y'), 'utf8'), 'CHANGED!');
});

t.test('a corrupt block in the base is an error, never wrong bytes', async (t) => {
  const { volume, store } = await volumeOf(t, async (src) => { await writeFile(join(src, 'f'), randomBytes(200_000)); });
  const ino = (await volume.resolvePath('f')).ino;
  const orig = store.getBlock.bind(store);
  store.getBlock = async () => { const { corruptBlock } = await import('../../../appliance/errors.js'); throw corruptBlock('b3:…', 'test'); };
  t.teardown(() => { store.getBlock = orig; });
  await t.rejects(volume.read(ino, 0, 1000), { code: 'COLONY_CORRUPT_BLOCK' });
});
