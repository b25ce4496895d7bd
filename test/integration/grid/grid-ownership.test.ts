// Every verb checks who is asking: users alice, bob and admin × verbs × (own environment,
// another's). Nobody saves, booms, invites into or reaches another user's environment (an
// admin booms one only with a reason), and nobody spawns a name they cannot see.
import t from 'tap';
import { getFile, openWorld } from './helpers.js';

const actors = ['alice', 'bob', 'admin'] as const;

t.test('the ownership matrix', async (t) => {
  const w = await openWorld(t);
  await w.catalog.registerName({ owner: 'bob', name: 'bobtree', root: w.roots.plain });
  const envOf = { alice: 'a-env', bob: 'b-env', admin: 'adm-env' } as const;
  await w.grid.spawn('alice', 'debian', { cache: 'ram', as: 'a-env' });
  await w.grid.spawn('bob', 'bobtree', { cache: 'disk', as: 'b-env' });
  await w.grid.spawn('admin', 'alice/plain', { cache: 'ram', as: 'adm-env' });
  t.same(w.grid.status('admin').map((e) => [e.name, e.aname !== undefined]), [['a-env', false], ['adm-env', true], ['b-env', false]]);

  for (const actor of actors) {
    for (const owner of actors) {
      const env = envOf[owner];
      const own = actor === owner;
      const tag = `${actor} on ${owner}'s ${env}`;
      const carolBefore = w.grid.scores('carol').length;
      if (own) {
        const rec = await w.grid.save(actor, env, `${env}-by-${actor}`);
        t.equal(rec.owner, actor, `${tag}: save`);
        const inv = await w.grid.invite(actor, 'carol', env);
        t.equal(inv.record.owner, 'carol', `${tag}: invite`);
        t.equal(w.grid.environment(actor, env).name, env, `${tag}: reach`);
        t.ok(w.grid.status(actor).some((e) => e.name === env && e.aname), `${tag}: status shows it with its aname`);
      } else {
        await t.rejects(w.grid.save(actor, env, `${env}-by-${actor}`), { code: 'COLONY_PERMISSION' }, `${tag}: save`);
        t.throws(() => w.catalog.getName(actor, `${env}-by-${actor}`), { code: 'COLONY_NOT_FOUND' }, `${tag}: no name was registered`);
        await t.rejects(w.grid.invite(actor, 'carol', env), { code: 'COLONY_PERMISSION' }, `${tag}: invite`);
        t.equal(w.grid.scores('carol').length, carolBefore, `${tag}: carol got nothing`);
        // An admin may boom anyone's environment, but only with a reason (grid-admin-boom.test.ts).
        await t.rejects(w.grid.boom(actor, env), { code: actor === 'admin' ? 'COLONY_USAGE' : 'COLONY_PERMISSION' }, `${tag}: boom`);
        t.throws(() => w.grid.environment(actor, env), { code: 'COLONY_PERMISSION' }, `${tag}: reach`);
        const seen = w.grid.status(actor).find((e) => e.name === env);
        if (actor === 'admin') t.ok(seen && seen.aname === undefined, `${tag}: admin sees it, without its token`);
        else t.equal(seen, undefined, `${tag}: status hides it`);
      }
    }
  }
  for (const actor of actors) t.equal((await w.grid.boom(actor, envOf[actor])).name, envOf[actor], `${actor} booms their own`);
  t.same(w.grid.status('admin'), []);
  for (const actor of actors) await t.rejects(w.grid.boom(actor, 'a-env'), { code: 'COLONY_NOT_FOUND' }, 'gone');
});

t.test('nobody spawns a name they cannot see; a grant makes it spawnable', async (t) => {
  const w = await openWorld(t);
  await t.rejects(w.grid.spawn('bob', 'debian', { cache: 'ram' }), { code: 'COLONY_NOT_FOUND' });
  await t.rejects(w.grid.spawn('bob', 'alice/debian', { cache: 'ram' }), { code: 'COLONY_NOT_FOUND' });
  await t.rejects(w.grid.spawn('bob', 'nonesuch', { cache: 'disk' }), { code: 'COLONY_NOT_FOUND' });
  await t.rejects(w.grid.spawn('ghost', 'debian', { cache: 'ram' }), { code: 'COLONY_NOT_FOUND' }, 'an unknown user');
  await w.catalog.grant('alice', 'debian', 'bob');
  const s = await w.grid.spawn('bob', 'debian', { cache: 'ram', as: 'bobdeb' });
  t.equal(s.env.owner, 'bob', 'the spawner owns the environment');
  t.equal(await getFile(w.grid.environment('bob', 'bobdeb').volume, 'hello.txt'), 'hello from the base\n');
  t.throws(() => w.grid.environment('alice', 'bobdeb'), { code: 'COLONY_PERMISSION' }, 'the name’s owner does not own the environment');
  const admin = await w.grid.spawn('admin', 'alice/debian', { cache: 'ram', as: 'admdeb' });
  t.equal(admin.env.owner, 'admin', 'admins see every name');
});

t.test('invite needs an existing invitee other than oneself', async (t) => {
  const w = await openWorld(t);
  await w.grid.spawn('alice', 'debian', { cache: 'ram' });
  await t.rejects(w.grid.invite('alice', 'ghost', 'debian'), { code: 'COLONY_NOT_FOUND' });
  await t.rejects(w.grid.invite('alice', 'alice', 'debian'), { code: 'COLONY_INVALID' });
  await t.rejects(w.grid.invite('alice', 'bob', 'nonesuch'), { code: 'COLONY_NOT_FOUND' });
});
