// Issue 12, findings 6 and 9: deep trees save (iteratively) and mkdir stops at a clear
// depth limit; a big directory lists in O(n) total work; metadata counts against the
// environment's budget, so a flood of names ends in ENOSPC rather than an unbounded heap.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { VolumeBackend } from '../../../appliance/ninep/volume-backend.js';
import { importDirectory } from '../../../appliance/snapshot/index.js';
import { MemoryBlockSource } from '../../../appliance/store/index.js';
import { DIR_DEPTH_MAX, DiskTier, INODE_META_BYTES, ROOT_INO, Volume } from '../../../appliance/volume/index.js';

const root = { uid: 0, gid: 0 };

async function emptyVolume(t: Test, opts: { cacheBytes?: number; maxDepth?: number } = {}) {
  const store = await MemoryBlockSource.create();
  const src = await mkdtemp(join(tmpdir(), 'colony-vol-limits-'));
  t.teardown(() => rm(src, { recursive: true, force: true }));
  const { root: score } = await importDirectory(store, src);
  return { store, volume: await Volume.open(store, score, opts) };
}

/** Makes a chain of `levels` directories under `from`; returns the deepest. */
async function chain(v: Volume, from: number, levels: number): Promise<number> {
  let at = from;
  for (let i = 0; i < levels; i++) at = await v.create(root, at, 'd', 'dir', 0o755, 0);
  return at;
}

// Past the default limit (raised here) to show the walks are iterative; 4000 levels already overflowed the recursive save.
t.test('a 6,000-level tree saves, and the saved root reads back to the bottom', async (t) => {
  const { store, volume } = await emptyVolume(t, { maxDepth: 20_000 });
  const bottom = await chain(volume, ROOT_INO, 6000);
  await volume.create(root, bottom, 'leaf', 'file', 0o644, 0);
  const saved = await volume.save(); // overflowed the call stack (COLONY_INTERNAL) when the walk recursed
  // A change at the bottom reaches the root: the next save (a checkpoint) writes a new tree.
  await volume.create(root, bottom, 'leaf2', 'file', 0o644, 0);
  const again = await volume.save();
  t.not(again.root.toString('hex'), saved.root.toString('hex'), 'the second save saw the change 6,000 levels down');
  const back = await Volume.open(store, again.root, { maxDepth: 20_000 });
  const leaf = await back.resolvePath(`${'d/'.repeat(6000)}leaf2`);
  t.equal(leaf.kind, 'file');
});

t.test('mkdir past the depth limit is ENAMETOOLONG, and so is moving a subtree below it', async (t) => {
  t.equal(DIR_DEPTH_MAX, 4000);
  const { volume } = await emptyVolume(t, { maxDepth: 300 });
  const bottom = await chain(volume, ROOT_INO, 300);
  const err = await volume.create(root, bottom, 'd', 'dir', 0o755, 0).catch((e: unknown) => e);
  t.match(err, { code: 'COLONY_INVALID', posix: 'ENAMETOOLONG', message: /301 directories deep; the limit is 300/ });
  t.ok(await volume.create(root, bottom, 'f', 'file', 0o644, 0), 'a file in the deepest directory is fine');
  // A two-level subtree moved under level 299 would reach 301.
  const top = await volume.create(root, ROOT_INO, 'sub', 'dir', 0o755, 0);
  await chain(volume, top, 1);
  const at299 = (await volume.resolvePath('d/'.repeat(299))).ino;
  const moved = await volume.rename(root, ROOT_INO, 'sub', at299, 'sub').catch((e: unknown) => e);
  t.match(moved, { posix: 'ENAMETOOLONG' });
  await volume.rename(root, ROOT_INO, 'sub', (await volume.resolvePath('d/'.repeat(298))).ino, 'sub');
  t.pass('one level higher it fits');
  await volume.save();
});

