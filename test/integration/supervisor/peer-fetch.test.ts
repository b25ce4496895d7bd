// Spawn anywhere, load lazily: a name whose blocks are only on A is spawned on B (lazy, so
// B pulls nothing in bulk), and a read over 9P fetches the blocks it needs from A through
// the supervisor's PeerBlockSource. With A gone, a read of a block B never fetched is EIO
// to the 9P client at once (no connected member to ask), not a hang.
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import type { PeerBlockSource } from '../../../appliance/peer/fetch-source.js';
import { importDirectory } from '../../../appliance/snapshot/index.js';
import { tmpDir } from '../../helpers/tmp.js';
import { ctl, pairNodes, read9p, startedNode, until } from './grid-pair.js';

t.test('B reads over 9P a file whose blocks only A has; with A stopped, an unread file is EIO', async (t) => {
  const a = await startedNode(t);
  const b = await startedNode(t, { replication: 'lazy', fetchTimeoutSeconds: 30 });
  await pairNodes(a, b);

  const src = await tmpDir(t);
  const one = randomBytes(300_000);
  const two = randomBytes(200_000);
  const three = randomBytes(100_000);
  await mkdir(join(src, 'dir'));
  await writeFile(join(src, 'one.bin'), one);
  await writeFile(join(src, 'dir', 'two.bin'), two);
  await writeFile(join(src, 'three.bin'), three);
  const { root } = await importDirectory(a.sup.store!, src);
  await a.sup.store!.sync();
  // The name is registered on B itself (a local name is visible at once), so this test is
  // about the reads alone; how B learns a peer's name is complete is peer-names.test.ts.
  await b.sup.catalog!.registerName({ owner: 'admin', name: 'tree', root });
  t.notOk(await b.sup.store!.has(root), 'B does not hold the root');

  t.match(await ctl(b, 'spawn tree'), /aname: env\/tree\//, 'B spawns it');
  const got = await read9p(b, 'tree', 'one.bin');
  t.ok(got.equals(one), `the bytes read on B are A's (${got.length} bytes)`);
  const source = b.sup.source as PeerBlockSource;
  const fetched = source.stats().fetched;
  t.ok(fetched > 0, `B fetched ${fetched} blocks from A on demand`);
  t.ok(await b.sup.store!.has(root), 'and stored them (the root among them)');

  await a.sup.stop();
  await until(() => b.sup.peers!.connectedMembers().length === 0, 'B seeing A gone');
  const began = Date.now();
  const err = await read9p(b, 'tree', 'dir/two.bin').then(() => undefined, (e: unknown) => e as Error);
  t.match(err?.message, /EIO|input\/output/i, `an unread file is EIO (${Date.now() - began} ms, fetch timeout 30 s): ${err?.message}`);
  const err3 = await read9p(b, 'tree', 'three.bin').then(() => undefined, (e: unknown) => e as Error);
  t.match(err3?.message, /Tread: EIO/, `a file in a directory B holds: its read is EIO: ${err3?.message}`);
  t.equal(source.stats().fetched, fetched, 'nothing more came');
  t.ok((await read9p(b, 'tree', 'one.bin')).equals(one), 'what B fetched before still reads');
});
