// What the node offers: a node without 9p (or cgroup controllers) says so in one line and
// refuses cpu with COLONY_UNSUPPORTED; mounts a killed supervisor left are cleaned on start.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { defaultMountDir } from '../../../appliance/exec/executor.js';
import { dirFs, openExecutor } from '../../../appliance/exec/index.js';
import { openWorld } from '../grid/helpers.js';
import { collect, makeRoot, openExecWorld } from './helpers.js';

const has9p = /\s9p$/m.test(readFileSync('/proc/filesystems', 'utf8'));

t.test('without 9p: one line, COLONY_UNSUPPORTED, and the grid keeps working', { skip: has9p && 'this kernel has 9p' }, async (t) => {
  const w = await openWorld(t);
  await w.grid.spawn('alice', 'debian', { cache: 'ram' });
  const ex = await openExecutor({ grid: w.grid, data: w.data, socketPath: join(w.data, '9p.sock'), limitsFor: () => ({ memoryBytes: 0, pids: 0, cpuPercent: 0 }) });
  t.teardown(() => ex.close());
  t.match(ex.unavailable, /^cpu needs the kernel's 9p filesystem \(v9fs\)[^\n]*$/);
  await t.rejects(ex.start('alice', 'debian', { command: 'true' }), { code: 'COLONY_UNSUPPORTED', message: ex.unavailable });
  t.same(await ex.processes('alice'), []);
  await w.grid.boom('alice', 'debian');
});

t.test('mounts left by a supervisor that died are unmounted when the next one starts', async (t) => {
  const { w, ex } = await openExecWorld(t);
  t.equal((await collect(await ex.start('alice', 'debian', { command: 'true' }))).status.status, 0);
  const dir = join(defaultMountDir(w.data), 'debian');
  const mounted = () => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === dir);
  t.ok(mounted(), 'mounted on the first process');
  // A second executor on the same data directory (as after a crash: the first never closed).
  const root = await makeRoot(t);
  const next = await openExecutor({
    grid: w.grid, data: w.data, socketPath: join(w.data, '9p.sock'), limitsFor: () => ({ memoryBytes: 0, pids: 0, cpuPercent: 0 }),
    testing: { root: async () => ({ dir: root, fs: dirFs(root) }) },
  });
  t.teardown(() => next.close());
  t.notOk(mounted(), 'cleaned on start');
  t.equal((await collect(await next.start('alice', 'debian', { command: 'cat /etc/os-release' }))).out, 'NAME="colony test root"\n');
  await w.grid.boom('alice', 'debian');
  t.notOk(mounted(), 'and unmounted by boom');
});
