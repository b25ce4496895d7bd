// What the rest of Colony sees of execution: `ExecService` runs processes inside running
// environments (SSH `cpu`, the xcpu tree `cpu/NAME`) and lists them (the `proc` tree).
// The supervisor builds one (./executor.ts) and hands it to the console and the 9P routes,
// which depend on these types only.
//
// Concurrency: every method may be called at any time from any number of sessions. start()
// for one environment serialises its first mount and cgroup creation on a per-environment
// lock; a boom (Grid stop hook) takes the same lock, kills the cgroup, then unmounts, so a
// start racing a boom either finishes before the kill (and is killed) or fails NOT_FOUND.
import type { Readable, Writable } from 'node:stream';

export interface ExecTty { cols: number; rows: number; term: string }

export interface ExecRequest {
  /** A command line run by the account's shell with `-c`, as sshd runs one. */
  command?: string;
  /** Or a program and its arguments, run without a shell (the xcpu tree). Absent both: a login shell. */
  argv?: string[];
  /** Added to the base environment (PATH, HOME, USER, LOGNAME, SHELL, TERM, LANG). */
  env?: Record<string, string>;
  /** Inside the environment; default the account's home when it exists, else /. */
  cwd?: string;
  /** A pseudo-terminal: stdout carries both streams, stderr is undefined. */
  tty?: ExecTty;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** As a shell reports it: the code, or 128 + the signal's number. */
  status: number;
}

export interface ExecProcess {
  /** Session number, unique on this node while the supervisor runs. */
  readonly id: number;
  readonly env: string;
  /** The Colony user who started it, and the uid it runs as inside the environment. */
  readonly user: string;
  readonly uid: number;
  readonly stdin: Writable;
  readonly stdout: Readable;
  readonly stderr: Readable | undefined;
  resize(cols: number, rows: number): void;
  /** Delivers a signal to the command's processes (never to the sandbox's own helpers). */
  signal(sig: NodeJS.Signals): void;
  /** The client went away: SIGHUP now, and every process of the session is killed after a grace period. */
  hangup(): void;
  /** Settles once every process of the session is gone. Never rejects. */
  readonly exited: Promise<ExitStatus>;
}

export interface ProcessInfo {
  env: string;
  owner: string;
  /** The host's pid (what `kill` takes). */
  pid: number;
  ppid: number;
  /** Inside the environment. */
  uid: number;
  state: string;
  name: string;
  cmdline: string[];
  /** The ExecProcess.id it belongs to. */
  session: number;
  /** Resident bytes. */
  rssBytes: number;
}

export interface ExecService {
  /** One line naming what this node lacks for `cpu` (9p, cgroup v2 controllers, root, bubblewrap), or undefined. */
  readonly unavailable: string | undefined;
  /**
   * Starts a process in `envName` for `user`: the owner runs as root, a user the owner invited
   * into it as their account in its /etc/passwd; anyone else gets COLONY_PERMISSION (admins too).
   * COLONY_NOT_FOUND for no such environment (or program, with argv); COLONY_UNSUPPORTED with
   * `unavailable` when the node cannot run processes.
   */
  start(user: string, envName: string, req: ExecRequest): Promise<ExecProcess>;
  /** The processes of every environment `user` owns or was invited into; an admin sees all. */
  processes(user: string): Promise<ProcessInfo[]>;
  /** Signals one process listed by processes(user); default SIGKILL. */
  kill(user: string, envName: string, pid: number, sig?: NodeJS.Signals): Promise<void>;
  /** Kills every process and unmounts every environment. */
  close(): Promise<void>;
}
