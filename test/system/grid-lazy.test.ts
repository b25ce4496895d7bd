// Lazy replication between real supervisors in namespaces: B runs with peer.replication
// "lazy", so it pulls no blocks in bulk; it shows A's name while A (connected) holds the
// closure, spawns it, and a 9P read fetches just the blocks it touches from A. With A's
// cable pulled, a read of a block that is not local fails with EIO within
// peer.fetchTimeoutSeconds: it never hangs.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { NinepClient } from '../../appliance/ninep/client.js';
import { tmpDir } from '../helpers/tmp.js';
import { connected, lanUnavailable, pairBoth, spawnOn, startGrid, until, type GridNode } from './fixtures/grid.js';
import { attachEnv, compareOver9P, treeBytes, writeTree } from './fixtures/tree.js';

const skip = lanUnavailable();

async function blocksOf(n: GridNode): Promise<number> {
  const r = await n.exec(['store', 'stats', '--json']);
  if (r.code !== 0) throw new Error(`store stats on ${n.name}: ${r.err}`);
  return (JSON.parse(r.out) as { blocks: number }).blocks;
}

t.test('a lazy node spawns a peer\'s name and reads a file with only part of the closure local', { skip }, async (t) => {
  const scratch = await tmpDir(t, 'colony-grid-lazy-');
  const src = join(scratch, 'src');
  await mkdir(src);
  const tree = await writeTree(src, { small: 150, big: 4, seed: 7 });
  const grid = await startGrid(t, ['a', 'b'], { config: (n) => (n === 'b' ? { peer: { replication: 'lazy', fetchTimeoutSeconds: 3 } } : undefined) });
  const [a, b] = ['a', 'b'].map(grid.node) as [GridNode, GridNode];
  await pairBoth(a, b);
  await connected(b, a);

  const imported = await a.exec(['import', src, 'tree', '--json']);
  t.equal(imported.code, 0, `colony import on A: ${imported.err.trim()}`);
  const closure = (JSON.parse(imported.out) as { stats: { blocksWritten: number } }).stats.blocksWritten;
  await until('B shows admin/tree (held by A)', async () => (await b.shown()).has('admin/tree'), { timeoutMs: 90_000 });
  const before = await blocksOf(b);
  const rxBefore = b.rxBytes();
  t.ok(before < closure / 4, `B shows the name with ${before} blocks in its store (the tree has ${closure} new blocks on A)`);

  const aname = await spawnOn(b, 'tree', 'envb');
  const pick = new Map([...tree].filter(([rel]) => rel === 'big/b0.bin'));
  const r = await compareOver9P(b.sup.socket, aname, pick);
  t.same(r.problems, [], `B reads big/b0.bin (${r.bytes} bytes) over 9P, equal to the source`);
  const after = await blocksOf(b);
  const rx = b.rxBytes() - rxBefore;
  t.ok(after > before && after < closure / 2, `B fetched ${after - before} blocks on demand, not the ${closure} of the closure`);
  t.ok(rx < treeBytes(tree) / 2, `B received ${rx} bytes on the LAN for it (the tree is ${treeBytes(tree)})`);

  // A unreachable (its cable out): a read of a block B lacks is EIO in bounded time, not a hang.
  grid.lan.cut('a');
  const { c, root } = await attachEnv(b.sup.socket, aname);
  try {
    const fid = await c.walkPath(root, 'big/b1.bin').catch(() => undefined);
    let outcome = 'no error';
    const started = Date.now();
    if (fid === undefined) outcome = 'walk failed';
    else {
      await c.open(fid);
      outcome = await c.read(fid, 0, 65536).then(() => 'read succeeded', (err: { errno?: string; code?: string; message: string }) => `${err.code} ${err.message}`);
    }
    t.match(outcome, /COLONY_IO|EIO/, `the read failed with EIO (${outcome}) after ${Math.round((Date.now() - started) / 1000)} s`);
  } finally {
    (c as NinepClient).close();
  }
});
