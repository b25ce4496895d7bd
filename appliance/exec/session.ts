// One running process tree: an ExecProcess. Without a terminal the chain runs with pipes
// (stdout and stderr apart); with one, under a pseudo-terminal from @lydell/node-pty (merged
// output, window size). Signals go to the session's processes but never to bwrap's own two
// (the outer one and the PID namespace's init): init ignores most signals, and killing the
// outer one would take the whole session down instead of delivering the signal.
//
// Concurrency: the methods may be called at any time, also after the exit; `exited` is
// settled once, after the chain exited and its cgroup leaf is empty (bounded), and then the
// leaf is removed.
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { readdir, readFile, stat } from 'node:fs/promises';
import { PassThrough, Writable, type Readable } from 'node:stream';
import type * as Pty from '@lydell/node-pty';
import type { Log } from '../log.js';
import { killGroup, procsOf, waitEmpty } from './cgroup.js';
import type { LaunchPlan } from './launch.js';
import { ColonyError, notFound } from '../errors.js';
import type { ExecProcess, ExecTty, ExitStatus, ProcessInfo } from './types.js';

let ptyModule: Promise<typeof Pty> | undefined;

/**
 * node-pty, loaded on the first terminal: it is native code with prebuilt binaries for
 * linux-x64 and linux-arm64 only, so a node without one still runs everything else.
 */
export function loadPty(): Promise<typeof Pty> {
  ptyModule ??= import('@lydell/node-pty').then((m) => ((m as { default?: typeof Pty }).default ?? m) as typeof Pty).catch((err) => {
    ptyModule = undefined;
    throw new ColonyError('COLONY_UNSUPPORTED', `terminals need @lydell/node-pty, which does not load on this node (${process.platform}-${process.arch}): run the command without -t`, { cause: err });
  });
  return ptyModule;
}

/** After a hang-up, how long processes have to exit before the session is killed. */
export const HANGUP_GRACE_MS = 2000;
/** How long `exited` waits for the leaf to empty after the chain exited before killing what is left. */
const DRAIN_MS = 2000;

export interface FileId { dev: number; ino: number }

export interface SessionInit {
  id: number; env: string; user: string; uid: number;
  plan: LaunchPlan;
  tty?: ExecTty;
  /** node-pty (loadPty), required with `tty`. */
  pty?: typeof Pty;
  /** The session's cgroup leaf; absent when cgroups are off (then the chain's descendants are the session). */
  leaf?: string;
  /** bwrap's executable, to tell its processes from the session's. */
  bwrap: FileId;
  log: Log;
}

/** The status a shell would report: bwrap exits 128+N when the program dies of signal N, so that passes through. */
export function exitStatusOf(code: number | null, signal: NodeJS.Signals | number | null): ExitStatus {
  if (code !== null && code !== undefined && !signal) return { code, signal: null, status: code };
  const name = typeof signal === 'number' ? signalName(signal) : signal;
  const num = typeof signal === 'number' ? signal : signal ? constants.signals[signal] ?? 0 : 0;
  return { code: null, signal: name ?? null, status: 128 + num };
}

const signalName = (n: number) => (Object.entries(constants.signals).find(([, v]) => v === n)?.[0] as NodeJS.Signals | undefined);

/** A process that never started: it "exits" 127 after saying why on stderr (as a shell does for a missing program). */
export class FailedProcess implements ExecProcess {
  readonly stdin: Writable = new Writable({ write: (_c, _e, cb) => cb() });
  readonly stdout: Readable;
  readonly stderr: Readable | undefined;
  readonly exited: Promise<ExitStatus>;
  constructor(readonly id: number, readonly env: string, readonly user: string, readonly uid: number, line: string, tty: boolean) {
    const out = new PassThrough(), err = new PassThrough();
    (tty ? out : err).end(line + (tty ? '\r\n' : '\n'));
    if (tty) err.destroy(); else out.end();
    this.stdout = out;
    this.stderr = tty ? undefined : err;
    this.exited = Promise.resolve({ code: 127, signal: null, status: 127 });
  }
  resize(): void {}
  signal(): void {}
  hangup(): void {}
}

