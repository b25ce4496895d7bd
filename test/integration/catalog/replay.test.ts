import t from 'tap';
import { Catalog } from '../../../appliance/catalog/index.js';
import { tmpDir } from '../../helpers/tmp.js';
import { fastScrypt, keyLine, score } from '../../unit/catalog/fixtures.js';
import { openCatalog } from './helpers.js';

/** Exercises every event type, including ones that undo earlier ones. */
async function busy(c: Catalog) {
  await c.addUser({ name: 'root', role: 'admin', password: 'r00t', keys: [keyLine()] });
  await c.addUser({ name: 'alice', role: 'user', password: 'a' });
  await c.addUser({ name: 'bob', role: 'user' });
  await c.addKey('alice', keyLine('ecdsa256', 'alice@pc'));
  await c.setPassword('alice', 'b');
  for (let i = 0; i < 20; i++) await c.registerName({ owner: i % 2 ? 'alice' : 'bob', name: `env-${i}`, root: score(i), comment: `n${i}`, meta: { i: String(i) } });
  await c.grant('alice', 'env-1', 'bob');
  await c.grant('bob', 'env-0', 'alice');
  await c.removeUser('bob');
  await c.addUser({ name: 'bob', role: 'user', keys: [keyLine('rsa')] });
}

t.test('reopening replays the log into exactly the same state', async (t) => {
  const dir = await tmpDir(t);
  const first = await Catalog.open(dir, { nodeId: 'node-a', scrypt: fastScrypt });
  await busy(first);
  const before = first.snapshot();
  const scores = first.scores('root');
  await first.close();
  t.equal(before.events, 29);
  t.equal(before.users.length, 3);
  const { catalog: again } = await openCatalog(t, dir);
  t.same(again.snapshot(), before);
  t.same(again.scores('root'), scores);
  t.equal(await again.checkPassword('alice', 'b'), true, 'the password hash survived');
  await again.registerName({ owner: 'alice', name: 'after', root: score(99) });
  t.equal(again.stats().seq, 30, 'numbering continues after the replayed events');
});

t.test('a fresh catalog fed eventsSince({}) derives the same state', async (t) => {
  const { catalog: a } = await openCatalog(t);
  await busy(a);
  const { catalog: b } = await openCatalog(t, undefined, { nodeId: 'node-b' });
  const result = await b.applyRemote(await a.eventsSince({}));
  t.same(result, { applied: 29, skipped: 0 });
  t.same(b.snapshot(), a.snapshot());
  t.same(b.vector(), { 'node-a': 29 });
});

t.test('a log holding several origins replays to the same state, though key order is not arrival order', async (t) => {
  let clock = Date.UTC(2026, 0, 1);
  const now = () => new Date((clock += 5));
  const { catalog: z } = await openCatalog(t, undefined, { nodeId: 'z-node', now });
  const dir = await tmpDir(t);
  const a = await Catalog.open(dir, { nodeId: 'a-node', scrypt: fastScrypt, now });
  // z's events arrive first, and a's later events depend on them, yet a's sort first by key.
  await z.addUser({ name: 'alice', role: 'admin', password: 'x' });
  await z.addUser({ name: 'bob', role: 'user' });
  await a.applyRemote(await z.eventsSince({}));
  await a.registerName({ owner: 'bob', name: 'deb', root: score(1) });
  await a.removeUser('bob');
  await z.setPassword('alice', 'y');
  await a.applyRemote(await z.eventsSince(a.vector()));
  const before = a.snapshot();
  await a.close();
  const { catalog: again } = await openCatalog(t, dir, { nodeId: 'a-node' });
  t.same(again.snapshot(), before);
  t.same(again.listUsers().map((u) => u.name), ['alice']);
  t.equal(await again.checkPassword('alice', 'y'), true);
});
