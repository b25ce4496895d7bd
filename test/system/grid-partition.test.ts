// A partition that heals, with real supervisors: A, B and C paired in namespaces, then C's
// cable is pulled from the switch. Health goes `degraded` (peer.unreachableDegradedSeconds
// is 2 here) on both sides; A and C each save a name of their own and the SAME name with
// different trees. After the cable is back all three converge on one list: the earlier save
// keeps `same`, the later (C's) is `same@<last 8 characters of C's node id>` (docs/grid.md),
// and health is `ready` again everywhere.
import t from 'tap';
import { connected, lanUnavailable, pairBoth, spawnOn, startGrid, until, type GridNode } from './fixtures/grid.js';
import { compareOver9P, writeOver9P } from './fixtures/tree.js';

const skip = lanUnavailable();

const sameMaps = (ms: Map<string, string>[]) => ms.every((m) => m.size === ms[0]!.size && [...m].every(([k, v]) => ms[0]!.get(k) === v));

t.test('a partition heals: names saved apart converge, the same name by the conflict rule, degraded then ready', { skip }, async (t) => {
  const grid = await startGrid(t, ['a', 'b', 'c'], { config: () => ({ peer: { unreachableDegradedSeconds: 2 } }) });
  const [a, b, c] = ['a', 'b', 'c'].map(grid.node) as [GridNode, GridNode, GridNode];
  await pairBoth(a, b);
  await pairBoth(a, c);
  await pairBoth(b, c);
  await Promise.all([connected(a, b), connected(a, c), connected(b, c)]);
  const envA = await spawnOn(a, 'seeda', 'pa');
  const envC = await spawnOn(c, 'seedc', 'pc');

  grid.lan.cut('c');
  const cutAt = Date.now();
  // Both sides notice: C misses A and B; A and B miss C.
  await until('C degraded', async () => (await c.health()) === 'degraded', { timeoutMs: 120_000, everyMs: 500 });
  await until('A degraded', async () => (await a.health()) === 'degraded', { timeoutMs: 120_000, everyMs: 500 });
  t.pass(`C and A went degraded ${Math.round((Date.now() - cutAt) / 1000)} s after the cut`);

  const fileA = new Map([['made-on-a.txt', Buffer.from('A was here\n')]]);
  const fileC = new Map([['made-on-c.txt', Buffer.from('C was here\n')]]);
  await writeOver9P(a.sup.socket, envA, fileA);
  const sameA = ((await a.line('save pa same')).json as { root: string }).root;
  await a.line('save pa onlya');
  await writeOver9P(c.sup.socket, envC, fileC);
  const sameC = ((await c.line('save pc same')).json as { root: string }).root;
  await c.line('save pc onlyc');
  t.not(sameA, sameC, 'A and C saved `same` with different trees');

  // Apart: B follows A; C sees only its own.
  await until('B has onlya', async () => (await b.shown()).has('admin/onlya'), { timeoutMs: 60_000 });
  t.notOk((await c.shown()).has('admin/onlya'), 'C, cut off, does not have onlya');
  t.notOk((await b.shown()).has('admin/onlyc'), 'B does not have onlyc');
  t.equal((await c.shown()).get('admin/same'), sameC, 'C, apart, calls its own tree `same`');

  grid.lan.heal('c');
  const healAt = Date.now();
  const copy = `admin/same@${c.id.slice(-8)}`;
  const want = ['admin/seeda', 'admin/seedb', 'admin/seedc', 'admin/onlya', 'admin/onlyc', 'admin/same', copy];
  const lists = await until('all three converge', async () => {
    const maps = await Promise.all([a, b, c].map((n) => n.shown()));
    return sameMaps(maps) && maps[0]!.size === want.length && want.every((w) => maps[0]!.has(w)) && maps;
  }, { timeoutMs: 180_000, everyMs: 500 });
  t.pass(`converged ${Math.round((Date.now() - healAt) / 1000)} s after the heal: ${[...lists[0]!.keys()].sort().join(' ')}`);
  for (const [i, n] of [a, b, c].entries()) {
    t.equal(lists[i]!.get('admin/same'), sameA, `${n.name}: \`same\` is A's (the earlier save)`);
    t.equal(lists[i]!.get(copy), sameC, `${n.name}: C's later save is kept as ${copy}`);
  }
  // The copy's blocks came along: A spawns C's tree by its new name.
  const onA = await spawnOn(a, copy, 'fromc');
  const r = await compareOver9P(a.sup.socket, onA, fileC);
  t.same(r.problems, [], `A reads made-on-c.txt in ${copy}`);
  await until('all ready again', async () => (await Promise.all([a, b, c].map((n) => n.health()))).every((s) => s === 'ready'), { timeoutMs: 60_000, everyMs: 500 });
  t.pass('health is ready on all three again');
});