export class Session implements ExecProcess {
  readonly id: number; readonly env: string; readonly user: string; readonly uid: number;
  readonly stdin: Writable;
  readonly stdout: Readable;
  readonly stderr: Readable | undefined;
  readonly exited: Promise<ExitStatus>;
  /** The chain's host pid (the outer bwrap once it exec'd). */
  readonly pid: number;
  private term: Pty.IPty | undefined;
  private child: ChildProcess | undefined;
  private done = false;
  private hangupTimer: NodeJS.Timeout | undefined;

  constructor(private readonly init: SessionInit) {
    ({ id: this.id, env: this.env, user: this.user, uid: this.uid } = init);
    const { plan } = init;
    let chainExit: Promise<ExitStatus>;
    if (init.tty && init.pty) {
      // encoding null: bytes pass as they are (a UTF-8 sequence split across reads stays whole for the client).
      const term = init.pty.spawn(plan.file, plan.args, { name: init.tty.term || 'xterm', cols: init.tty.cols, rows: init.tty.rows, env: plan.env, cwd: '/', encoding: null });
      this.term = term;
      this.pid = term.pid;
      const out = new PassThrough();
      term.onData((d) => { out.write(d as unknown as Buffer); });
      this.stdout = out;
      this.stderr = undefined;
      this.stdin = new Writable({ write: (chunk: Buffer, _e, cb) => { if (!this.done) (term.write as (d: Buffer | string) => void)(chunk); cb(); } });
      chainExit = new Promise((resolve) => term.onExit(({ exitCode, signal }) => {
        // The pty's last output may still be in flight; end the stream on the next turn.
        setTimeout(() => out.end(), 50);
        resolve(exitStatusOf(signal ? null : exitCode, signal || null));
      }));
    } else {
      const child = spawn(plan.file, plan.args, { env: plan.env, cwd: '/', stdio: ['pipe', 'pipe', 'pipe'] });
      this.child = child;
      this.pid = child.pid ?? -1;
      this.stdin = child.stdin!;
      this.stdin.on('error', () => {}); // EPIPE once the program stopped reading
      this.stdout = child.stdout!;
      this.stderr = child.stderr!;
      chainExit = new Promise((resolve) => {
        child.once('error', (err) => { init.log.warn({ env: this.env, err: String(err) }, 'cannot start the sandbox'); resolve({ code: 127, signal: null, status: 127 }); });
        child.once('exit', (code, signal) => resolve(exitStatusOf(code, signal)));
      });
    }
    this.exited = chainExit.then(async (status) => {
      this.done = true;
      if (this.hangupTimer) clearTimeout(this.hangupTimer);
      if (init.leaf) {
        if (!(await waitEmpty(init.leaf, DRAIN_MS))) await killGroup(init.leaf);
        else await killGroup(init.leaf, 500); // empty: this only removes it
      }
      return status;
    }).catch((err) => { init.log.error({ env: this.env, err: String(err) }, 'session clean-up failed'); return { code: null, signal: null, status: 255 } as ExitStatus; });
  }

  resize(cols: number, rows: number): void {
    if (this.term && !this.done && cols > 0 && rows > 0) { try { this.term.resize(Math.min(cols, 1000), Math.min(rows, 1000)); } catch { /* exited meanwhile */ } }
  }

  signal(sig: NodeJS.Signals): void {
    if (this.done) return;
    void this.members().then((pids) => { for (const pid of pids) { try { process.kill(pid, sig); } catch { /* gone */ } } });
  }

  hangup(): void {
    if (this.done || this.hangupTimer) return;
    this.signal('SIGHUP');
    this.hangupTimer = setTimeout(() => { void this.killAll(); }, HANGUP_GRACE_MS);
    this.hangupTimer.unref();
  }

  /** Kills every process of the session at once (hang-up after the grace period, boom without cgroups, close). */
  async killAll(): Promise<void> {
    if (this.done) return;
    if (this.init.leaf) { await killGroup(this.init.leaf); return; }
    // Without a cgroup: killing the outer bwrap makes its init die (die-with-parent), which ends the PID namespace.
    try { process.kill(this.pid, 'SIGKILL'); } catch { /* gone */ }
  }

