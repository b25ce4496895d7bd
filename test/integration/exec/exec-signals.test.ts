// Signals reach the command (never bwrap's own processes); a hang-up kills what outlives it;
// processes() lists an environment's processes to those who may see them; boom kills them all.
import t from 'tap';
import { readdir } from 'node:fs/promises';
import { childGroups } from '../../../appliance/exec/cgroup.js';
import { collect, MODES, openExecWorld, until } from './helpers.js';

for (const mode of MODES) {
t.test(`sessions found by ${mode}`, async (t) => {

t.test('a signal reaches a sleeping command; the status is 128 + its number', async (t) => {
  const { ex } = await openExecWorld(t, mode);
  const p = await ex.start('alice', 'debian', { argv: ['sleep', '30'] });
  t.ok(await until(async () => (await ex.processes('alice')).some((x) => x.name === 'sleep')), 'sleep is listed');
  p.signal('SIGTERM');
  const r = await collect(p);
  t.equal(r.status.status, 128 + 15);
  t.same(await ex.processes('alice'), [], 'nothing left');
});

t.test('a shell that traps INT sees it', async (t) => {
  const { ex } = await openExecWorld(t, mode);
  const p = await ex.start('alice', 'debian', { command: 'trap "echo got INT; exit 7" INT; echo ready; while :; do sleep 0.05; done' });
  let out = '';
  p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  t.ok(await until(() => out.includes('ready')));
  p.signal('SIGINT');
  t.equal((await p.exited).status, 7);
  t.ok(await until(() => out.includes('got INT')));
});

t.test('processes: what is listed, to whom; kill takes only a listed pid', async (t) => {
  const { ex } = await openExecWorld(t, mode);
  const a = await ex.start('alice', 'debian', { argv: ['sleep', '30'] });
  const b = await ex.start('bob', 'debian', { argv: ['sleep', '31'] });
  t.ok(await until(async () => (await ex.processes('alice')).filter((x) => x.name === 'sleep').length === 2));
  const list = await ex.processes('alice');
  t.same(list.map((x) => [x.env, x.owner, x.name, x.cmdline.join(' '), x.uid, x.session]).sort(), [
    ['debian', 'alice', 'sleep', 'sleep 30', 0, a.id], ['debian', 'alice', 'sleep', 'sleep 31', 65534, b.id],
  ].sort());
  t.notOk(list.some((x) => x.name === 'bwrap'), 'bubblewrap\'s own processes are not shown');
  t.ok(list.every((x) => x.rssBytes > 0 && x.state.length === 1));
  t.equal((await ex.processes('bob')).length, 2, 'an invited user sees the environment');
  t.same(await ex.processes('carol'), [], 'others see nothing');
  t.equal((await ex.processes('admin')).length, 2, 'an admin sees all');
  await t.rejects(ex.kill('carol', 'debian', list[0]!.pid), { code: 'COLONY_PERMISSION' });
  await t.rejects(ex.kill('alice', 'debian', process.pid), { code: 'COLONY_NOT_FOUND' }, 'not one of the environment\'s');
  await ex.kill('alice', 'debian', list.find((x) => x.cmdline[1] === '30')!.pid);
  t.equal((await a.exited).status, 128 + 9);
  await ex.kill('bob', 'debian', list.find((x) => x.cmdline[1] === '31')!.pid, 'SIGTERM');
  t.equal((await b.exited).status, 128 + 15);
});

t.test('a hang-up: SIGHUP first, and what ignores it is killed after the grace period', async (t) => {
  const { ex } = await openExecWorld(t, mode);
  const p = await ex.start('alice', 'debian', { command: 'trap "" HUP; echo ready; sleep 30' });
  let out = '';
  p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  t.ok(await until(() => out.includes('ready')));
  const t0 = Date.now();
  p.hangup();
  const st = await p.exited;
  t.ok(Date.now() - t0 >= 1500, 'after the grace period');
  t.equal(st.signal, 'SIGKILL');
  t.same(await ex.processes('alice'), []);
});

t.test('boom kills every process of the environment before it is forgotten', async (t) => {
  const { ex, w, cgroup } = await openExecWorld(t, mode);
  const p = await ex.start('alice', 'debian', { command: 'sleep 30 & sleep 30' });
  t.ok(await until(async () => (await ex.processes('alice')).length >= 2));
  await w.grid.boom('alice', 'debian');
  t.equal((await p.exited).signal, 'SIGKILL');
  if (cgroup) t.same(await childGroups(cgroup), [], 'the environment\'s group is gone');
  t.same(await ex.processes('alice'), []);
  await t.rejects(ex.start('alice', 'debian', { command: 'true' }), { code: 'COLONY_NOT_FOUND' });
});

t.test('a finished session leaves no cgroup behind', { skip: mode !== 'cgroup' }, async (t) => {
  const { ex, cgroup } = await openExecWorld(t, mode);
  const p = await ex.start('alice', 'debian', { command: 'sleep 0.2 & echo $$' });
  const r = await collect(p);
  t.equal(r.status.status, 0);
  t.same(await readdir(`${cgroup}/env-debian`).then((l) => l.filter((x) => /^s\d+$/.test(x))), [], 'the leaf is gone');
});
});
}
