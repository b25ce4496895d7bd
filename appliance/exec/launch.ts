// What is run to start a process inside an environment: planLaunch is pure (tested as data).
//
// The chain, each step exec'ing the next (one host process until bwrap forks):
//   /bin/sh -c 'umask 022 && echo $$ >"$1/cgroup.procs" && shift && exec "$@"' colony-exec LEAF
//     puts itself in the session's cgroup leaf before anything runs, so every descendant is
//     counted and killable there (that part is left out when cgroups are off, in host tests),
//     and sets the umask a login gets (the supervisor's own is 077, see colony.service);
//   [setpriv --reuid=U --regid=G --groups=…|--clear-groups --inh-caps=-all --]   invited users only
//   bwrap …  -- PROGRAM ARGS
// Why bubblewrap: it is Debian's small, audited setup tool for exactly this (pivot_root into
// a bind-mounted root, fresh /proc, minimal /dev, private /tmp, PID/IPC/UTS namespaces,
// capability control, die-with-parent), so Colony carries no namespace code of its own;
// util-linux `unshare` would need a hand-written pivot_root and mount sequence around it.
//
// The owner runs bwrap as real root (no user namespace: the kernel's v9fs then attaches as
// uid 0 and the 9P server gives root authority, as the environment is theirs) with Docker's
// default capability set less its two network ones: the root of a container, not of the
// appliance (no CAP_SYS_ADMIN, so no mounts; no CAP_SYS_MODULE, CAP_SYS_PTRACE,
// CAP_NET_ADMIN, CAP_SYS_TIME…). Docker gives each container its own network; here the
// network is the node's, where CAP_NET_RAW would let one user's root read every user's
// traffic (9P over TCP included) and CAP_NET_BIND_SERVICE would let it take the node's
// service ports. Device nodes it makes are inert: the root is mounted nodev, /tmp too.
// An invited user drops to their own uid with setpriv first, so bwrap runs unprivileged in
// a user namespace mapping that uid to itself: v9fs attaches as that uid and the 9P server
// checks that account's permissions.
import type { ExecTty } from './types.js';

/** Docker's default capabilities (moby oci/caps/defaults.go) less CAP_NET_RAW and CAP_NET_BIND_SERVICE (above), as bwrap names them. */
export const CONTAINER_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
] as const;

export const ROOT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
export const USER_PATH = '/usr/local/bin:/usr/bin:/bin:/usr/local/games:/usr/games';

/** The account a process runs as, from the environment's /etc/passwd and /etc/group. */
export interface Account { name: string; uid: number; gid: number; groups: number[]; home: string; shell: string }

export interface Tools { sh: string; bwrap: string; setpriv: string }

export interface LaunchInput {
  tools: Tools;
  /** The environment's name: the hostname inside. */
  env: string;
  /** Where the environment's root is mounted on the host. */
  root: string;
  /** The session's cgroup leaf; absent when cgroups are off. */
  leaf?: string;
  account: Account;
  /** True for the owner (root inside, bwrap privileged); false for an invited user. */
  owner: boolean;
  /** The program and its arguments as run inside (already resolved: see programOf). */
  argv: string[];
  cwd: string;
  tty?: ExecTty;
  /** The request's extra variables. */
  extraEnv?: Record<string, string>;
}

export interface LaunchPlan { file: string; args: string[]; env: Record<string, string> }

/** The argv inside: a login shell, the shell with -c COMMAND, or the program as given. */
export function programOf(account: Account, req: { command?: string; argv?: string[] }): string[] {
  if (req.argv?.length) return [...req.argv];
  if (req.command !== undefined) return [account.shell, '-c', req.command];
  return [account.shell, '-l'];
}

/** The environment variables the process starts with (the request's win over the base, except none may be empty-named). */
export function baseEnv(account: Account, owner: boolean, tty: ExecTty | undefined, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {
    PATH: owner ? ROOT_PATH : USER_PATH, HOME: account.home, USER: account.name, LOGNAME: account.name,
    SHELL: account.shell, LANG: 'C.UTF-8',
  };
  if (tty) env.TERM = tty.term || 'xterm';
  for (const [k, v] of Object.entries(extra)) if (k && !k.includes('=') && !k.includes('\0') && !v.includes('\0')) env[k] = v;
  return env;
}

export const JOIN_CGROUP = 'umask 022 && echo $$ >"$1/cgroup.procs" && shift && exec "$@"';
export const NO_CGROUP = 'umask 022 && exec "$@"';

export function planLaunch(p: LaunchInput): LaunchPlan {
  const bwrapArgs = [
    '--bind', p.root, '/',
    '--proc', '/proc',
    '--dev', '/dev',
    '--tmpfs', '/tmp',
    '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try',
    '--hostname', p.env,
    '--die-with-parent',
    // Without a terminal, a new session keeps the process from pushing input into one (TIOCSTI);
    // with one, the process must keep it as its controlling terminal.
    ...(p.tty ? [] : ['--new-session']),
    ...(p.owner ? ['--cap-drop', 'ALL', ...CONTAINER_CAPS.flatMap((c) => ['--cap-add', c])] : []),
    '--chdir', p.cwd,
    '--',
    ...p.argv,
  ];
  let chain: string[] = [p.tools.bwrap, ...bwrapArgs];
  if (!p.owner) {
    const a = p.account;
    const groups = a.groups.filter((g) => g !== a.gid);
    chain = [p.tools.setpriv, `--reuid=${a.uid}`, `--regid=${a.gid}`, groups.length ? `--groups=${groups.join(',')}` : '--clear-groups', '--inh-caps=-all', '--', ...chain];
  }
  chain = p.leaf ? [p.tools.sh, '-c', JOIN_CGROUP, 'colony-exec', p.leaf, ...chain] : [p.tools.sh, '-c', NO_CGROUP, 'colony-exec', ...chain];
  return { file: chain[0]!, args: chain.slice(1), env: baseEnv(p.account, p.owner, p.tty, p.extraEnv) };
}

/** Parses an account from passwd and group text (pure); undefined when `name` (or, for root, uid 0) has no line. */
export function accountOf(passwd: string, group: string, who: { name: string } | { uid: 0 }): Account | undefined {
  let found: Account | undefined;
  for (const line of passwd.split('\n')) {
    const f = line.split(':');
    if (f.length < 7 || !/^\d+$/.test(f[2]!) || !/^\d+$/.test(f[3]!)) continue;
    const match = 'name' in who ? f[0] === who.name : Number(f[2]) === 0;
    if (!match) continue;
    found = { name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), groups: [], home: f[5] || '/', shell: f[6]!.trim() || '/bin/sh' };
    break;
  }
  if (!found) return undefined;
  for (const line of group.split('\n')) {
    const f = line.split(':');
    if (f.length < 4 || !/^\d+$/.test(f[2]!)) continue;
    if (f[3]!.split(',').map((m) => m.trim()).includes(found.name)) found.groups.push(Number(f[2]));
  }
  found.groups = [...new Set(found.groups)].filter((g) => g !== found!.gid);
  return found;
}

/** Root when the environment has no passwd line for uid 0 (a plain tree). */
export const FALLBACK_ROOT: Account = { name: 'root', uid: 0, gid: 0, groups: [], home: '/root', shell: '/bin/sh' };
