// Forgetting names through the Catalog: who may, what disappears, that a forgotten name is
// never bound again (here, or on a replica, even by a registration made while apart), and
// that logs written before name.forget existed still open.
import t from 'tap';
import { Catalog, refuseTakenName } from '../../../appliance/catalog/index.js';
import { MemoryLog } from '../../../appliance/log.js';
import { formatScore } from '../../../appliance/store/index.js';
import { tmpDir } from '../../helpers/tmp.js';
import { fastScrypt, score } from '../../unit/catalog/fixtures.js';
import { openCatalog, peopleCatalog } from './helpers.js';

const shown = (c: Catalog) => c.allNames().map((n) => `${n.owner}/${n.name}`).sort();

/** Brings both catalogs up to date with each other, as the peer replication does. */
async function exchange(a: Catalog, b: Catalog): Promise<void> {
  await b.applyRemote(await a.eventsSince(b.vector()));
  await a.applyRemote(await b.eventsSince(a.vector()));
}

t.test('the owner forgets a name: it is gone for everyone and never bound again', async (t) => {
  const { catalog: c } = await peopleCatalog(t);
  await c.registerName({ owner: 'alice', name: 'deb', root: score(1) });
  await c.registerName({ owner: 'alice', name: 'other', root: score(2) });
  await c.grant('alice', 'deb', 'bob');
  t.same(c.grantees('alice', 'deb'), ['bob']);
  const r = await c.forgetName('alice', 'deb', { by: 'alice' });
  t.same({ name: r.record.name, root: formatScore(r.record.root), grantees: r.grantees }, { name: 'deb', root: formatScore(score(1)), grantees: ['bob'] });
  t.same(shown(c), ['alice/other']);
  t.same(c.scores('bob'), [], 'the grantee lost it');
  t.throws(() => c.resolve('alice', 'deb'), { code: 'COLONY_NOT_FOUND' });
  t.throws(() => c.resolve('root', 'alice/deb'), { code: 'COLONY_NOT_FOUND' });
  await t.rejects(c.registerName({ owner: 'alice', name: 'deb', root: score(3) }), { code: 'COLONY_EXISTS', message: /alice\/deb was forgotten; names are never reused/ });
  await t.rejects(c.registerName({ owner: 'alice', name: 'deb', root: score(1) }), { code: 'COLONY_EXISTS' }, 'not even to the same tree');
  t.throws(() => refuseTakenName(c, 'alice', 'deb'), { code: 'COLONY_EXISTS', message: /never reused/ }, 'an import is refused before it reads a byte');
  await t.rejects(c.grant('alice', 'deb', 'root'), { code: 'COLONY_NOT_FOUND' });
  await t.rejects(c.forgetName('alice', 'deb', { by: 'alice' }), { code: 'COLONY_NOT_FOUND', message: /forgotten already/ });
  t.same(c.forgotten().map((f) => ({ owner: f.owner, name: f.name, by: f.by, root: formatScore(f.root) })), [{ owner: 'alice', name: 'deb', by: 'alice', root: formatScore(score(1)) }]);
  t.same(c.liveRoots().map(formatScore), [formatScore(score(2))]);
  t.ok(c.isForgotten('alice', 'deb'));
  t.notOk(c.isForgotten('alice', 'other'));
});

t.test('an admin forgets anyone\'s name only with a reason, logged at warn; a user only their own', async (t) => {
  const log = new MemoryLog();
  const { catalog: c } = await peopleCatalog(t, { log });
  await c.registerName({ owner: 'alice', name: 'big', root: score(1) });
  await c.registerName({ owner: 'root', name: 'mine', root: score(2) });
  await c.grant('alice', 'big', 'bob');
  await t.rejects(c.forgetName('alice', 'big', { by: 'bob' }), { code: 'COLONY_PERMISSION' }, 'a grantee may not');
  await t.rejects(c.forgetName('root', 'mine', { by: 'alice' }), { code: 'COLONY_NOT_FOUND' }, 'a name alice cannot see');
  await t.rejects(c.forgetName('alice', 'big', { by: 'root' }), { code: 'COLONY_INVALID', message: /needs a reason/ });
  await t.rejects(c.forgetName('alice', 'big', { by: 'root', reason: 'a\nb' }), { code: 'COLONY_INVALID', message: /one line/ });
  await t.rejects(c.forgetName('alice', 'big', { by: 'root', reason: 'é'.repeat(201) }), { code: 'COLONY_INVALID', message: /limit is 200/ });
  const r = await c.forgetName('alice', 'big', { by: 'root', reason: 'é'.repeat(200) });
  t.equal(r.reason, 'é'.repeat(200));
  const warn = log.lines.find((l) => l.level === 'warn' && l.msg.includes('forgotten'));
  t.match(warn, { owner: 'alice', name: 'big', by: 'root', reason: 'é'.repeat(200), grantees: ['bob'] });
  await c.forgetName('root', 'mine', { by: 'root' });
  t.same(c.forgotten().map((f) => f.reason ?? '-'), ['-', 'é'.repeat(200)]);
});

