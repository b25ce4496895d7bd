// NameCompleteness.makeWhole: before a tree saved here is named, its closure is made whole
// in the local store (a lazy node's environment loaded only what it read). Skipped when the
// base is whole here; a block that cannot be fetched rejects, and nothing is marked held.
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import type { NameRecord } from '../../../appliance/catalog/index.js';
import { ColonyError, isColonyError } from '../../../appliance/errors.js';
import { closureProgress, NameCompleteness, type Fetcher } from '../../../appliance/grid/name-visibility.js';
import { silentLog } from '../../../appliance/log.js';
import { importDirectory } from '../../../appliance/snapshot/index.js';
import { formatScore, type BlockStore, type Score } from '../../../appliance/store/index.js';
import { tmpDir, tmpStore } from '../../helpers/tmp.js';

const rec = (name: string, origin: string, root: Score): NameRecord =>
  ({ owner: 'alice', name, root, created: '2026-12-07T00:00:00.000Z', origin, comment: '', meta: {} });

/** A fetcher over `local` that copies misses from `far` (a peer's store), counting what it does. */
function fetcherOf(local: BlockStore, far: BlockStore | undefined) {
  const calls = { gets: 0, fetchMany: 0, fetched: 0 };
  const copy = async (s: Score) => {
    if (!far) throw new ColonyError('COLONY_IO', 'no member peer is connected');
    const b = await far.getBlock(s);
    await local.putVerified(b.type, b.data, s);
    calls.fetched++;
  };
  const fetcher: Fetcher = {
    async getBlock(s) {
      calls.gets++;
      try { return await local.getBlock(s); } catch (err) { if (!isColonyError(err, 'COLONY_NOT_FOUND')) throw err; }
      await copy(s);
      return local.getBlock(s);
    },
    async fetchMany(scores) {
      calls.fetchMany++;
      const held = await local.hasMany(scores);
      let n = 0;
      for (const [i, s] of scores.entries()) if (!held[i]) { await copy(s); n++; }
      return n;
    },
    sync: () => local.sync(),
  };
  return { fetcher, calls };
}

async function farTree(t: Test) {
  const { store: far } = await tmpStore(t);
  const dir = await tmpDir(t);
  await mkdir(join(dir, 'd'));
  for (let i = 0; i < 6; i++) await writeFile(join(dir, 'd', `f${i}`), randomBytes(100_000));
  const { root } = await importDirectory(far, dir);
  return { far, root };
}

t.test('a tree whose blocks are on a peer: every missing block is fetched, synced, and the root is then held', async (t) => {
  const { far, root } = await farTree(t);
  const { store } = await tmpStore(t);
  const names: NameRecord[] = [rec('base', 'node-far', root)];
  const cache = new NameCompleteness({ store, names: () => names, localOrigin: 'node-here', log: silentLog });
  t.teardown(() => cache.stop());
  const { fetcher, calls } = fetcherOf(store, far);
  cache.fetchThrough(fetcher);
  const total = (await closureProgress(far, root)).total!;

  t.same(await cache.holdsLocally([formatScore(root)]), [], 'before: not held here');
  // The saved tree is the base itself here (nothing changed): all of it is elsewhere.
  const r = await cache.makeWhole(root, root);
  t.same(r, { walked: true, blocks: total, fetched: calls.fetched }, `walked ${total} blocks, fetched ${calls.fetched}`);
  const held = await closureProgress(store, root);
  t.equal(held.local, total, `the local store holds the whole closure (${held.local} of ${total})`);
  t.ok(calls.fetchMany >= 1, 'leaves came in batches');
  t.same(cache.holdsLocally([formatScore(root)]), [formatScore(root)], 'and the node now says it holds it');

  const again = calls.fetched;
  t.same(await cache.makeWhole(root, root), { walked: false, blocks: 0, fetched: 0 }, 'a second save of a held root walks nothing');
  t.equal(calls.fetched, again, 'and fetches nothing');
});

t.test('a base that is whole here (a local name) skips the walk; no fetcher (one node) skips it too', async (t) => {
  const { far, root } = await farTree(t);
  const { store } = await tmpStore(t);
  const names: NameRecord[] = [rec('mine', 'node-here', root)];
  const cache = new NameCompleteness({ store, names: () => names, localOrigin: 'node-here', log: silentLog });
  t.teardown(() => cache.stop());
  const saved = Buffer.alloc(32, 9) as Score;
  t.same(await cache.makeWhole(saved, root), { walked: false, blocks: 0, fetched: 0 }, 'no fetcher: nothing to do');
  const { fetcher, calls } = fetcherOf(store, far);
  cache.fetchThrough(fetcher);
  const saved2 = Buffer.alloc(32, 10) as Score;
  t.same(await cache.makeWhole(saved2, root), { walked: false, blocks: 0, fetched: 0 }, 'the base is a local name: the new tree is its blocks plus those just written');
  t.same(calls, { gets: 0, fetchMany: 0, fetched: 0 }, 'no block read or fetched');
});

t.test('a block no peer serves: the save is refused (COLONY_IO) and the root is not held', async (t) => {
  const { far, root } = await farTree(t);
  const { store } = await tmpStore(t);
  // Only the tree blocks are here (the root, directories, pointers): the leaves are not.
  const { fetcher: copier } = fetcherOf(store, far);
  for await (const s of (await import('../../../appliance/snapshot/index.js')).closure(copier, root)) void s;
  const before = await closureProgress(store, root);
  t.ok(before.total !== undefined && before.local < before.total, `here: ${before.local} of ${before.total}`);
  const names: NameRecord[] = [rec('base', 'node-far', root)];
  const cache = new NameCompleteness({ store, names: () => names, localOrigin: 'node-here', log: silentLog });
  t.teardown(() => cache.stop());
  const { fetcher, calls } = fetcherOf(store, undefined); // the peer is gone
  cache.fetchThrough(fetcher);
  await t.rejects(cache.makeWhole(root, root), { code: 'COLONY_IO', message: /not all here.*nothing was named/ });
  t.equal(calls.fetched, 0, 'nothing fetched');
  t.same(cache.holdsLocally([formatScore(root)]), [], 'and the root is not said to be held');
});
