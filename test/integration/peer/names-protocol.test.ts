// /colony/names/1 between two real nodes: a node says it holds a root only when its own
// answer (holdsLocally) says so; the asker believes it only while that node is connected;
// a round asks only roots not yet said held, at most MAX_ROOTS per request.
import t from 'tap';
import { MAX_ROOTS, startNamesProtocol, type NamesProtocol } from '../../../appliance/peer/names-protocol.js';
import { eventually, pair, site } from './blocks-helpers.js';

const root = (i: number) => `b3:${i.toString(16).padStart(64, '0')}`;

t.test('held only while the holder says so and is connected; only unknown roots are asked', async (t) => {
  const [a, b] = [await site(t), await site(t)];
  await pair(a, b);
  const aHolds = new Set<string>();
  const pa = await startNamesProtocol({ node: a.node, peers: () => [], holdsLocally: (rs) => rs.filter((r) => aHolds.has(r)), log: a.log });
  t.teardown(() => pa.stop());
  const pending = [root(1), root(2)];
  const pb: NamesProtocol = await startNamesProtocol({ node: b.node, peers: () => b.node.connectedPeers(), pending: () => pending, holdsLocally: () => [], log: b.log });
  t.teardown(() => pb.stop());

  await pb.refresh();
  t.notOk(pb.holds(root(1)), 'A holds nothing yet: pending');
  t.same(pb.stats().rootsAsked, 2);
  aHolds.add(root(1));
  await pb.refresh();
  t.ok(pb.holds(root(1)), 'A says it holds root 1');
  t.notOk(pb.holds(root(2)), 'not root 2');
  t.equal(pb.stats().rootsAsked, 4);
  await pb.refresh();
  t.equal(pb.stats().rootsAsked, 5, 'a root A said it holds is not asked again');
  t.equal(pa.stats().served, 3);

  await a.node.stop();
  t.ok(await eventually(() => b.node.connectedPeers().length === 0), 'B sees A gone');
  t.notOk(pb.holds(root(1)), 'A gone: root 1 is pending again');
});

t.test('600 pending roots: three requests of at most MAX_ROOTS in one round', async (t) => {
  const [a, b] = [await site(t), await site(t)];
  await pair(a, b);
  const sizes: number[] = [];
  const pa = await startNamesProtocol({ node: a.node, peers: () => [], holdsLocally: (rs) => { sizes.push(rs.length); return rs.filter((_, i) => i % 2 === 0); }, log: a.log });
  t.teardown(() => pa.stop());
  const pending = Array.from({ length: 600 }, (_, i) => root(i));
  const pb = await startNamesProtocol({ node: b.node, peers: () => b.node.connectedPeers(), pending: () => pending, holdsLocally: () => [], log: b.log });
  t.teardown(() => pb.stop());
  await pb.refresh();
  t.same(sizes, [MAX_ROOTS, MAX_ROOTS, 600 - 2 * MAX_ROOTS]);
  t.equal(pending.filter((r) => pb.holds(r)).length, 300, 'what A said it holds, and no more');
});

t.test('an asker without `pending` (eager mode) never asks; a node that fails to answer counts as failed', async (t) => {
  const [a, b] = [await site(t), await site(t)];
  await pair(a, b);
  const eager = await startNamesProtocol({ node: b.node, peers: () => b.node.connectedPeers(), holdsLocally: () => [], log: b.log });
  t.teardown(() => eager.stop());
  await eager.refresh();
  t.equal(eager.stats().asked, 0);
  // A runs no names protocol at all: B's request fails (no such protocol), is counted, and nothing is held.
  const c = await site(t);
  await pair(c, a);
  const pc = await startNamesProtocol({ node: c.node, peers: () => c.node.connectedPeers(), pending: () => [root(1)], holdsLocally: () => [], log: c.log, timeoutMs: 2000 });
  t.teardown(() => pc.stop());
  await pc.refresh();
  t.equal(pc.stats().failed, 1);
  t.notOk(pc.holds(root(1)));
});
