import t from 'tap';
import { score } from '../../unit/catalog/fixtures.js';
import { peopleCatalog } from './helpers.js';

t.test('a grant makes a name visible to one more user, idempotently', async (t) => {
  const { catalog } = await peopleCatalog(t);
  const rec = await catalog.registerName({ owner: 'alice', name: 'debian', root: score(1) });
  t.equal(catalog.canSee('bob', rec), false);
  t.same(catalog.scores('bob'), []);
  t.throws(() => catalog.resolve('bob', 'debian'), { code: 'COLONY_NOT_FOUND' });
  t.equal(await catalog.grant('alice', 'debian', 'bob'), true);
  const events = catalog.stats().events;
  t.equal(await catalog.grant('alice', 'debian', 'bob'), false, 'granting again changes nothing');
  t.equal(await catalog.grant('alice', 'debian', 'alice'), false, 'the owner needs no grant');
  t.equal(catalog.stats().events, events, 'and writes no event');
  t.equal(catalog.canSee('bob', rec), true);
  t.same(catalog.scores('bob').map((r) => `${r.owner}/${r.name}`), ['alice/debian']);
  t.same(catalog.resolve('bob', 'debian'), rec);
  t.same(catalog.resolve('bob', 'alice/debian'), rec);
  t.equal(catalog.stats().grants, 1);
});

t.test('grants need a name and a user that exist', async (t) => {
  const { catalog } = await peopleCatalog(t);
  await catalog.registerName({ owner: 'alice', name: 'debian', root: score(1) });
  await t.rejects(catalog.grant('alice', 'nothing', 'bob'), { code: 'COLONY_NOT_FOUND', message: /alice\/nothing/ });
  await t.rejects(catalog.grant('alice', 'debian', 'ghost'), { code: 'COLONY_NOT_FOUND', message: /ghost/ });
  await t.rejects(catalog.grant('alice', 'bad/name', 'bob'), { code: 'COLONY_INVALID' });
});

t.test('scores: own and granted for users, everything for admins, newest first, filtered', async (t) => {
  let tick = Date.UTC(2026, 0, 1);
  const { catalog } = await peopleCatalog(t, { now: () => new Date((tick += 1000)) });
  for (const [owner, name] of [['alice', 'debian'], ['bob', 'alpine'], ['alice', 'debian-dev'], ['bob', 'private']] as const) {
    await catalog.registerName({ owner, name, root: score(name.length) });
  }
  await catalog.grant('bob', 'alpine', 'alice');
  const list = (user: string, filter?: string) => catalog.scores(user, filter).map((r) => `${r.owner}/${r.name}`);
  t.same(list('alice'), ['alice/debian-dev', 'bob/alpine', 'alice/debian']);
  t.same(list('bob'), ['bob/private', 'bob/alpine']);
  t.same(list('root'), ['bob/private', 'alice/debian-dev', 'bob/alpine', 'alice/debian']);
  t.same(catalog.allNames().map((r) => `${r.owner}/${r.name}`), list('root'), 'the operator view lists everything');
  t.same(catalog.allNames('deb*').map((r) => r.name), ['debian-dev', 'debian']);
  t.same(list('alice', 'deb'), ['alice/debian-dev', 'alice/debian']);
  t.same(list('alice', 'debian'), ['alice/debian-dev', 'alice/debian'], 'a substring');
  t.same(list('alice', 'debian*'), ['alice/debian-dev', 'alice/debian'], 'a glob');
  t.same(list('alice', 'a*e'), ['bob/alpine']);
  t.throws(() => catalog.scores('ghost'), { code: 'COLONY_NOT_FOUND' });
  t.equal(catalog.resolve('root', 'private').owner, 'bob');
  t.throws(() => catalog.resolve('alice', 'bob/private'), { code: 'COLONY_NOT_FOUND', message: /name 'bob\/private' not found/ });
});
