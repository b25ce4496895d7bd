import t from 'tap';
import { formatScore } from '../../../appliance/store/index.js';
import { score } from '../../unit/catalog/fixtures.js';
import { openCatalog, peopleCatalog } from './helpers.js';

t.test('a name is registered once with its root, time, origin, comment and meta', async (t) => {
  const fixed = new Date('2026-03-04T05:06:07.089Z');
  const { catalog } = await peopleCatalog(t, { now: () => fixed });
  const rec = await catalog.registerName({ owner: 'alice', name: 'debian-dev', root: score(7), comment: 'first', meta: { arch: 'arm64', base: 'debian' } });
  t.same(rec, {
    owner: 'alice', name: 'debian-dev', root: score(7), created: '2026-03-04T05:06:07.092Z', origin: 'node-a', comment: 'first', meta: { arch: 'arm64', base: 'debian' },
  }, 'the clock was pinned, so each event is 1 ms after the one before');
  t.same(catalog.getName('alice', 'debian-dev'), rec);
  t.equal(formatScore(rec.root), `b3:${'07'.repeat(32)}`);
  const plain = await catalog.registerName({ owner: 'bob', name: 'debian-dev', root: score(8) });
  t.equal(plain.comment, '');
  t.same(plain.meta, {});
});

t.test('names are immutable: registering one again fails, even with the same root', async (t) => {
  const { catalog } = await peopleCatalog(t);
  await catalog.registerName({ owner: 'alice', name: 'x', root: score(1) });
  await t.rejects(catalog.registerName({ owner: 'alice', name: 'x', root: score(2) }), { code: 'COLONY_EXISTS', message: /name 'alice\/x' already exists/ });
  await t.rejects(catalog.registerName({ owner: 'alice', name: 'x', root: score(1) }), { code: 'COLONY_EXISTS' });
  t.same(catalog.getName('alice', 'x').root, score(1));
});

t.test('bad names, owners and roots are refused and write nothing', async (t) => {
  const { catalog } = await peopleCatalog(t);
  const before = catalog.stats().events;
  const cases: Array<[string, RegExp]> = [['', /empty/], ['a/b', /'\/'/], ['.', /reserved/], ['..', /reserved/], ['a b', /whitespace/], ['a\nb', /control|whitespace/], ['x'.repeat(129), /128/]];
  for (const [name, msg] of cases) {
    await t.rejects(catalog.registerName({ owner: 'alice', name, root: score(1) }), { code: 'COLONY_INVALID', message: msg }, `name of ${name.length} chars`);
  }
  await t.rejects(catalog.registerName({ owner: 'ghost', name: 'n', root: score(1) }), { code: 'COLONY_NOT_FOUND', message: /user 'ghost'/ });
  await t.rejects(catalog.registerName({ owner: 'alice', name: 'n', root: Buffer.alloc(31) }), { code: 'COLONY_INVALID', message: /32 bytes/ });
  await t.rejects(catalog.registerName({ owner: 'alice', name: 'n', root: score(1), meta: { 'BAD KEY': 'v' } }), { code: 'COLONY_INVALID' });
  await t.rejects(catalog.registerName({ owner: 'alice', name: 'n', root: score(1), comment: 'x'.repeat(2000) }), { code: 'COLONY_INVALID' });
  t.equal(catalog.stats().events, before);
  t.throws(() => catalog.getName('alice', 'n'), { code: 'COLONY_NOT_FOUND' });
});

t.test("a removed user's names stay, and the user cannot register new ones", async (t) => {
  const { catalog } = await peopleCatalog(t);
  await catalog.registerName({ owner: 'bob', name: 'keep', root: score(3) });
  await catalog.removeUser('bob');
  t.equal(catalog.getName('bob', 'keep').name, 'keep');
  await t.rejects(catalog.registerName({ owner: 'bob', name: 'new', root: score(3) }), { code: 'COLONY_NOT_FOUND' });
});

t.test('a new catalog is empty and counts what it holds', async (t) => {
  const { catalog } = await openCatalog(t, undefined, { nodeId: 'solo' });
  t.same(catalog.stats(), { nodeId: 'solo', users: 0, admins: 0, names: 0, grants: 0, events: 0, origins: 0, seq: 0 });
  await catalog.addUser({ name: 'root', role: 'admin' });
  await catalog.registerName({ owner: 'root', name: 'n', root: score(1) });
  t.same(catalog.stats(), { nodeId: 'solo', users: 1, admins: 1, names: 1, grants: 0, events: 2, origins: 1, seq: 2 });
});
