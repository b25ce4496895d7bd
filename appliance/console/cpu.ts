// `cpu ENV [-- COMMAND]`: a shell or one command inside a running environment. The console
// only parses the line and says how to reach it; running it needs a stream (a terminal, or
// stdin/stdout/stderr and an exit status), which only the SSH console carries
// (ssh/cpu-link.ts). The runner is structural, so the console never imports appliance/exec:
// the supervisor hands its ExecService in as NodeInfo.cpu.
import type { Readable, Writable } from 'node:stream';
import { unsupported, usage } from '../errors.js';
import type { ConsoleContext } from './context.js';
import type { ConsoleReply } from './reply.js';

export interface CpuTty { cols: number; rows: number; term: string }

export interface CpuRequest {
  /** Run by the account's shell with `-c`, as sshd does; absent: a login shell. */
  command?: string;
  /** A pseudo-terminal: stdout then carries both streams and stderr is undefined. */
  tty?: CpuTty;
}

export interface CpuExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** As a shell reports it: the code, or 128 + the signal's number. */
  status: number;
}

export interface CpuProcess {
  readonly stdin: Writable;
  readonly stdout: Readable;
  readonly stderr: Readable | undefined;
  resize(cols: number, rows: number): void;
  signal(sig: NodeJS.Signals): void;
  /** The client went away: SIGHUP, then every process of the session is killed after a grace period. */
  hangup(): void;
  /** Settles once every process of the session is gone; never rejects. */
  readonly exited: Promise<CpuExit>;
}

/** What the console needs of the node's executor (appliance/exec ExecService has it). */
export interface CpuRunner {
  /** One line naming what this node lacks to run processes, or undefined when it can. */
  readonly unavailable: string | undefined;
  /** Rejects with COLONY_NOT_FOUND (no such environment), COLONY_PERMISSION, COLONY_UNSUPPORTED. */
  start(user: string, env: string, req: CpuRequest): Promise<CpuProcess>;
}

export type CpuCommand = { kind: 'help' } | { kind: 'run'; env: string; command?: string };

export const CPU_SYNTAX = 'cpu ENV [-- COMMAND]';
export const CPU_TEXT = 'a shell inside your running environment ENV, or one COMMAND there (over SSH; cpu --help says more)';
const USAGE = `usage: ${CPU_SYNTAX}`;

/**
 * Parses a `cpu` line; undefined when the line is not one. The command is the rest of the
 * line as typed after `--` (or after ENV without `--`), so the shell sees the client's
 * quoting: OpenSSH joins its arguments with blanks and sends one string, as sshd expects.
 */
export function parseCpu(line: string): CpuCommand | undefined {
  const m = /^\s*cpu(?:\s+(\S+))?(?:\s+([\s\S]*))?$/.exec(line);
  if (!m) return undefined;
  const [, env, rest = ''] = m;
  if (env === undefined) throw usage(USAGE);
  if (env === '--help' || env === '-h') {
    if (rest.trim()) throw usage(USAGE);
    return { kind: 'help' };
  }
  if (env.startsWith('-')) throw usage(USAGE);
  const afterDashes = /^--(?:\s+([\s\S]*))?$/.exec(rest);
  const command = (afterDashes ? afterDashes[1] ?? '' : rest).trim();
  if (afterDashes && !command) throw usage(`${USAGE}: nothing after --`);
  return command ? { kind: 'run', env, command } : { kind: 'run', env };
}

/** `cpu ENV` as typed at an OpenSSH client for this node. */
export function cpuCommandLine(user: string, env: string, port: number | undefined, host = 'HOST'): string {
  return `ssh -t -p ${port ?? 2222} ${user}@${host} cpu ${env}`;
}

export function cpuHelp(user: string, port: number | undefined): string {
  const p = port ?? 2222;
  const shell = `ssh -t -p ${p} ${user}@HOST cpu ENV`;
  const one = `ssh -p ${p} ${user}@HOST cpu ENV -- make -j2`;
  const w = one.length + 2;
  return [
    CPU_SYNTAX,
    `  ${CPU_TEXT.replace(/ \(.*\)$/, '')}.`,
    `  ${shell.padEnd(w)}a login shell (-t: with a terminal)`,
    `  ${one.padEnd(w)}one command, run by your shell there with -c;`,
    `  ${''.padEnd(w)}stdout and stderr apart; its exit status is ssh's`,
    '  The owner of ENV is root inside it; a user invited into it (invite USER ENV) runs as',
    '  their account there; nobody else may. Typed at the colony> prompt with a terminal,',
    '  cpu ENV hands the terminal to the shell and comes back when it exits.',
    '  Processes live in the environment\'s own namespaces and cgroup (memory, CPU and',
    '  process limits); boom ENV kills them.',
  ].join('\n');
}

/**
 * The registry's `cpu` verb, for adapters without streams (ctl, `colony console`, the console
 * socket): help, or one line saying where to run it. The SSH console takes `cpu ENV` lines
 * before the registry sees them.
 */
export function cpuVerb(ctx: ConsoleContext, _args: string[], line: string): ConsoleReply {
  const c = parseCpu(line);
  const port = ctx.node?.sshPort;
  if (!c || c.kind === 'help') return { output: cpuHelp(ctx.user, port) };
  if (ctx.node?.cpu?.unavailable) throw unsupported(`cpu is not available on this node: ${ctx.node.cpu.unavailable}`);
  throw unsupported(`cpu needs a terminal or the command's own streams, which this channel cannot carry: run ${cpuCommandLine(ctx.user, c.env, port)}${c.command !== undefined ? ` -- ${c.command}` : ''}`);
}

/** The `cpu:` line of `spawn` for `user`'s ENV; undefined when this node has no cpu (or no SSH console). */
export function cpuSpawnLine(ctx: Pick<ConsoleContext, 'node'>, user: string, env: string, host?: string): string | undefined {
  const node = ctx.node;
  if (!node?.cpu || node.sshPort === undefined) return undefined;
  if (node.cpu.unavailable) return `unavailable on this node: ${node.cpu.unavailable}`;
  return cpuCommandLine(user, env, node.sshPort, host);
}
