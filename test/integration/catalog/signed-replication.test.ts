// Catalog replication between real catalogs with signed events: relays, forgeries,
// history written before signing, membership and names saved on two nodes at once.
import t from 'tap';
import type { Catalog, CatalogEvent } from '../../../appliance/catalog/index.js';
import { loadOrCreateIdentity } from '../../../appliance/identity/index.js';
import { tmpDir } from '../../helpers/tmp.js';
import { score } from '../../unit/catalog/fixtures.js';
import { signerFor } from '../../unit/catalog/signers.js';
import { openCatalog } from './helpers.js';

type T = Parameters<typeof openCatalog>[0];
const sync = async (from: Catalog, to: Catalog) => to.applyRemote(await from.eventsSince(to.vector()));

async function node(t: T, nodeId: string, clock?: { ms: number }) {
  const now = clock ? () => new Date((clock.ms += 10)) : undefined;
  return (await openCatalog(t, undefined, { nodeId, ...(now ? { now } : {}) })).catalog;
}

t.test('events relayed through a third node still verify; a forged one is refused and nothing is applied', async (t) => {
  const a = await node(t, 'a');
  const b = await node(t, 'b');
  const c = await node(t, 'c');
  await a.addUser({ name: 'alice', role: 'admin' });
  await a.registerName({ owner: 'alice', name: 'deb', root: score(1) });
  t.same(await sync(a, b), { applied: 2, skipped: 0 });
  t.same(await sync(b, c), { applied: 2, skipped: 0 }, 'c has a\'s events from b');
  t.same(c.snapshot(), a.snapshot());

  // b lies: it makes up a#3 (a user for itself) and signs it with its own key.
  await a.addUser({ name: 'bob', role: 'user' });
  const [real] = await a.eventsSince(c.vector());
  const forged = { ...real, payload: { name: 'mallory', role: 'admin', keys: [] } } as CatalogEvent;
  const before = c.snapshot();
  await b.registerName({ owner: 'alice', name: 'b-side', root: score(2) });
  const honest = await b.eventsSince(c.vector());
  await t.rejects(c.applyRemote([...honest, forged]), { code: 'COLONY_AUTH', message: /event a#3 refused: bad signature/ });
  const resigned = { ...forged, signer: signerFor('b').nodeId, sig: (await b.eventsSince({}))[0]!.sig };
  await t.rejects(c.applyRemote([resigned]), { code: 'COLONY_AUTH', message: /a#3 refused: it is signed by .*, but a's events are signed by/ });
  t.same(c.snapshot(), before, 'nothing of a refused batch is applied');
  t.same(await c.eventsSince({}), await a.eventsSince({ a: 0 }).then((es) => es.slice(0, 2)), 'nor written');
  t.same(await sync(a, c), { applied: 1, skipped: 0 }, 'the real a#3 is accepted');
});

t.test('an origin that is a peer id can only be signed by that key', async (t) => {
  const data = await tmpDir(t);
  const me = await loadOrCreateIdentity(data);
  const { catalog: a } = await openCatalog(t, undefined, { nodeId: me.nodeId, signer: me });
  const b = await node(t, 'b');
  await a.addUser({ name: 'alice', role: 'admin' });
  t.same(await sync(a, b), { applied: 1, skipped: 0 });
  const { catalog: impostor } = await openCatalog(t, undefined, { nodeId: me.nodeId, signer: signerFor('impostor') });
  await impostor.addUser({ name: 'eve', role: 'admin' });
  await impostor.addUser({ name: 'eve2', role: 'admin' });
  const lies = await impostor.eventsSince({});
  await t.rejects(b.applyRemote(lies), { code: 'COLONY_EXISTS' }, "a different #1 than the one held");
  await t.rejects(b.applyRemote(lies.slice(1)), { code: 'COLONY_AUTH', message: /#2 refused: it is signed by/ });
  t.same(b.listUsers().map((u) => u.name), ['alice']);
  const fresh = await node(t, 'fresh');
  await t.rejects(fresh.applyRemote(lies), { code: 'COLONY_AUTH', message: /#1 refused: it is signed by/ });
  t.same(fresh.vector(), {});
});

t.test('history written before signing stays local until a signing node opens it, then replicates', async (t) => {
  const dir = await tmpDir(t);
  const old = (await openCatalog(t, dir, { nodeId: 'legacy', signer: undefined })).catalog;
  await old.addUser({ name: 'alice', role: 'admin' });
  await old.registerName({ owner: 'alice', name: 'deb', root: score(3) });
  const raw = await old.eventsSince({});
  t.same(raw, [], 'unsigned events are not offered to peers');
  const b = await node(t, 'b');
  const unsigned = (await (old as unknown as { db: { since(o: string, a: number, l: number): Promise<CatalogEvent[]> } }).db.since('legacy', 0, 10));
  t.equal(unsigned.length, 2);
  t.equal(unsigned[0]!.sig, undefined);
  await t.rejects(b.applyRemote(unsigned), { code: 'COLONY_AUTH', message: /legacy#1 refused: it is not signed/ });
  const snap = old.snapshot();
  await old.close();

  const reopened = (await openCatalog(t, dir, { nodeId: 'legacy', signer: signerFor('legacy') })).catalog;
  t.same(reopened.snapshot(), snap, 'signing the history changes no state');
  const signed = await reopened.eventsSince({});
  t.equal(signed.length, 2);
  t.ok(signed.every((e) => e.signer === signerFor('legacy').nodeId));
  t.same(await b.applyRemote(signed), { applied: 2, skipped: 0 });
  await reopened.addUser({ name: 'carol', role: 'user' });
  t.same(await sync(reopened, b), { applied: 1, skipped: 0 }, 'later events verify under the key event #1 bound');
  const mallory = (await openCatalog(t, undefined, { nodeId: 'legacy', signer: signerFor('mallory') })).catalog;
  for (let i = 0; i < 4; i++) await mallory.addUser({ name: `m${i}`, role: 'user' });
  const [, , , fourth] = await mallory.eventsSince({});
  await t.rejects(reopened.applyRemote([fourth]), { code: 'COLONY_AUTH', message: /legacy#4 refused: it is signed by .*, but legacy's events are signed by/ }, 'its own origin is bound to its key too');
  t.same(b.getName('alice', 'deb').root, score(3));
});

t.test('membership replicates: a node paired on one member is known to all, and so is its unpairing', async (t) => {
  const clock = { ms: Date.UTC(2026, 0, 1) };
  const a = await node(t, 'a', clock);
  const b = await node(t, 'b', clock);
  const c = await node(t, 'c', clock);
  const peer = signerFor('new-node').nodeId;
  await a.pair(peer, { by: 'admin', addresses: ['/ip4/192.0.2.7/tcp/4001'] });
  await sync(a, b);
  await sync(b, c);
  t.same(c.members(), [{ peer, addresses: ['/ip4/192.0.2.7/tcp/4001'], admittedBy: { user: 'admin', origin: 'a' }, since: new Date(Date.UTC(2026, 0, 1) + 10).toISOString() }]);
  await c.unpair(peer, { by: 'root' });
  await t.rejects(c.unpair(peer, { by: 'root' }), { code: 'COLONY_NOT_FOUND' });
  await t.rejects(c.pair('not-a-peer-id', { by: 'root' }), { code: 'COLONY_INVALID' });
  await sync(c, a);
  t.same(a.members(), [], 'the unpairing reached a');
  // Paired again on a while b unpairs it, apart: the later one (b's) wins everywhere.
  await a.pair(peer, { by: 'admin' });
  await sync(a, b);
  const again = signerFor('third').nodeId;
  await a.pair(again, { by: 'admin' });
  await b.unpair(peer, { by: 'admin' });
  for (const [x, y] of [[a, b], [b, a], [a, c], [b, c]] as const) await sync(x, y);
  for (const n of [a, b, c]) t.same(n.members().map((m) => m.peer), [again]);
  t.same(a.snapshot(), b.snapshot());
  t.same(b.snapshot(), c.snapshot());
});

t.test('two nodes save the same name at once: both see the earlier as the name and the later as name@origin', async (t) => {
  const clock = { ms: Date.UTC(2026, 0, 1) };
  const a = await node(t, 'node-aaaaaaaaaaaa', clock);
  const b = await node(t, 'node-bbbbbbbbbbbb', clock);
  await a.addUser({ name: 'alice', role: 'user' });
  await sync(a, b);
  await a.registerName({ owner: 'alice', name: 'deb', root: score(1) });
  await b.registerName({ owner: 'alice', name: 'deb', root: score(2) });
  await sync(a, b);
  await sync(b, a);
  t.same(a.snapshot(), b.snapshot());
  for (const n of [a, b]) {
    t.same(n.scores('alice').map((r) => [r.name, r.root]), [['deb@bbbbbbbb', score(2)], ['deb', score(1)]]);
    t.same(n.resolve('alice', 'deb@bbbbbbbb').origin, 'node-bbbbbbbbbbbb');
  }
});
