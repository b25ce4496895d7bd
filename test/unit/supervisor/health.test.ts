// How a reader judges health.json: as data, and against real processes.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { judgeHealth, processAlive, processStart, readHealth, type HealthFile } from '../../../appliance/supervisor/health.js';
import { tmpDir } from '../../helpers/tmp.js';

const file = (state: HealthFile['state']): HealthFile => ({ state, pid: 42, started: 'x', updated: 'y' });

t.test('a state that claims a running process needs one', async (t) => {
  const cases: Array<[HealthFile['state'], boolean, string]> = [
    ['booting', true, 'booting'], ['booting', false, 'dead'],
    ['ready', true, 'ready'], ['ready', false, 'dead'],
    ['stopping', true, 'stopping'], ['stopping', false, 'dead'],
    ['stopped', false, 'stopped'], ['error', false, 'error'], ['stopped', true, 'stopped'],
  ];
  for (const [state, alive, want] of cases) t.match(judgeHealth(file(state), alive), { state: want, written: state, alive }, `${state}, alive ${alive}`);
});

t.test('processAlive: this process, a dead one, a reused pid', async (t) => {
  t.ok(processAlive(process.pid, processStart(process.pid)));
  t.ok(processAlive(process.pid, undefined));
  t.notOk(processAlive(process.pid, '1'), 'same pid, another start time: the pid was reused');
  t.notOk(processAlive(0, undefined));
  const child = spawn('sleep', ['30']);
  await once(child, 'spawn');
  const start = processStart(child.pid!);
  t.ok(processAlive(child.pid!, start));
  child.kill('SIGKILL');
  await once(child, 'close');
  t.notOk(processAlive(child.pid!, start));
});

t.test('readHealth: absent, unreadable, dead', async (t) => {
  const dir = await tmpDir(t);
  t.same(await readHealth(dir), { state: 'absent' });
  await writeFile(join(dir, 'health.json'), '{"half":');
  t.match(await readHealth(dir), { state: 'unreadable', error: /not a health record/ });
  const child = spawn('true');
  await once(child, 'close');
  await writeFile(join(dir, 'health.json'), JSON.stringify({ ...file('ready'), pid: child.pid }));
  t.match(await readHealth(dir), { state: 'dead', written: 'ready', alive: false });
});
