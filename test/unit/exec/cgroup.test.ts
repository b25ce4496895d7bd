// The cgroup layout and an environment's group, as data.
import t from 'tap';
import { cpuMax, planEnvGroup, planLayout } from '../../../appliance/exec/cgroup.js';

t.test('under systemd: the supervisor moves into a leaf, environments beside it', async (t) => {
  const l = planLayout('/sys/fs/cgroup', '/system.slice/colony.service');
  t.equal(l.base, '/sys/fs/cgroup/system.slice/colony.service');
  t.equal(l.envs, '/sys/fs/cgroup/system.slice/colony.service/environments');
  t.same(l.steps, [
    { op: 'mkdir', path: `${l.base}/supervisor` },
    { op: 'move-all', from: l.base, to: `${l.base}/supervisor` },
    { op: 'write', path: `${l.base}/cgroup.subtree_control`, value: '+memory +pids +cpu' },
    { op: 'mkdir', path: l.envs },
    { op: 'write', path: `${l.envs}/cgroup.subtree_control`, value: '+memory +pids +cpu' },
  ]);
  t.same(planLayout('/sys/fs/cgroup', '/system.slice/colony.service/supervisor/'), l, 'a supervisor already in its leaf keeps the base');
});

t.test('in the root cgroup: environments under /colony', async (t) => {
  const l = planLayout('/sys/fs/cgroup', '/');
  t.equal(l.envs, '/sys/fs/cgroup/colony');
  t.same(l.steps.map((s) => s.op), ['write', 'mkdir', 'write']);
  t.notOk(l.steps.some((s) => s.op === 'move-all'), 'the root cgroup may hold processes');
});

t.test('an environment\'s group carries its limits', async (t) => {
  t.same(planEnvGroup('/cg/envs', 'cgroup.procs', { memoryBytes: 512 * 2 ** 20, pids: 256, cpuPercent: 150 }), [
    { op: 'mkdir', path: '/cg/envs/env-cgroup.procs' },
    { op: 'write', path: '/cg/envs/env-cgroup.procs/memory.max', value: String(512 * 2 ** 20) },
    { op: 'write', path: '/cg/envs/env-cgroup.procs/memory.swap.max', value: '0', optional: true },
    { op: 'write', path: '/cg/envs/env-cgroup.procs/pids.max', value: '256' },
    { op: 'write', path: '/cg/envs/env-cgroup.procs/cpu.max', value: '150000 100000' },
  ]);
  const unbounded = planEnvGroup('/e', 'x', { memoryBytes: 0, pids: Infinity, cpuPercent: 0 });
  t.same(unbounded.filter((s) => s.op === 'write' && !s.optional).map((s) => s.op === 'write' && s.value), ['max', 'max', 'max 100000']);
});

t.test('cpu.max from a percentage of one CPU', async (t) => {
  t.equal(cpuMax(100), '100000 100000');
  t.equal(cpuMax(50), '50000 100000');
  t.equal(cpuMax(0.1), '1000 100000', 'the kernel\'s minimum quota');
  t.equal(cpuMax(-1), 'max 100000');
});
