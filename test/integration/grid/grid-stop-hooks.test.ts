// What cpu needs from the grid (issue 15): the users invited into an environment are known
// (and survive a restart of a disk environment), and boom awaits the stop hooks (where the
// executor kills processes and unmounts) before the token is revoked and the volume closed.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { parseRecord } from '../../../appliance/grid/index.js';
import { openWorld } from './helpers.js';

t.test('invite records the invitee on the environment and in its disk record', async (t) => {
  const w = await openWorld(t);
  await w.grid.spawn('alice', 'debian', { cache: 'disk' });
  t.same([...w.grid.running('debian')!.invited], []);
  await w.grid.invite('alice', 'bob', 'debian');
  await w.grid.invite('alice', 'carol', 'debian');
  t.same([...w.grid.running('debian')!.invited].sort(), ['bob', 'carol']);
  const rec = parseRecord(await readFile(join(w.data, 'envs', 'debian.json'), 'utf8'), 'f');
  t.same(rec.invited, ['bob', 'carol']);
  await w.reopen();
  t.same([...w.grid.running('debian')!.invited].sort(), ['bob', 'carol'], 'kept across a restart');
});

t.test('a record without invited (written before) reads as nobody invited', async (t) => {
  const score = `b3:${'ab'.repeat(32)}`;
  const old = { version: 1, name: 'd', owner: 'alice', kind: 'disk', base: { owner: 'alice', name: 'd', root: score }, token: 'tok', head: score, unsaved: false, created: 'x', checkpointed: 'x' };
  t.equal(parseRecord(JSON.stringify(old), 'f').invited, undefined);
  t.throws(() => parseRecord(JSON.stringify({ ...old, invited: [3] }), 'f'), { code: 'COLONY_CORRUPT_DATA' });
});

t.test('boom awaits the stop hooks before revoking the token; a failing one does not stop it', async (t) => {
  const w = await openWorld(t);
  const s = await w.grid.spawn('alice', 'debian', { cache: 'ram' });
  const seen: string[] = [];
  w.grid.onBoom(() => seen.push('revoked'));
  w.grid.onStopping(async (env) => {
    t.equal(w.grid.running(env.name), undefined, 'forgotten first: no new process can start');
    t.throws(() => w.grid.attach(s.aname), { code: 'COLONY_AUTH' });
    await new Promise((r) => setTimeout(r, 50));
    await env.volume.resolvePath('etc/passwd'); // the volume is still open
    seen.push('stopped');
  });
  w.grid.onStopping(async () => { throw new Error('a failing stop hook'); });
  await w.grid.boom('alice', 'debian');
  t.same(seen, ['stopped', 'revoked']);
  await w.grid.spawn('alice', 'debian', { cache: 'ram' });
  t.ok(w.grid.running('debian'), 'the name is free again after the boom');
});
