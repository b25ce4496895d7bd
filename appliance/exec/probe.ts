// Whether this node can run processes inside environments, and if not, the one line that
// says what is missing. planAvailability is pure (tested as data); gatherFacts reads the
// system. A node without these keeps serving files: only `cpu`, xcpu and the like refuse.
import { execFile } from 'node:child_process';
import { access, constants, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The cgroup v2 controllers each environment's group uses. */
export const CONTROLLERS = ['memory', 'pids', 'cpu'] as const;

export interface ExecFacts {
  root: boolean;
  /** Absolute paths of the tools, or undefined when not found. */
  bwrap: string | undefined;
  setpriv: string | undefined;
  mount: string | undefined;
  modprobe: string | undefined;
  /** Whether /proc/filesystems lists 9p (after `modprobe 9p` where modprobe exists). */
  ninep: boolean;
  /** Where cgroup2 is mounted, or undefined. */
  cgroup2: string | undefined;
  /** The controllers available in the supervisor's own cgroup (its cgroup.controllers). */
  controllers: string[];
}

/** Undefined when everything is there; otherwise one line naming what is missing (the first thing). */
export function planAvailability(f: ExecFacts): string | undefined {
  if (!f.root) return 'cpu needs the supervisor to run as root (it mounts environments and starts namespaces)';
  if (!f.bwrap) return 'cpu needs bubblewrap: install the Debian package bubblewrap';
  if (!f.setpriv) return 'cpu needs setpriv from util-linux: install the Debian package util-linux';
  if (!f.mount) return 'cpu needs mount: install the Debian package mount';
  // kmod is not in a minimal Debian (priority important): without it the module cannot be loaded.
  if (!f.ninep && !f.modprobe) return 'cpu needs the kernel\'s 9p filesystem (v9fs): the module 9p is not loaded, and there is no modprobe to load it: install the Debian package kmod';
  if (!f.ninep) return 'cpu needs the kernel\'s 9p filesystem (v9fs), and this kernel has none (the module 9p is not loaded and modprobe 9p did not load it)';
  if (!f.cgroup2) return 'cpu needs cgroup v2, and no cgroup2 filesystem is mounted';
  const missing = CONTROLLERS.filter((c) => !f.controllers.includes(c));
  if (missing.length) return `cpu needs the cgroup v2 controller${missing.length > 1 ? 's' : ''} ${missing.join(', ')}, not available to the supervisor's cgroup`;
  return undefined;
}

const BIN_DIRS = ['/usr/bin', '/usr/sbin', '/bin', '/sbin', '/usr/local/bin', '/usr/local/sbin'];

/** The first executable `name` in the usual system directories (not $PATH: the supervisor's may be odd). */
export async function findTool(name: string): Promise<string | undefined> {
  for (const dir of BIN_DIRS) {
    const p = join(dir, name);
    if (await access(p, constants.X_OK).then(() => true, () => false)) return p;
  }
  return undefined;
}

const has9p = async () => /\s9p\s*$/m.test(await readFile('/proc/filesystems', 'utf8').catch(() => ''));

/** The cgroup2 mount point, from mountinfo text (pure). */
export function cgroup2MountOf(mountinfo: string): string | undefined {
  for (const line of mountinfo.split('\n')) {
    const [pre, post] = line.split(' - ');
    if (!pre || !post || post.split(' ')[0] !== 'cgroup2') continue;
    return unescapeMount(pre.split(' ')[4]!);
  }
  return undefined;
}

/** The cgroup v2 path of a process, from /proc/PID/cgroup text (pure): the `0::PATH` line. */
export function cgroup2PathOf(text: string): string | undefined {
  const line = text.split('\n').find((l) => l.startsWith('0::'));
  return line ? line.slice(3) || '/' : undefined;
}

/** mountinfo escapes space, tab, newline and backslash as octal. */
export const unescapeMount = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

function run(file: string, args: string[], ms = 10_000): Promise<boolean> {
  return new Promise((resolve) => { execFile(file, args, { timeout: ms }, (err) => resolve(!err)); });
}

export async function gatherFacts(): Promise<ExecFacts> {
  const [bwrap, setpriv, mount, modprobe] = await Promise.all(['bwrap', 'setpriv', 'mount', 'modprobe'].map(findTool));
  const root = process.getuid?.() === 0;
  let ninep = await has9p();
  if (!ninep && root && modprobe) {
    // 9pnet_fd carries trans=unix; the kernel would also load it on the first mount.
    await run(modprobe, ['9p']);
    await run(modprobe, ['9pnet_fd']);
    ninep = await has9p();
  }
  const cgroup2 = cgroup2MountOf(await readFile('/proc/self/mountinfo', 'utf8').catch(() => ''));
  let controllers: string[] = [];
  if (cgroup2) {
    const self = cgroup2PathOf(await readFile('/proc/self/cgroup', 'utf8').catch(() => '')) ?? '/';
    controllers = (await readFile(join(cgroup2, self, 'cgroup.controllers'), 'utf8').catch(() => '')).split(/\s+/).filter(Boolean);
  }
  return { root, bwrap, setpriv, mount, modprobe, ninep, cgroup2, controllers };
}