t.test("a disk environment's checkpoint of a tree at the default depth limit succeeds", async (t) => {
  // The grid's heap share for a disk environment's leaves and metadata: 32 MiB less a quarter.
  const { volume } = await emptyVolume(t, { cacheBytes: 24 << 20 });
  const dir = await mkdtemp(join(tmpdir(), 'colony-vol-tier-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const tier = await DiskTier.open(dir, { capacityBytes: 64 * volume.blockSize, slotBytes: volume.blockSize });
  t.teardown(() => tier.close());
  volume.budget.attachTier(tier);
  const bottom = await chain(volume, ROOT_INO, DIR_DEPTH_MAX);
  const err = await volume.create(root, bottom, 'd', 'dir', 0o755, 0).catch((e: unknown) => e);
  t.match(err, { posix: 'ENAMETOOLONG' });
  const fd = await volume.createOpen(root, bottom, 'f', 0o644, 0);
  await volume.write(root, fd, 0, Buffer.alloc(100_000, 7));
  await volume.save({ comment: 'checkpoint' });
  await volume.write(root, fd, 0, Buffer.from('again'));
  await volume.save({ comment: 'checkpoint' });
  t.equal((await volume.read(fd, 0, 6)).toString(), 'again\x07');
});

t.test('listing a 20,000-entry directory in 9P pages steps over O(n) entries in all', async (t) => {
  const { volume } = await emptyVolume(t);
  const dir = await volume.create(root, ROOT_INO, 'big', 'dir', 0o755, 0);
  const n = 20_000;
  for (let i = 0; i < n; i++) await volume.create(root, dir, `entry-${String(i).padStart(6, '0')}`, 'dir', 0o755, 0);
  // Remove a stretch, so the listing has holes to step over (and squeezes them out).
  for (let i = 5000; i < 6000; i++) await volume.unlink(root, dir, `entry-${String(i).padStart(6, '0')}`, true);
  const be = new VolumeBackend(volume);
  const c = { uid: 0, gid: 0, uname: 'root' } as never;
  const h = await be.open(c, await be.walk(c, await be.root(), 'big'), 0);
  const before = volume.listingSteps(dir);
  let cookie = 0;
  let pages = 0;
  const names: string[] = [];
  for (; pages < 2 * n; pages++) {
    const page = await be.readdir(c, h, cookie, 8192);
    if (page.length === 0) break;
    const bytes = page.reduce((sum, e) => sum + 24 + Buffer.byteLength(e.name), 0);
    if (bytes > 8192) t.fail(`a page of ${bytes} bytes for a count of 8192`);
    for (const e of page) names.push(e.name);
    cookie = page[page.length - 1]!.cookie;
  }
  t.equal(names.length, n - 1000 + 2);
  t.equal(new Set(names).size, names.length, 'no name twice');
  t.ok(pages > 50, `${pages} pages`);
  const steps = volume.listingSteps(dir) - before;
  // One step per entry (plus one to find each page's end): n per page would be millions.
  t.ok(steps <= n + 2 * pages, `stepped over ${steps} positions`);
});

t.test('inodes and names are charged to the budget; past it new names are ENOSPC, and removing frees room', async (t) => {
  const { volume } = await emptyVolume(t, { cacheBytes: 1 << 20 });
  const dir = await volume.create(root, ROOT_INO, 'many', 'dir', 0o755, 0);
  const start = volume.budget.metaBytes;
  t.ok(start >= 2 * INODE_META_BYTES, 'the root and the new directory are counted');
  let made = 0;
  let err: unknown;
  for (; made < 10_000; made++) {
    try { await volume.create(root, dir, `d${made}`, 'dir', 0o755, 0); } catch (e) { err = e; break; }
  }
  t.match(err, { code: 'COLONY_NO_SPACE', posix: 'ENOSPC' });
  t.ok(made > 500 && made < 1100, `${made} directories fit in 1 MiB`);
  t.ok(volume.budget.grownBytes >= 1 << 20 && volume.budget.grownBytes < (1 << 20) + 2 * INODE_META_BYTES, 'refused once what was made fills the budget');
  t.ok(volume.budget.metaBytes >= volume.budget.grownBytes);
  for (let i = 0; i < 10; i++) await volume.unlink(root, dir, `d${i}`, true);
  t.ok(volume.budget.grownBytes < 1 << 20, 'unlinking gave the room back');
  await volume.create(root, dir, 'again', 'file', 0o644, 0);
  t.pass('a new name fits again');
  // Data still works in what is left: writes spill to the store instead of failing.
  const fd = await volume.createOpen(root, dir, 'data', 0o644, 0);
  await volume.write(root, fd, 0, Buffer.alloc(2 << 20, 1));
  t.equal((await volume.read(fd, (2 << 20) - 3, 3)).toString('hex'), '010101');
  // Metadata takes at most half of the budget from dirty data, so writes are not all write-through.
  t.ok(volume.budget.dirtyBytes <= (1 << 19) + volume.blockSize, `dirty data stays within what metadata leaves (${volume.budget.dirtyBytes})`);
  t.ok(volume.stats().cleanBytes === 0 || volume.stats().cleanBytes + volume.budget.metaBytes <= 1 << 20, 'the clean cache gave way to metadata');
});

t.test("looking up a large base counts in the budget but is never refused, and does not use up the environment's room for new names", async (t) => {
  const store = await MemoryBlockSource.create();
  const src = await mkdtemp(join(tmpdir(), 'colony-vol-limits-'));
  t.teardown(() => rm(src, { recursive: true, force: true }));
  await mkdir(join(src, 'base'));
  for (let i = 0; i < 1500; i++) await writeFile(join(src, 'base', `f${i}`), '');
  const volume = await Volume.open(store, (await importDirectory(store, src)).root, { cacheBytes: 1 << 20 });
  const dir = (await volume.resolvePath('base')).ino;
  for (let i = 0; i < 1500; i++) await volume.lookup(root, dir, `f${i}`);
  t.ok(volume.budget.metaBytes > 1 << 20, `the base's inodes and names are counted (${volume.budget.metaBytes})`);
  t.equal(volume.budget.grownBytes, 0, "none of it is the environment's own");
  // Renaming base names moves their charge; it does not grow the environment's share.
  for (let i = 0; i < 100; i++) await volume.rename(root, dir, `f${i}`, ROOT_INO, `g${i}`);
  t.equal(volume.budget.grownBytes, 0);
  await volume.create(root, dir, 'new', 'file', 0o644, 0);
  t.ok(volume.budget.grownBytes > 0, 'a new name fits and is counted');
  // A raised allowance (metaBytes) lets more be made than cacheBytes.
  const roomy = await Volume.open(store, (await importDirectory(store, src)).root, { cacheBytes: 1 << 20, metaBytes: 4 << 20 });
  for (let i = 0; i < 2000; i++) await roomy.create(root, ROOT_INO, `n${i}`, 'file', 0o644, 0);
  t.ok(roomy.budget.grownBytes > 1 << 20);
});
