// Lazy replication between two real supervisors: B (peer.replication "lazy") pulls no blocks
// in bulk. A's name becomes visible on B once A is connected and says, over /colony/names/1,
// that it holds the name's whole closure; B then spawns it and a read over 9P fetches only
// the blocks it touches. With A gone the name is pending again; A back, visible again.
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { closureProgress } from '../../../appliance/grid/index.js';
import type { PeerBlockSource } from '../../../appliance/peer/index.js';
import { importDirectory } from '../../../appliance/snapshot/index.js';
import { tmpDir } from '../../helpers/tmp.js';
import { ctl, freePort, pairNodes, read9p, startedNode, until, write9p } from './grid-pair.js';

t.test('lazy B: a name shows while A holds it and is connected; one small file costs a few blocks', async (t) => {
  const portA = await freePort();
  let a = await startedNode(t, { listen: [`127.0.0.1:${portA}`] });
  const b = await startedNode(t, { replication: 'lazy' });

  const src = await tmpDir(t);
  const small = Buffer.from('a small file read on B\n');
  await writeFile(join(src, 'small.txt'), small);
  await mkdir(join(src, 'bulk'));
  const bulk = Array.from({ length: 24 }, () => randomBytes(150_000));
  for (const [i, data] of bulk.entries()) await writeFile(join(src, 'bulk', `f${i}.bin`), data);
  const { root } = await importDirectory(a.sup.store!, src);
  await a.sup.store!.sync();
  await a.sup.catalog!.registerName({ owner: 'admin', name: 'tree', root });
  const closure = await closureProgress(a.sup.store!, root);

  await pairNodes(a, b);
  await until(() => b.sup.catalog!.allNames().some((r) => r.name === 'tree'), 'the name reaching B');
  await until(() => b.sup.grid!.scores('admin').some((r) => r.name === 'tree'), 'the name visible on B');
  t.ok(b.sup.namesProtocol!.stats().asked >= 1 && a.sup.namesProtocol!.stats().served >= 1, 'B asked A over /colony/names/1');
  const before = await closureProgress(b.sup.store!, root);
  t.equal(before.local, 0, `B holds none of the ${closure.total} blocks, and shows the name: A is connected and holds them`);

  t.match(await ctl(b, 'spawn tree'), /aname: env\/tree\//, 'B spawns it');
  const source = b.sup.source as PeerBlockSource;
  t.ok((await read9p(b, 'tree', 'small.txt')).equals(small), 'the small file reads on B');
  const fetched = source.stats().fetched;
  t.ok(fetched > 0 && fetched * 10 <= closure.total!, `reading one small file fetched ${fetched} blocks of a closure of ${closure.total}`);
  t.ok((await closureProgress(b.sup.store!, root)).local <= fetched, 'block replication pulled nothing in bulk');

  // A stops: the name is pending again on B (and a new spawn of it is refused).
  await a.sup.stop();
  await until(() => b.sup.peers!.connectedMembers().length === 0, 'B seeing A gone');
  t.notOk(b.sup.grid!.scores('admin').some((r) => r.name === 'tree'), 'with A gone, B does not show the name');
  t.ok(b.sup.grid!.pendingScores('admin').some((p) => p.record.name === 'tree'), 'it is listed pending');
  await t.rejects(b.sup.grid!.spawn('admin', 'tree', { cache: 'ram', as: 'tree2' }), { code: 'COLONY_NOT_FOUND', message: /not here yet/ }, 'spawning it again is refused');
  await t.rejects(read9p(b, 'tree', 'bulk/f3.bin'), /EIO/, 'the running environment: a read of what B lacks is EIO');

  // A back at the same address: B redials, asks again, and shows it again.
  a = await startedNode(t, { listen: [`127.0.0.1:${portA}`] }, a.data);
  await until(() => b.sup.grid!.scores('admin').some((r) => r.name === 'tree'), 'the name visible on B again');
  t.pass('A reconnected and said it holds the tree: visible again');
  t.ok((await read9p(b, 'tree', 'bulk/f3.bin')).equals(bulk[3]!), 'and the read that failed now reads (a failure is not remembered)');
});

// A save on a lazy node: the environment read only what it touched, so the saved tree's
// closure is partly on A. The save fetches the rest before it names the tree, so a name
// saved on B is whole on B, and C (lazy, connected only to B, A gone) can read all of it.
t.test('lazy B saves a change to A\'s tree: B holds the whole closure, and C reading through B alone gets every file', async (t) => {
  const a = await startedNode(t);
  const b = await startedNode(t, { replication: 'lazy' });

  const src = await tmpDir(t);
  await writeFile(join(src, 'small.txt'), 'before\n');
  await mkdir(join(src, 'bulk'));
  const bulk = Array.from({ length: 12 }, () => randomBytes(150_000));
  for (const [i, data] of bulk.entries()) await writeFile(join(src, 'bulk', `f${i}.bin`), data);
  const { root } = await importDirectory(a.sup.store!, src);
  await a.sup.store!.sync();
  await a.sup.catalog!.registerName({ owner: 'admin', name: 'tree', root });

  await pairNodes(a, b);
  await until(() => b.sup.grid!.scores('admin').some((r) => r.name === 'tree'), 'the name visible on B');
  t.match(await ctl(b, 'spawn tree'), /aname: env\/tree\//, 'B spawns A\'s name');
  const changed = Buffer.from('changed on B\n');
  await write9p(b, 'tree', 'small.txt', changed);
  const source = b.sup.source as PeerBlockSource;
  const fetchedBefore = source.stats().fetched;
  const saved = await b.sup.grid!.save('admin', 'tree', 'tree2');
  const fetchedBySave = source.stats().fetched - fetchedBefore;
  const held = await closureProgress(b.sup.store!, saved.root);
  t.ok(held.total !== undefined && held.local === held.total, `B holds the whole closure of the name it saved (${held.local} of ${held.total} blocks)`);
  t.ok(fetchedBySave > 0, `the save fetched the ${fetchedBySave} blocks B had not read`);
  t.comment(`blocks: ${fetchedBefore} fetched by spawn and reads, ${fetchedBySave} by the save, closure ${held.total}`);

  // A leaves for good; C pairs with B only.
  await a.sup.stop();
  await until(() => b.sup.peers!.connectedMembers().length === 0, 'B seeing A gone');
  const c = await startedNode(t, { replication: 'lazy' });
  await pairNodes(b, c);
  await until(() => c.sup.grid!.scores('admin').some((r) => r.name === 'tree2'), 'tree2 visible on C (B holds it whole)');
  t.match(await ctl(c, 'spawn tree2'), /aname: env\/tree2\//, 'C spawns B\'s name');
  t.ok((await read9p(c, 'tree2', 'small.txt')).equals(changed), 'C reads the changed file');
  for (const [i, data] of bulk.entries()) {
    if (!(await read9p(c, 'tree2', `bulk/f${i}.bin`)).equals(data)) t.fail(`bulk/f${i}.bin differs on C`);
  }
  t.pass(`C read all ${bulk.length} unchanged files through B alone (no EIO)`);
});
