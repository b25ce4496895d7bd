// No name before its blocks, through the grid and the console: a name replicated from
// another node whose blocks are not all here is listed apart by `scores` ("pending: blocks
// arriving", then "pending: N of M blocks") and refused by `spawn`; once its last block
// arrives it is an ordinary name. Local names never wait.
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { run } from '../../../appliance/console/interpreter.js';
import { Grid, NameCompleteness } from '../../../appliance/grid/index.js';
import { silentLog } from '../../../appliance/log.js';
import { closure, DATA, importDirectory } from '../../../appliance/snapshot/index.js';
import { tmpDir, tmpStore } from '../../helpers/tmp.js';
import { openCatalog } from '../catalog/helpers.js';
import { makeTree, openWorld } from './helpers.js';

t.test('a replicated name is pending until its blocks are local', async (t) => {
  const world = await openWorld(t);
  // Node B saves alice/far in its own store and its catalog event replicates here.
  const { store: far } = await tmpStore(t);
  const src = await tmpDir(t);
  await makeTree(join(src, 'far'));
  await writeFile(join(src, 'far', 'only-on-b.bin'), randomBytes(100_000)); // leaves this store lacks
  const root = (await importDirectory(far, join(src, 'far'), { xattrs: false })).root;
  const { catalog: b } = await openCatalog(t, undefined, { nodeId: 'node-b' });
  await b.addUser({ name: 'alice', role: 'user' });
  await b.registerName({ owner: 'alice', name: 'far', root });
  await world.catalog.applyRemote(await b.eventsSince({}));

  await world.grid.close();
  const names = new NameCompleteness({ store: world.store, names: () => world.catalog.allNames(), localOrigin: world.catalog.nodeId, log: silentLog });
  const grid = await Grid.open({ data: world.data, store: world.store, catalog: world.catalog, limits: { checkpointMs: 0 }, names });
  t.teardown(async () => { await grid.close(); await names.stop(); });

  grid.scores('alice');
  await names.refresh();
  t.same(grid.scores('alice').map((r) => r.name).sort(), ['debian', 'plain'], 'local names are visible');
  t.same(grid.pendingScores('alice').map((p) => [p.record.name, p.progress]), [['far', { local: 0 }]]);
  let reply = await run(grid, 'alice', 'scores');
  t.match(reply.output, /PENDING[^\n]*\nalice\/far .*pending: blocks arriving/);
  await t.rejects(grid.spawn('alice', 'far', { cache: 'ram' }), { code: 'COLONY_NOT_FOUND', message: /alice\/far is not here yet: its blocks are still arriving \(pending: blocks arriving\)/ });

  // Everything but one leaf arrives: the size is known now.
  const blocks: Array<{ type: number; data: Buffer }> = [];
  for await (const s of closure(far, root)) { const b = await far.getBlock(s); blocks.push({ type: b.type, data: Buffer.from(b.data) }); }
  const lastLeaf = blocks.findLastIndex((b) => b.type === DATA && b.data.length > 1000 && new Set(b.data.subarray(0, 64)).size > 8); // random: not held here
  for (const [i, blk] of blocks.entries()) if (i !== lastLeaf) await world.store.put(blk.type, blk.data);
  await world.store.sync();
  await names.refresh();
  reply = await run(grid, 'alice', 'scores');
  t.match(reply.output, new RegExp(`alice/far .*pending: ${blocks.length - 1} of ${blocks.length} blocks`));
  await t.rejects(grid.spawn('alice', 'far', { cache: 'ram' }), { code: 'COLONY_NOT_FOUND' });

  await world.store.put(blocks[lastLeaf]!.type, blocks[lastLeaf]!.data);
  await world.store.sync();
  await names.refresh();
  t.same(grid.scores('alice').map((r) => r.name).sort(), ['debian', 'far', 'plain']);
  t.same(grid.pendingScores('alice'), []);
  t.notMatch((await run(grid, 'alice', 'scores')).output, /pending/);
  const spawned = await grid.spawn('alice', 'far', { cache: 'ram' });
  t.equal(spawned.env.name, 'far', 'complete: spawns');
});

t.test('a name whose blocks came first spawns at once: spawn looks again before refusing', async (t) => {
  const world = await openWorld(t);
  const { catalog: b } = await openCatalog(t, undefined, { nodeId: 'node-b' });
  await b.addUser({ name: 'alice', role: 'user' });
  await b.registerName({ owner: 'alice', name: 'copy', root: world.roots.plain }); // its blocks are all here
  await world.catalog.applyRemote(await b.eventsSince({}));
  await world.grid.close();
  const names = new NameCompleteness({ store: world.store, names: () => world.catalog.allNames(), localOrigin: world.catalog.nodeId, log: silentLog });
  const grid = await Grid.open({ data: world.data, store: world.store, catalog: world.catalog, limits: { checkpointMs: 0 }, names });
  t.teardown(async () => { await grid.close(); await names.stop(); });
  const spawned = await grid.spawn('alice', 'copy', { cache: 'ram' });
  t.equal(spawned.env.base.name, 'copy');
  t.same(grid.pendingScores('alice'), []);
});

