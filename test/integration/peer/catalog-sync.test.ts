// /colony/catalog/1 between real libp2p nodes on loopback, each with its own catalog signed
// with its own key: changes flow both ways, an event crosses a line of three nodes and
// verifies at the far end against its origin's key, and a peer that relays a forged event
// is refused with nothing of its batch applied.
import t from 'tap';
import type { CatalogEvent } from '../../../appliance/catalog/index.js';
import type { ReplicatedCatalog } from '../../../appliance/peer/index.js';
import { eventually, link, rootOf, same, site } from './catalog-helpers.js';

t.test('a user and a name added on A reach B, and B\'s additions reach A', async (t) => {
  const [a, b] = [await site(t), await site(t)];
  await a.up();
  await b.up();
  await link(a, b);
  await a.catalog.addUser({ name: 'alice', role: 'user' });
  await a.catalog.registerName({ owner: 'alice', name: 'debian', root: rootOf('debian') });
  t.ok(await eventually(() => b.catalog.allNames('debian').length === 1), 'B has alice/debian');
  t.same(b.catalog.resolve('alice', 'debian').root, rootOf('debian'));

  await b.catalog.addUser({ name: 'bob', role: 'admin' });
  await b.catalog.grant('alice', 'debian', 'bob');
  t.ok(await eventually(() => a.catalog.canSee('bob', { owner: 'alice', name: 'debian' })), 'A has bob and his grant');
  t.ok(await eventually(() => same(a, b)), 'same state');
  t.same(a.catalog.vector(), b.catalog.vector());
  t.same(Object.keys(a.catalog.vector()).sort(), [a.id, b.id].sort());
});

t.test('an event from A reaches C through B (A–B–C in a line) and verifies there', async (t) => {
  const [a, b, c] = [await site(t), await site(t), await site(t)];
  for (const s of [a, b, c]) await s.up();
  await link(a, b);
  await link(c, b);
  t.notOk(a.members.has(c.id), 'A and C are not paired: nothing goes directly');
  await a.catalog.addUser({ name: 'carol', role: 'user' });
  await a.catalog.registerName({ owner: 'carol', name: 'alpine', root: rootOf('alpine') });
  t.ok(await eventually(() => c.catalog.allNames('alpine').length === 1), 'C has carol/alpine');
  t.equal(c.catalog.vector()[a.id], a.catalog.vector()[a.id], "C holds all of A's events");
  // C's own change goes back the other way.
  await c.catalog.addUser({ name: 'dave', role: 'user' });
  t.ok(await eventually(() => same(a, c) && same(a, b)), 'all three agree');
  t.notOk(a.node!.connectedPeers().includes(c.id), 'A never connected to C');
});

t.test('a peer relaying a forged event is refused and nothing of its batch is applied', async (t) => {
  const [a, m, b] = [await site(t), await site(t), await site(t)];
  await a.catalog.addUser({ name: 'alice', role: 'user' });
  await a.up();
  await m.up();
  await link(a, m);
  t.ok(await eventually(() => m.catalog.vector()[a.id] === 1), 'M holds A\'s event honestly');
  await m.catalog.addUser({ name: 'mallory', role: 'user' }); // M's own, validly signed
  await m.down();
  // M now serves A's alice as an admin, keeping A's signature: a forgery.
  let served = 0;
  const forge = (e: CatalogEvent): CatalogEvent => (e.origin === a.id && e.type === 'user.add' ? { ...e, payload: { ...e.payload, role: 'admin' } } as CatalogEvent : e);
  const liar: ReplicatedCatalog = {
    vector: () => m.catalog.vector(),
    eventsSince: async (v, o) => { served++; return (await m.catalog.eventsSince(v, o)).map(forge); },
    applyRemote: (events) => m.catalog.applyRemote(events),
    onEvent: (fn) => m.catalog.onEvent(fn),
  };
  await m.up(liar);
  await b.up();
  await link(m, b);
  t.ok(await eventually(() => served > 0 && b.logged.some((l) => l.level === 'warn' && /do not verify/.test(l.msg))), 'B refused the batch and said so');
  const warned = b.logged.find((l) => /do not verify/.test(l.msg))!;
  t.equal(warned.peer, m.id);
  t.match(String(warned.err), /refused/);
  t.same(b.catalog.vector(), {}, 'nothing applied, not even M\'s own valid event');
  t.same(b.catalog.listUsers(), []);
  t.same(b.catalog.stats().events, 0);
});
