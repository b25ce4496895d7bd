// Disk environments survive a restart: their record and newest checkpoint bring them back
// with the same token. Ram environments are gone, and their base is untouched.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { formatScore } from '../../../appliance/store/index.js';
import { getFile, openWorld, putFile } from './helpers.js';

t.test('a disk environment survives a grid close and reopen', async (t) => {
  const w = await openWorld(t);
  const s = await w.grid.spawn('alice', 'debian', { cache: 'disk' });
  await putFile(w.grid.environment('alice', 'debian').volume, 'notes.txt', 'kept across restarts\n');
  await w.reopen();
  const [st] = w.grid.status('alice');
  t.equal(st?.name, 'debian');
  t.equal(st?.kind, 'disk');
  t.equal(st?.aname, s.aname, 'the same token reaches it');
  t.equal(st?.base.name, 'debian');
  t.equal(st?.base.root, formatScore(w.roots.debian));
  t.ok(st?.unsaved, 'still unsaved: a checkpoint is not a save');
  t.not(st?.head, st?.base.root);
  t.equal(await getFile(w.grid.environment('alice', 'debian').volume, 'notes.txt'), 'kept across restarts\n');
  t.ok(w.grid.attach(s.aname));
  const rec = JSON.parse(await readFile(join(w.data, 'envs', 'debian.json'), 'utf8')) as Record<string, unknown>;
  t.same(Object.keys(rec).sort(), ['base', 'checkpointed', 'created', 'head', 'kind', 'name', 'owner', 'token', 'unsaved', 'version']);
  t.equal(rec.head, st?.head);

  await w.grid.save('alice', 'debian', 'debian-2');
  await w.reopen();
  const [again] = w.grid.status('alice');
  t.equal(again?.base.name, 'debian-2', 'the saved name is the base after a restart');
  t.notOk(again?.unsaved);
});

t.test('a ram environment is gone after a restart; its base is untouched', async (t) => {
  const w = await openWorld(t);
  await w.grid.spawn('alice', 'debian', { cache: 'ram' });
  await putFile(w.grid.environment('alice', 'debian').volume, 'hello.txt', 'scribbled\n');
  await w.reopen();
  t.same(w.grid.status('admin'), []);
  t.same(w.catalog.getName('alice', 'debian').root, w.roots.debian);
  await w.grid.spawn('alice', 'debian', { cache: 'ram' });
  t.equal(await getFile(w.grid.environment('alice', 'debian').volume, 'hello.txt'), 'hello from the base\n');
});

t.test('checkpoints: on demand (Tfsync), by the timer, and skipped when nothing changed', async (t) => {
  const w = await openWorld(t, { checkpointMs: 20 });
  await w.grid.spawn('alice', 'debian', { cache: 'disk' });
  const env = w.grid.environment('alice', 'debian');
  const first = env.head;
  t.same(await w.grid.checkpoint('debian'), first, 'nothing changed: no new tree');
  await putFile(env.volume, 'n', '1');
  const forced = await w.grid.checkpoint('debian');
  t.notSame(forced, first);
  const rec = () => readFile(join(w.data, 'envs', 'debian.json'), 'utf8').then((x) => (JSON.parse(x) as { head: string }).head);
  t.equal(await rec(), formatScore(forced));
  await putFile(env.volume, 'n', '2');
  // The timer (20 ms here) takes the next checkpoint; wait for it, bounded.
  let head = await rec();
  for (let i = 0; i < 200 && head === formatScore(forced); i++) {
    await new Promise((r) => setTimeout(r, 10));
    head = await rec();
  }
  t.not(head, formatScore(forced), 'the timer checkpointed the change');
  await t.rejects(w.grid.checkpoint('nonesuch'), { code: 'COLONY_NOT_FOUND' });
});

t.test('a record whose head is missing is logged and kept, not fatal', async (t) => {
  const w = await openWorld(t);
  await w.grid.spawn('alice', 'debian', { cache: 'disk' });
  await w.grid.close();
  const file = join(w.data, 'envs', 'debian.json');
  const rec = JSON.parse(await readFile(file, 'utf8')) as { head: string };
  const { writeFile } = await import('node:fs/promises');
  await writeFile(file, JSON.stringify({ ...rec, head: `b3:${'00'.repeat(31)}01` }));
  const grid = await w.reopen();
  t.same(grid.status('admin'), []);
  t.ok(await readFile(file, 'utf8'), 'the record stays for the operator');
});