  /** The session's processes that are not bwrap's own. */
  async members(): Promise<number[]> {
    const pids = this.init.leaf ? await procsOf(this.init.leaf) : await descendants(this.pid);
    const out: number[] = [];
    for (const pid of pids) if (!(await isExe(pid, this.init.bwrap))) out.push(pid);
    return out;
  }
}

/** Whether /proc/PID/exe is the file `id` (by device and inode: a path inside the sandbox could be anything). */
export async function isExe(pid: number, id: FileId): Promise<boolean> {
  const s = await stat(`/proc/${pid}/exe`).catch(() => undefined);
  return !!s && s.dev === id.dev && s.ino === id.ino;
}

/** `root` and every process below it, from /proc (when there is no cgroup to ask); bounded by the process table. */
export async function descendants(root: number): Promise<number[]> {
  const children = new Map<number, number[]>();
  for (const name of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(name)) continue;
    const ppid = parentOf(await readFile(`/proc/${name}/stat`, 'utf8').catch(() => ''));
    if (ppid === undefined) continue;
    const list = children.get(ppid) ?? [];
    list.push(Number(name));
    children.set(ppid, list);
  }
  const out: number[] = [];
  const todo = [root];
  while (todo.length && out.length < 100_000) {
    const pid = todo.pop()!;
    out.push(pid);
    todo.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** The ppid field of /proc/PID/stat text (after the command name in parentheses, which may hold anything). */
export function parentOf(stat: string): number | undefined {
  const close = stat.lastIndexOf(')');
  if (close < 0) return undefined;
  const f = stat.slice(close + 2).split(' ');
  return f[1] !== undefined ? Number(f[1]) : undefined;
}

// ---- the processes of an environment (for ExecService.processes and kill) ----


/** One process's fields from /proc/PID/{stat,status,cmdline} text (pure); undefined when unreadable. */
export function parseProc(stat: string, status: string, cmdline: string): Pick<ProcessInfo, 'ppid' | 'uid' | 'state' | 'name' | 'cmdline' | 'rssBytes'> | undefined {
  const open = stat.indexOf('('), close = stat.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const f = stat.slice(close + 2).split(' ');
  const uid = /^Uid:\s+(\d+)/m.exec(status);
  const rss = /^VmRSS:\s+(\d+)\s*kB/m.exec(status);
  return {
    name: stat.slice(open + 1, close), state: f[0] ?? '?', ppid: Number(f[1] ?? 0),
    uid: uid ? Number(uid[1]) : -1, rssBytes: rss ? Number(rss[1]) * 1024 : 0,
    cmdline: cmdline.split('\0').filter((x, i, all) => x !== '' || i < all.length - 1),
  };
}

/**
 * The processes of the sessions: host pids, but the uid as seen inside. The owner's bwrap runs
 * without a user namespace (root is host uid 0) and an invited user's namespace maps their
 * uid to itself, so the host's uid is the one inside either way.
 */
export async function listProcesses(env: string, owner: string, sessions: Session[]): Promise<ProcessInfo[]> {
  const out: ProcessInfo[] = [];
  for (const s of sessions) {
    for (const pid of await s.members()) {
      const read = (f: string) => readFile(`/proc/${pid}/${f}`, 'utf8').catch(() => '');
      const p = parseProc(await read('stat'), await read('status'), await read('cmdline'));
      if (p) out.push({ env, owner, pid, session: s.id, ...p });
    }
  }
  return out.sort((a, b) => a.pid - b.pid);
}

/** Signals `pid` when it is one of the sessions' processes; COLONY_NOT_FOUND otherwise (it may belong to anyone). */
export async function signalProcess(env: string, sessions: Session[], pid: number, sig: NodeJS.Signals): Promise<void> {
  for (const s of sessions) {
    if (!(await s.members()).includes(pid)) continue;
    try { process.kill(pid, sig); } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') break;
      throw new ColonyError('COLONY_INVALID', `cannot signal ${pid}: ${(err as Error).message}`);
    }
    return;
  }
  throw notFound(`process ${pid} in ${env}`);
}
