// NameCompleteness in lazy mode: a name is visible when its closure is local or when
// `elsewhere` (connected peers over /colony/names/1) holds it; what it tells peers
// (holdsLocally) is only what the local store holds, never what it heard.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import type { NameRecord } from '../../../appliance/catalog/index.js';
import { NameCompleteness } from '../../../appliance/grid/name-visibility.js';
import { silentLog } from '../../../appliance/log.js';
import { importDirectory } from '../../../appliance/snapshot/index.js';
import { formatScore, type Score } from '../../../appliance/store/index.js';
import { tmpDir, tmpStore } from '../../helpers/tmp.js';

const rec = (name: string, origin: string, root: Score): NameRecord =>
  ({ owner: 'alice', name, root, created: '2026-12-06T00:00:00.000Z', origin, comment: '', meta: {} });

t.test('elsewhere makes a name visible, never "held locally"; a local or walked-complete root is held locally', async (t) => {
  const { store } = await tmpStore(t);
  const dir = await tmpDir(t);
  await writeFile(join(dir, 'f'), 'here\n');
  const { root: hereRoot } = await importDirectory(store, dir);
  await store.sync();
  const farRoot = Buffer.alloc(32, 3) as Score;   // nowhere in this store
  const mineRoot = Buffer.alloc(32, 4) as Score;  // a local name: held by the rule, never walked
  const names = [rec('far', 'node-far', farRoot), rec('copied', 'node-far', hereRoot), rec('mine', 'node-here', mineRoot)];
  const cache = new NameCompleteness({ store, names: () => names, localOrigin: 'node-here', log: silentLog });
  t.teardown(() => cache.stop());
  await cache.refresh();
  const far = formatScore(farRoot);
  let refreshed = 0;
  const held = new Set<string>();
  const names2 = (v: ReturnType<typeof cache.view>) => ({ visible: v.visible.map((r) => r.name), pending: v.pending.map((p) => p.record.name) });

  t.same(names2(cache.view(names)), { visible: ['copied', 'mine'], pending: ['far'] }, 'no elsewhere: only what is here');
  t.same(cache.pendingRoots(), [far], 'what lazy mode asks the peers about');
  cache.consult({ holds: (r) => held.has(r), refresh: async () => { refreshed++; } });
  t.same(names2(cache.view(names)).pending, ['far'], 'a peer that does not say it holds it: still pending');
  held.add(far);
  t.same(names2(cache.view(names)), { visible: ['far', 'copied', 'mine'], pending: [] }, 'a connected peer holds it: visible');
  t.same(cache.holdsLocally([far, formatScore(hereRoot), formatScore(mineRoot)]), [formatScore(hereRoot), formatScore(mineRoot)],
    'told to peers: the walked-complete root and the local name, not what a peer said');
  await cache.refresh();
  t.equal(refreshed, 1, 'refresh asks elsewhere too (spawn calls it before refusing)');
  held.delete(far);
  t.same(names2(cache.view(names)).pending, ['far'], 'the holder gone: pending again');
});