t.test('the tombstone replicates, and beats a registration made concurrently while apart', async (t) => {
  const { catalog: a } = await openCatalog(t, undefined, { nodeId: 'node-a' });
  const { catalog: b } = await openCatalog(t, undefined, { nodeId: 'node-b' });
  await a.addUser({ name: 'root', role: 'admin' });
  await a.addUser({ name: 'alice', role: 'user' });
  await a.registerName({ owner: 'alice', name: 'shared', root: score(1) });
  await exchange(a, b);
  t.same(shown(b), ['alice/shared']);

  // Apart: a forgets alice/shared and registers then forgets alice/img; b, not knowing, registers alice/img itself.
  await a.forgetName('alice', 'shared', { by: 'alice' });
  await a.registerName({ owner: 'alice', name: 'img', root: score(2) });
  await a.forgetName('alice', 'img', { by: 'root', reason: 'too big' });
  await b.registerName({ owner: 'alice', name: 'img', root: score(3) });
  await b.registerName({ owner: 'alice', name: 'kept', root: score(4) });
  t.same(shown(b), ['alice/img', 'alice/kept', 'alice/shared']);

  await exchange(a, b);
  t.same(shown(a), ['alice/kept']);
  t.same(shown(b), ['alice/kept'], 'b\'s own concurrent registration lost to the tombstone');
  t.same(a.snapshot(), b.snapshot(), 'the replicas converge');
  t.same(b.liveRoots().map(formatScore), [formatScore(score(4))]);
  await t.rejects(b.registerName({ owner: 'alice', name: 'img', root: score(5) }), { code: 'COLONY_EXISTS', message: /never reused/ });
  await t.rejects(b.registerName({ owner: 'alice', name: 'shared', root: score(1) }), { code: 'COLONY_EXISTS', message: /never reused/ });

  // A third replica that gets everything at once, in origin order, agrees too.
  const { catalog: c } = await openCatalog(t, undefined, { nodeId: 'node-c' });
  await c.applyRemote(await b.eventsSince({}));
  t.same(c.snapshot(), a.snapshot());
});

t.test('a tombstone survives reopening, and an older log (no name.forget, unsigned) still opens', async (t) => {
  const dir = await tmpDir(t);
  // As a one-shot tool of an older version wrote it: no signer, no name.forget.
  const old = await Catalog.open(dir, { nodeId: 'node-a', scrypt: fastScrypt });
  await old.addUser({ name: 'root', role: 'admin' });
  await old.registerName({ owner: 'root', name: 'base', root: score(1) });
  await old.registerName({ owner: 'root', name: 'keep', root: score(2) });
  await old.close();
  const { catalog: c } = await openCatalog(t, dir);
  t.same(shown(c), ['root/base', 'root/keep']);
  await c.forgetName('root', 'base', { by: 'root' });
  const before = c.snapshot();
  await c.close();
  const { catalog: again } = await openCatalog(t, dir);
  t.same(again.snapshot(), before);
  t.same(shown(again), ['root/keep']);
  await t.rejects(again.registerName({ owner: 'root', name: 'base', root: score(3) }), { code: 'COLONY_EXISTS' });
  const { catalog: replica } = await openCatalog(t, undefined, { nodeId: 'node-z' });
  await replica.applyRemote(await again.eventsSince({}));
  t.same(shown(replica), ['root/keep'], 'the now-signed history, tombstone included, replicates');
});
