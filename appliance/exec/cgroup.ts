// Where environments' processes live in cgroup v2, and the limits on them. planLayout and
// planEnvGroup are pure (tested as data); Cgroups applies them and kills groups.
//
// Layout: `base` is the supervisor's own cgroup. cgroup v2 lets a group that hands
// controllers to its children hold no processes itself (the no-internal-processes rule),
// so when base is not the root, the supervisor moves into base/supervisor and the
// environments go under base/environments; at the root (exempt from the rule) they go
// under /colony. One group per environment carries its limits (env-NAME: a name such as
// `cgroup.x` would clash with the kernel's files); processes live only in one leaf per
// session inside it (sN), so a session can be signalled and killed alone.
//
// Concurrency: setup() runs once before any group is made; envGroup/sessionLeaf/kill for one
// environment are called under the executor's per-environment lock.
import { mkdir, readFile, rmdir, writeFile, access, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ColonyError } from '../errors.js';
import { CONTROLLERS } from './probe.js';

export interface Limits { memoryBytes: number; pids: number; cpuPercent: number }

export type CgroupStep =
  | { op: 'mkdir'; path: string }
  | { op: 'write'; path: string; value: string; optional?: boolean }
  /** Move every process listed in `from`/cgroup.procs into `to`/cgroup.procs. */
  | { op: 'move-all'; from: string; to: string };

export interface Layout { base: string; envs: string; steps: CgroupStep[] }

const ENABLE = CONTROLLERS.map((c) => `+${c}`).join(' ');

/**
 * The layout for a supervisor whose cgroup (the `0::` line of /proc/self/cgroup) is `self`,
 * with cgroup2 mounted at `mount`. A supervisor restarted inside base/supervisor (not by
 * systemd, which starts it in base) keeps base.
 */
export function planLayout(mount: string, self: string): Layout {
  const clean = self.replace(/\/+$/, '') || '/';
  if (clean === '/') {
    const envs = join(mount, 'colony');
    return { base: mount, envs, steps: [
      { op: 'write', path: join(mount, 'cgroup.subtree_control'), value: ENABLE },
      { op: 'mkdir', path: envs },
      { op: 'write', path: join(envs, 'cgroup.subtree_control'), value: ENABLE },
    ] };
  }
  const baseRel = clean.endsWith('/supervisor') ? clean.slice(0, -'/supervisor'.length) || '/' : clean;
  const base = join(mount, baseRel);
  const leaf = join(base, 'supervisor');
  const envs = join(base, 'environments');
  return { base, envs, steps: [
    { op: 'mkdir', path: leaf },
    { op: 'move-all', from: base, to: leaf },
    { op: 'write', path: join(base, 'cgroup.subtree_control'), value: ENABLE },
    { op: 'mkdir', path: envs },
    { op: 'write', path: join(envs, 'cgroup.subtree_control'), value: ENABLE },
  ] };
}

/** cgroup v2's cpu.max for a share of one CPU in percent (200 = two CPUs); 0 or less: no bound. */
export function cpuMax(percent: number, period = 100_000): string {
  if (!(percent > 0)) return `max ${period}`;
  return `${Math.max(1000, Math.round((percent / 100) * period))} ${period}`;
}

export const envGroupName = (env: string) => `env-${env}`;
export const sessionLeafName = (id: number) => `s${id}`;

/** The steps that make an environment's group with its limits (memory.swap.max only where swap accounting exists). */
export function planEnvGroup(envs: string, env: string, limits: Limits): CgroupStep[] {
  const g = join(envs, envGroupName(env));
  const bound = (n: number) => (n > 0 && Number.isFinite(n) ? String(Math.floor(n)) : 'max');
  return [
    { op: 'mkdir', path: g },
    { op: 'write', path: join(g, 'memory.max'), value: bound(limits.memoryBytes) },
    { op: 'write', path: join(g, 'memory.swap.max'), value: '0', optional: true },
    { op: 'write', path: join(g, 'pids.max'), value: bound(limits.pids) },
    { op: 'write', path: join(g, 'cpu.max'), value: cpuMax(limits.cpuPercent) },
  ];
}

