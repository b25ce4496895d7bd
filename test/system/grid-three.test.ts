// Three real supervisors A, B, C in network namespaces on one LAN, and a fourth, D, that
// nobody paired. A pairs B and C (both sides); B and C are never paired by an admin, and
// connect because A's pairing records replicate to them (the introducer rule). A tree
// imported on A is shown on B and C only once its whole closure is in their own stores,
// spawns there with every byte equal to the source; a change saved on C spawns on A; D's
// dials are refused and D never learns a name.
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { tmpDir } from '../helpers/tmp.js';
import { connected, lanUnavailable, pairBoth, peersOf, spawnOn, startGrid, until, watchName } from './fixtures/grid.js';
import { compareOver9P, treeBytes, writeOver9P, writeTree } from './fixtures/tree.js';

const skip = lanUnavailable();

t.test('three supervisors: replicate, spawn anywhere, save on C and spawn on A, refuse an unpaired D', { skip }, async (t) => {
  const scratch = await tmpDir(t, 'colony-grid-three-');
  const src = join(scratch, 'src');
  await mkdir(src);
  const tree = await writeTree(src, { small: 300, big: 6, seed: 3 });
  const grid = await startGrid(t, ['a', 'b', 'c', 'd']);
  const [a, b, c, d] = ['a', 'b', 'c', 'd'].map(grid.node);

  // A pairs B and C, each pairing A back; nobody pairs B with C, nor anyone with D.
  const [ab, ba] = await pairBoth(a!, b!);
  t.equal(ab, ba, 'A and B show the same pairing code');
  const [ac, ca] = await pairBoth(a!, c!);
  t.equal(ac, ca, 'A and C show the same pairing code');
  await connected(a!, b!);
  await connected(a!, c!);
  await connected(b!, c!);
  t.pass('B and C connected with no admin pairing them: A\'s pairing records replicated');
  // D's admin pairs A on D's side only: D dials A, and A refuses it.
  await d!.line(`pair ${a!.id} ${a!.peerAddress}`);
  const refused = await until('A lists D as refused', async () => (await peersOf(a!)).find((r) => r.id === d!.id && !r.paired && r.state === 'refused'));
  t.ok(refused, 'A\'s peers shows D refused (not paired)');

  // Import on A while B and C watch the name: shown only with every block local.
  const watch = watchName([b!, c!], 'tree', scratch);
  const imported = await a!.exec(['import', src, 'tree']);
  t.equal(imported.code, 0, `colony import on A: ${imported.out.trim()} ${imported.err.trim()}`);
  await watch.done(180_000);
  for (const [name, s] of watch.seen) {
    t.ok(s.shownAt >= 0, `${name} shows admin/tree (after ${s.pendingLooks} looks at it pending, last ${JSON.stringify(s.lastPending)})`);
    t.equal(s.exportOk, true, `${name}: exporting tree from its own store the moment it was shown worked: ${s.exportMessage}`);
    if (s.lastPending?.total !== undefined) t.ok(s.lastPending.local < s.lastPending.total, `${name}: every pending look had blocks missing`);
  }

  // Spawn on B and C and read every file over 9P.
  const anames = new Map<string, string>();
  for (const n of [b!, c!]) {
    const aname = await spawnOn(n, 'tree', `env${n.name}`);
    anames.set(n.name, aname);
    const r = await compareOver9P(n.sup.socket, aname, tree);
    t.same(r.problems, [], `${n.name}: all ${r.files} files (${r.bytes} of ${treeBytes(tree)} bytes) read over 9P equal the source`);
  }

  // On C: change a file and add one, save as tree2; A spawns tree2 with those bytes.
  const changed = new Map([
    [[...tree.keys()][0]!, Buffer.from('changed on C\n')],
    ['big/new-on-c.bin', randomBytes(1_500_000)],
  ]);
  await writeOver9P(c!.sup.socket, anames.get('c')!, changed);
  const watch2 = watchName([a!, b!], 'tree2', scratch);
  await c!.line('save envc tree2');
  await watch2.done(120_000);
  for (const [name, s] of watch2.seen) t.equal(s.exportOk, true, `${name} shows tree2 only with its blocks local: ${s.exportMessage}`);
  const onA = await spawnOn(a!, 'tree2', 'enva');
  const expect2 = new Map([...tree, ...changed]);
  const r2 = await compareOver9P(a!.sup.socket, onA, expect2);
  t.same(r2.problems, [], `A reads C's tree2 over 9P: ${r2.files} files, the changed ones included`);

  // D: still refused, and it never learned a name.
  const dNames = [...(await d!.shown()).keys()];
  t.same(dNames, ['admin/seedd'], 'D shows only the name it imported itself: none of the grid\'s');
  t.same((await d!.scores()).filter((r) => r.pending), [], 'nor a pending one');
  t.ok((await peersOf(a!)).some((r) => r.id === d!.id && !r.paired), 'A still lists D as refused');
  t.notOk((await peersOf(d!)).some((r) => r.id === a!.id && r.state === 'connected'), 'D never got a connection to A');
  t.comment(`bytes received on the LAN: ${grid.nodes.map((n) => `${n.name} ${n.rxBytes()}`).join(', ')} (tree ${treeBytes(tree)})`);
});
