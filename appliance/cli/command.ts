// How a `colony` subcommand is declared, parsed and helped. Each command is data plus a
// `run` function; main.ts only dispatches, so adding a command never touches the parser.
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { usage } from '../errors.js';
import type { Daemon } from './data-dir.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** Placeholder for the value in help, e.g. DIR. */
  arg?: string;
  help: string;
}

export interface CommandContext {
  /** The data directory: --data, else $COLONY_DATA, else ./var. */
  data: string;
  args: string[];
  values: Record<string, string | boolean | string[] | undefined>;
  json: boolean;
  out: NodeJS.WritableStream & { isTTY?: boolean };
  err: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream;
  /** The caller's working directory: relative paths are resolved against it, not process.cwd(). */
  cwd: string;
  /** Set when the command runs inside the supervisor for a caller on the console socket. */
  daemon?: Daemon;
  /**
   * Aborted when that caller goes away (Ctrl-C kills it): long commands check it where they
   * report progress, so they stop as they would have died without a supervisor.
   */
  signal?: AbortSignal;
}

/** A path the caller typed, made absolute against the caller's working directory. */
export const callerPath = (ctx: Pick<CommandContext, 'cwd'>, p: string): string => resolve(ctx.cwd, p);

/** Throws the abort reason when the caller of a forwarded command has gone away. */
export const stillWanted = (ctx: Pick<CommandContext, 'signal'>): void => ctx.signal?.throwIfAborted();

export interface Command {
  /** Words that select it, e.g. ['store', 'put']. */
  path: string[];
  summary: string;
  /** Positional arguments as shown in usage, e.g. 'FILE...'. */
  params?: string;
  /** Smallest and largest number of positional arguments. */
  arity?: [number, number];
  description?: string;
  options?: Record<string, OptionSpec>;
  /** Whether --json applies (commands that list or report things). */
  json?: boolean;
  /**
   * While a supervisor holds the data directory: 'forward' runs the command inside it (over
   * DATA/console.sock), 'refuse' says `refusal` in one line. Unset: the command runs here.
   */
  supervisor?: 'forward' | 'refuse';
  refusal?: string;
  /**
   * Whether the command reads a secret (a password) from standard input: on a terminal, the
   * CLI then turns the echo off while a supervisor running the command reads it.
   */
  secretStdin?(values: CommandContext['values']): boolean;
  run(ctx: CommandContext): Promise<number>;
}

export type Route = 'here' | 'forward' | 'refuse';

/**
 * Where a command runs (pure, tested as data). Inside the supervisor only forwardable
 * commands run; outside, a command that uses the data directory goes to the supervisor
 * that answers on its socket, or is refused when it needs the directory alone.
 */
export function routeOf(cmd: Pick<Command, 'supervisor'>, where: { inSupervisor: boolean; supervisorAnswers: boolean }): Route {
  if (where.inSupervisor) return cmd.supervisor === 'forward' ? 'here' : 'refuse';
  if (!cmd.supervisor || !where.supervisorAnswers) return 'here';
  return cmd.supervisor;
}

const GLOBAL: Record<string, OptionSpec> = {
  data: { type: 'string', arg: 'DIR', help: 'data directory (default: $COLONY_DATA, else ./var)' },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
};
const JSON_OPTION: OptionSpec = { type: 'boolean', help: 'print machine-readable JSON' };

export function optionsOf(cmd: Command): Record<string, OptionSpec> {
  return { ...(cmd.options ?? {}), ...(cmd.json ? { json: JSON_OPTION } : {}), ...GLOBAL };
}

export function helpText(cmd: Command): string {
  const lines = [`usage: colony ${cmd.path.join(' ')} [options]${cmd.params ? ' ' + cmd.params : ''}`, '', cmd.summary];
  if (cmd.description) lines.push('', cmd.description.trim());
  lines.push('', 'options:');
  for (const [name, spec] of Object.entries(optionsOf(cmd))) {
    const flag = `${spec.short ? `-${spec.short}, ` : '    '}--${name}${spec.arg ? ' ' + spec.arg : ''}`;
    lines.push(`  ${flag.padEnd(26)} ${spec.help}`);
  }
  return lines.join('\n') + '\n';
}

/** Parses argv for one command. Throws COLONY_USAGE with a message that names the mistake. */
export function parseCommand(cmd: Command, argv: string[], env: NodeJS.ProcessEnv): { help: boolean; ctx: Omit<CommandContext, 'out' | 'err' | 'stdin' | 'cwd' | 'daemon' | 'signal'> } {
  const options = Object.fromEntries(
    Object.entries(optionsOf(cmd)).map(([k, s]) => [k, { type: s.type, ...(s.short ? { short: s.short } : {}), ...(s.multiple ? { multiple: true } : {}) }]),
  );
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw usage(`${(err as Error).message.replace(/\. To specify.*$/s, '')}\n(see 'colony ${cmd.path.join(' ')} --help')`);
  }
  const values = parsed.values as CommandContext['values'];
  const help = values.help === true;
  const [min, max] = cmd.arity ?? [0, 0];
  if (!help && (parsed.positionals.length < min || parsed.positionals.length > max)) {
    const want = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
    throw usage(`'colony ${cmd.path.join(' ')}' takes ${want} argument(s)${cmd.params ? ` (${cmd.params})` : ''}, got ${parsed.positionals.length}\n(see 'colony ${cmd.path.join(' ')} --help')`);
  }
  const data = resolve((values.data as string | undefined) ?? env.COLONY_DATA ?? 'var');
  return { help, ctx: { data, args: parsed.positionals, values, json: values.json === true } };
}

export function writeJson(out: NodeJS.WritableStream, value: unknown): void {
  out.write(JSON.stringify(value, null, 2) + '\n');
}
