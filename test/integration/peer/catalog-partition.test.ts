// A partition and its healing: A–B–C in a line, B's node stops (A and C are cut off from
// each other), both ends change their catalogs, B comes back on a new port with the same
// key, and all three converge: equal vectors and equal states.
import t from 'tap';
import { eventually, link, rootOf, same, site } from './catalog-helpers.js';

t.test('partition (B down) then heal: A, B and C converge', async (t) => {
  const [a, b, c] = [await site(t), await site(t), await site(t)];
  for (const s of [a, b, c]) await s.up();
  await link(a, b);
  await link(c, b);
  await a.catalog.addUser({ name: 'root', role: 'admin' });
  t.ok(await eventually(() => same(a, c)), 'connected: C has A\'s admin');

  await b.down();
  await a.catalog.addUser({ name: 'ann', role: 'user' });
  await a.catalog.registerName({ owner: 'ann', name: 'base', root: rootOf('a') });
  await c.catalog.addUser({ name: 'ann', role: 'admin' }); // the same user added on both sides
  await c.catalog.addUser({ name: 'cy', role: 'user' });
  await c.catalog.registerName({ owner: 'cy', name: 'base', root: rootOf('c') });
  await b.catalog.addUser({ name: 'ben', role: 'user' }); // B's catalog works while its node is down
  t.notOk(same(a, c), 'apart, A and C differ');

  await b.up();
  await link(a, b);
  await link(c, b);
  t.ok(await eventually(() => same(a, b) && same(b, c)), 'healed: the same state everywhere');
  t.same(a.catalog.vector(), c.catalog.vector());
  t.same(b.catalog.vector(), c.catalog.vector());
  t.same(Object.keys(a.catalog.vector()).sort(), [a.id, b.id, c.id].sort());
  t.same(a.catalog.listUsers().map((u) => u.name), ['ann', 'ben', 'cy', 'root']);
  t.equal(a.catalog.getUser('ann').role, 'admin', "the later add's role (C's)");
  t.same(a.catalog.allNames('base').map((n) => `${n.owner}/${n.name}`).sort(), ['ann/base', 'cy/base']);
});
