// An admin booms another user's environment only with a reason, which is logged and kept as
// a notice for the owner (across a restart); removing a user booms their environments, and
// a removed user's tokens reach nothing, even before the boom.
import t from 'tap';
import { Grid, checkReason, NOTICES_PER_USER } from '../../../appliance/grid/index.js';
import { MemoryLog } from '../../../appliance/log.js';
import { openWorld, putFile, type GridWorld } from './helpers.js';

async function withLog(w: GridWorld, limits: { checkpointMs?: number } = {}): Promise<MemoryLog> {
  const log = new MemoryLog();
  await w.grid.close();
  w.grid = await Grid.open({ data: w.data, store: w.store, catalog: w.catalog, log, limits: { checkpointMs: 0, ...limits } });
  return log;
}

t.test('an admin booms another user\'s environment with a reason; the owner is told', async (t) => {
  const w = await openWorld(t);
  const log = await withLog(w);
  const s = await w.grid.spawn('alice', 'debian', { cache: 'disk', as: 'a1' });
  await putFile(w.grid.environment('alice', 'a1').volume, 'work.txt', 'unsaved work\n');
  const boomed: string[] = [];
  w.grid.onBoom((e) => boomed.push(e.name));

  await t.rejects(w.grid.boom('bob', 'a1', { reason: 'mine now' }), { code: 'COLONY_PERMISSION' }, 'a user may not boom another\'s, reason or not');
  await t.rejects(w.grid.boom('admin', 'a1'), { code: 'COLONY_USAGE', message: /a1 is alice's: an admin booms it with `boom a1 --reason TEXT`/ }, 'an admin must say why');
  await t.rejects(w.grid.boom('admin', 'a1', { reason: '  ' }), { code: 'COLONY_INVALID' });
  t.same(boomed, [], 'nothing was boomed by the refusals');

  const r = await w.grid.boom('admin', 'a1', { reason: 'holding every slot for a week' });
  t.match(r, { name: 'a1', owner: 'alice', unsaved: true });
  t.same(boomed, ['a1'], 'the boom hooks ran (9P clients are cut off there)');
  t.throws(() => w.grid.attach(s.aname), { code: 'COLONY_AUTH' }, 'the token is revoked');
  const warn = log.lines.filter((l) => l.level === 'warn' && l.msg === 'environment boomed by an admin');
  t.equal(warn.length, 1);
  t.match(warn[0], { env: 'a1', owner: 'alice', admin: 'admin', reason: 'holding every slot for a week', unsaved: true });

  const notes = w.grid.notices('alice');
  t.equal(notes.length, 1);
  t.match(notes[0], { env: 'a1', owner: 'alice', by: 'admin', reason: 'holding every slot for a week', unsaved: true });
  t.same(w.grid.notices('bob'), [], 'only the owner is told');
  t.same(w.grid.notices('admin'), []);

  await w.reopen();
  t.same(w.grid.status('alice'), [], 'the disk environment does not come back');
  t.match(w.grid.notices('alice'), [{ env: 'a1', reason: 'holding every slot for a week' }], 'the notice survives a restart');
});

t.test('an admin booming their own environment, or a user theirs, needs no reason and leaves no notice', async (t) => {
  const w = await openWorld(t);
  await w.grid.spawn('admin', 'alice/debian', { cache: 'ram', as: 'mine' });
  await w.grid.spawn('alice', 'debian', { cache: 'ram', as: 'hers' });
  t.same(await w.grid.boom('admin', 'mine'), { name: 'mine', unsaved: false });
  t.same(await w.grid.boom('alice', 'hers', { reason: 'done' }), { name: 'hers', unsaved: false });
  t.same(w.grid.notices('admin'), []);
  t.same(w.grid.notices('alice'), []);
});

t.test('reasons are one short line; notices are bounded per owner', async (t) => {
  t.equal(checkReason('  disk full  '), 'disk full');
  t.throws(() => checkReason(''), { code: 'COLONY_INVALID' });
  t.throws(() => checkReason('x'.repeat(201)), { code: 'COLONY_INVALID', message: /at most 200/ });
  t.throws(() => checkReason('two\nlines'), { code: 'COLONY_INVALID', message: /one line/ });
  t.throws(() => checkReason('bell\x07'), { code: 'COLONY_INVALID' });
  const w = await openWorld(t, { perUser: 100, perNode: 100 });
  for (let i = 0; i < NOTICES_PER_USER + 3; i++) {
    await w.grid.spawn('alice', 'plain', { cache: 'ram', as: `p${i}` });
    await w.grid.boom('admin', `p${i}`, { reason: `number ${i}` });
  }
  const notes = w.grid.notices('alice');
  t.equal(notes.length, NOTICES_PER_USER, 'at most NOTICES_PER_USER are kept');
  t.equal(notes[0]!.reason, `number ${NOTICES_PER_USER + 2}`, 'newest first');
});

t.test('removing a user: their tokens reach nothing at once; boomAllOf booms only theirs', async (t) => {
  const w = await openWorld(t);
  const log = await withLog(w);
  const a1 = await w.grid.spawn('alice', 'debian', { cache: 'ram', as: 'a1' });
  const a2 = await w.grid.spawn('alice', 'plain', { cache: 'disk', as: 'a2' });
  await w.catalog.grant('alice', 'plain', 'bob');
  const b1 = await w.grid.spawn('bob', 'alice/plain', { cache: 'ram', as: 'b1' });
  t.same(w.grid.ownedBy('alice'), ['a1', 'a2']);
  const boomed: string[] = [];
  w.grid.onBoom((e) => boomed.push(e.name));

  await t.rejects(w.grid.boomAllOf('bob', 'alice', 'no'), { code: 'COLONY_PERMISSION' }, 'only an admin');
  await w.catalog.removeUser('alice');
  t.throws(() => w.grid.attach(a1.aname), { code: 'COLONY_AUTH' }, 'a removed user\'s token is refused before any boom');
  t.throws(() => w.grid.attach(a2.aname), { code: 'COLONY_AUTH' });
  const r = await w.grid.boomAllOf('admin', 'alice', 'user alice removed by admin');
  t.same(r.map((x) => x.name), ['a1', 'a2']);
  t.same(boomed, ['a1', 'a2'], 'their 9P clients are cut off through the boom hooks');
  t.same(w.grid.ownedBy('alice'), []);
  t.same(w.grid.notices('alice'), [], 'the notices of a removed user go with them');
  t.equal(w.grid.attach(b1.aname).name, 'b1', 'bob\'s environment runs on');
  t.equal(log.lines.filter((l) => l.msg === 'environment boomed by an admin' && l.owner === 'alice' && l.reason === 'user alice removed by admin').length, 2);
});

t.test('environments of a user removed while the grid was down are boomed when it opens', async (t) => {
  const w = await openWorld(t);
  await w.grid.spawn('alice', 'debian', { cache: 'disk', as: 'a-disk' });
  await w.grid.close();
  await w.catalog.removeUser('alice');
  const log = new MemoryLog();
  w.grid = await Grid.open({ data: w.data, store: w.store, catalog: w.catalog, log, limits: { checkpointMs: 0 } });
  t.same(w.grid.status('admin'), [], 'the orphan did not come back');
  t.ok(log.lines.some((l) => l.level === 'warn' && l.env === 'a-disk' && /owner was removed/.test(l.msg)));
  await w.reopen();
  t.same(w.grid.status('admin'), [], 'and its record is gone');
});

t.test('the checkpoint timer booms environments of a user removed behind the grid\'s back', async (t) => {
  const w = await openWorld(t);
  await withLog(w, { checkpointMs: 20 });
  await w.grid.spawn('alice', 'debian', { cache: 'ram', as: 'a1' });
  await w.catalog.removeUser('alice');
  let left = 1;
  for (let i = 0; i < 500 && left > 0; i++) {
    await new Promise((r) => setTimeout(r, 20));
    left = w.grid.status('admin').length;
  }
  t.equal(left, 0, 'a1 was boomed');
});
