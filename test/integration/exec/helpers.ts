// A grid with alice's environment `debian` running (bob invited), and an executor whose
// roots are plain host directories (the host has no 9p and no cgroup controllers; the real
// v9fs and cgroup path runs in the QEMU guest). The root holds the host's /usr, bound
// read-only, Debian's merged-/usr links, an /etc with root, alice and bob, and a 0600 file
// of root's; bob is uid 65534 here so that the host's nobody reads what he may.
import { chmod, mkdir, rmdir, symlink, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { removeTree } from '../../../appliance/exec/cgroup.js';
import { join } from 'node:path';
import type { Test } from 'tap';
import { dirFs, openExecutor, type Executor } from '../../../appliance/exec/index.js';
import { defaultMountDir } from '../../../appliance/exec/executor.js';
import { tmpDir } from '../../helpers/tmp.js';
import { openWorld, type GridWorld } from '../grid/helpers.js';
import type { ExecProcess, ExitStatus } from '../../../appliance/exec/index.js';

export const BOB_UID = 65534;

// bubblewrap is Debian's package, not always installed on a fresh machine: get it the way
// the product's scripts do (the executor itself only names the package when it is missing).
execFileSync(new URL('../../../scripts/ensure-apt.sh', import.meta.url).pathname, ['bubblewrap'], { stdio: 'inherit', timeout: 600_000 });

export async function makeRoot(t: Test): Promise<string> {
  // 0700 on purpose, as a data directory is: the sandbox reaches the root through the
  // executor's own (traversable) mount directory, never through this path.
  const base = await tmpDir(t, 'colony-exec-');
  await chmod(base, 0o700);
  const root = join(base, 'root');
  for (const d of ['usr', 'etc', 'root', 'home/bob', 'proc', 'dev', 'tmp']) await mkdir(join(root, d), { recursive: true });
  for (const l of ['bin', 'sbin', 'lib', 'lib64']) await symlink(`usr/${l}`, join(root, l));
  await writeFile(join(root, 'etc/passwd'), `root:x:0:0:root:/root:/bin/sh\nbob:x:${BOB_UID}:${BOB_UID}::/home/bob:/bin/sh\n`);
  await writeFile(join(root, 'etc/group'), `root:x:0:\nsudo:x:27:bob\nbob:x:${BOB_UID}:\n`);
  await writeFile(join(root, 'root/secret'), 'only root\n', { mode: 0o600 });
  await writeFile(join(root, 'etc/os-release'), 'NAME="colony test root"\n');
  await chmod(join(root, 'home/bob'), 0o755);
  execFileSync('mount', ['--bind', '-o', 'ro', '/usr', join(root, 'usr')]);
  t.teardown(() => { try { execFileSync('umount', ['-l', join(root, 'usr')]); } catch { /* gone */ } });
  return root;
}

export interface ExecWorld { w: GridWorld; ex: Executor; root: string; cgroup?: string }

/**
 * A cgroup2 hierarchy the host lets us make groups in (this host's has no controllers, so no
 * limits: the session leaves, cgroup.kill and cgroup.events are what gets tested), or undefined.
 */
export const CGROUP2_TEST_PARENT = ['/sys/fs/cgroup/unified', '/sys/fs/cgroup'].find((d) => existsSync(join(d, 'cgroup.procs')) && existsSync(join(d, 'cgroup.subtree_control')));

/** Sessions found by process ancestry (no cgroups), or in cgroup leaves when the host allows. */
export const MODES: Array<'ancestry' | 'cgroup'> = CGROUP2_TEST_PARENT ? ['ancestry', 'cgroup'] : ['ancestry'];

export async function openExecWorld(t: Test, mode: 'ancestry' | 'cgroup' = 'ancestry'): Promise<ExecWorld> {
  const w = await openWorld(t);
  await w.grid.spawn('alice', 'debian', { cache: 'ram' });
  await w.grid.invite('alice', 'bob', 'debian');
  const root = await makeRoot(t);
  let cgroup: string | undefined;
  if (mode === 'cgroup') {
    cgroup = join(CGROUP2_TEST_PARENT!, `colony-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
    mkdirSync(cgroup);
    t.teardown(() => removeTree(cgroup!));
  }
  const ex = await openExecutor({
    grid: w.grid, data: w.data, socketPath: join(w.data, '9p.sock'),
    limitsFor: () => ({ memoryBytes: 256 << 20, pids: 100, cpuPercent: 100 }),
    testing: { root: async () => ({ dir: root, fs: dirFs(root) }), ...(cgroup ? { cgroups: cgroup } : {}) },
  });
  t.teardown(async () => { await ex.close(); await rmdir(defaultMountDir(w.data)).catch(() => {}); });
  return { w, ex, root, ...(cgroup ? { cgroup } : {}) };
}

/** Collects a process's output and status. */
export async function collect(p: ExecProcess): Promise<{ out: string; err: string; status: ExitStatus }> {
  let out = '', err = '';
  p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  p.stderr?.on('data', (d: Buffer) => { err += d.toString(); });
  const ended = (s: NodeJS.ReadableStream | undefined) => s ? new Promise<void>((r) => { s.on('end', r); s.on('close', r); s.on('error', () => r()); }) : Promise.resolve();
  p.stdin.end();
  const status = await p.exited;
  await Promise.race([Promise.all([ended(p.stdout), ended(p.stderr)]), new Promise((r) => setTimeout(r, 3000))]);
  return { out, err, status };
}

/** Waits (bounded) until `pred` holds. */
export async function until(pred: () => Promise<boolean> | boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) { if (await pred()) return true; await new Promise((r) => setTimeout(r, 25)); }
  return false;
}