const exists = (p: string) => access(p).then(() => true, () => false);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const cgErr = (what: string, err: unknown) => new ColonyError('COLONY_IO', `cgroup: ${what}: ${(err as Error).message}`, { cause: err });

export async function applySteps(steps: CgroupStep[]): Promise<void> {
  for (const s of steps) {
    if (s.op === 'mkdir') { await mkdir(s.path, { recursive: true }).catch((err) => { throw cgErr(`making ${s.path}`, err); }); continue; }
    if (s.op === 'write') {
      if (s.optional && !(await exists(s.path))) continue;
      await writeFile(s.path, s.value).catch((err) => { throw cgErr(`writing ${s.value} to ${s.path}`, err); });
      continue;
    }
    // Bounded: a process forking in base while we move could keep it busy; 20 passes is plenty for a supervisor's own.
    for (let i = 0; i < 20; i++) {
      const pids = await procsOf(s.from);
      if (!pids.length) break;
      for (const pid of pids) await writeFile(join(s.to, 'cgroup.procs'), String(pid)).catch(() => {}); // gone meanwhile
    }
  }
}

/** The pids in one group (not its descendants). */
export async function procsOf(dir: string): Promise<number[]> {
  const text = await readFile(join(dir, 'cgroup.procs'), 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean).map(Number);
}

/** Whether a group and its descendants hold no process (cgroup.events `populated 0`); a missing group is empty. */
export async function isEmpty(dir: string): Promise<boolean> {
  const text = await readFile(join(dir, 'cgroup.events'), 'utf8').catch(() => 'populated 0');
  return /^populated 0$/m.test(text);
}

/** Waits (bounded) until the group is empty. */
export async function waitEmpty(dir: string, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
    if (await isEmpty(dir)) return true;
    if (Date.now() > until) return false;
    await sleep(delay);
  }
}

/**
 * Kills every process of a group and its descendants (cgroup.kill, Linux 5.14; older kernels
 * get SIGKILL per pid, a few passes), waits until it is empty (bounded), and removes it.
 */
export async function killGroup(dir: string, ms = 5000): Promise<boolean> {
  if (!(await exists(dir))) return true;
  const killed = await writeFile(join(dir, 'cgroup.kill'), '1').then(() => true, () => false);
  if (!killed) {
    for (let i = 0; i < 5 && !(await isEmpty(dir)); i++) {
      for (const pid of await allProcs(dir)) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
      await sleep(20);
    }
  }
  const empty = await waitEmpty(dir, ms);
  await removeTree(dir);
  return empty;
}

/** Every pid in a group and its descendants. */
export async function allProcs(dir: string): Promise<number[]> {
  const out = await procsOf(dir);
  for (const d of await childGroups(dir)) out.push(...await allProcs(join(dir, d)));
  return out;
}

export async function childGroups(dir: string): Promise<string[]> {
  return (await readdir(dir, { withFileTypes: true }).catch(() => [])).filter((d) => d.isDirectory()).map((d) => d.name);
}

/**
 * Removes a group's empty descendants, then the group (rmdir: cgroups are never rm -r'd).
 * A group whose last processes are still exiting answers EBUSY for a moment after
 * `populated 0`: retried, bounded (about a second).
 */
export async function removeTree(dir: string): Promise<void> {
  for (const d of await childGroups(dir)) await removeTree(join(dir, d));
  for (let i = 0; i < 20; i++) {
    const code = await rmdir(dir).then(() => undefined, (err: NodeJS.ErrnoException) => err.code);
    if (code !== 'EBUSY') return;
    await sleep(Math.min(10 * (i + 1), 100));
  }
}
