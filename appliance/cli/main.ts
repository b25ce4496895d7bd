// The `colony` command: finds the subcommand, parses its options, runs it, and turns
// errors into exit codes (0 success, 1 error, 2 usage mistake).
import { join } from 'node:path';
import { ColonyError, usage } from '../errors.js';
import { helpText, parseCommand, routeOf, type Command, type CommandContext } from './command.js';
import { dialSupervisor, LocalClient } from './console-client.js';
import type { Daemon } from './data-dir.js';
import { statusCommand } from './status-command.js';
import { configShow, packageVersion, serve } from './serve.js';
import { storeCommands } from './store-commands.js';
import { snapshotCommands } from './snapshot-commands.js';
import { catalogCommands } from './catalog-commands.js';
import { ninepCommands } from './ninep-commands.js';
import { consoleCommand } from './console-command.js';
import { diskCommands } from './disk-commands.js';
import { hostnameCommand } from './hostname-command.js';
import { updateCommands } from './update-command.js';
import { reclaimCommands } from './reclaim-commands.js';

export const commands: Command[] = [...snapshotCommands, ...catalogCommands, ...reclaimCommands, consoleCommand, statusCommand, serve, configShow, ...storeCommands, ...ninepCommands, ...diskCommands, hostnameCommand, ...updateCommands];

export interface Io {
  out: NodeJS.WritableStream & { isTTY?: boolean };
  err: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

/** Where a command runs: here (the default), or inside the supervisor for a caller elsewhere. */
export interface Place { cwd: string; daemon?: Daemon; signal?: AbortSignal }


function overview(prefix: string[] = []): string {
  const shown = commands.filter((c) => prefix.every((w, i) => c.path[i] === w));
  const width = Math.max(...shown.map((c) => c.path.join(' ').length));
  return [
    `usage: colony ${prefix.length ? prefix.join(' ') + ' ' : ''}COMMAND [options]`,
    '',
    'Colony keeps filesystem snapshots in a content-addressed store and spawns writable environments from them.',
    '',
    'commands:',
    ...shown.map((c) => `  ${c.path.join(' ').padEnd(width)}  ${c.summary}`),
    '',
    "Every command takes --help, and --data DIR (or $COLONY_DATA) to choose the data directory (default ./var).",
  ].join('\n') + '\n';
}

/** `colony --data DIR COMMAND …` means `colony COMMAND --data DIR …`: the global option may come first. */
export function hoistDataOption(argv: string[]): string[] {
  const first = argv[0] ?? '';
  const taken = first === '--data' ? 2 : first.startsWith('--data=') ? 1 : 0;
  if (taken === 0 || argv.length < taken) return argv;
  const rest = argv.slice(taken);
  const at = findCommand(rest)?.path.length ?? 0;
  return [...rest.slice(0, at), ...argv.slice(0, taken), ...rest.slice(at)];
}

/** Longest command path that prefixes argv (options may not come before the command words). */
function findCommand(argv: string[]): Command | undefined {
  let best: Command | undefined;
  for (const c of commands) {
    if (c.path.every((w, i) => argv[i] === w) && (!best || c.path.length > best.path.length)) best = c;
  }
  return best;
}

/**
 * Runs the command here, inside the supervisor (a forwarded command: `place.daemon` set),
 * or forwards it to the supervisor that holds the data directory.
 */
async function dispatch(cmd: Command, argv: string[], ctx: CommandContext, io: Io): Promise<number> {
  const refuse = () => new ColonyError('COLONY_LOCKED', cmd.refusal ?? `'colony ${cmd.path.join(' ')}' does not run inside the supervisor`);
  if (ctx.daemon) {
    if (routeOf(cmd, { inSupervisor: true, supervisorAnswers: true }) === 'refuse') throw refuse();
    return cmd.run({ ...ctx, data: ctx.daemon.data });
  }
  // Only commands that use the data directory look for a supervisor.
  const sock = cmd.supervisor ? await dialSupervisor(join(ctx.data, 'console.sock')) : undefined;
  switch (routeOf(cmd, { inSupervisor: false, supervisorAnswers: sock !== undefined })) {
    case 'here':
      return cmd.run(ctx);
    case 'refuse':
      sock?.destroy();
      throw refuse();
    case 'forward': {
      const client = await LocalClient.open(sock!, undefined); // --user travels in argv
      const tty = { stdin: io.stdin.isTTY === true, stdout: io.out.isTTY === true, stderr: io.err.isTTY === true };
      return client.exec({ argv, cwd: ctx.cwd, tty }, io, { secretStdin: cmd.secretStdin?.(ctx.values) === true });
    }
  }
}

/**
 * A reader that goes away early (`colony scores | head -1`) closes our standard output: the
 * next write fails with EPIPE, and an unhandled stream error would print a stack trace. We
 * end quietly as a pipe writer killed by SIGPIPE would (status 141 = 128 + 13), not 0, so a
 * `set -o pipefail` script still learns the command did not finish writing. Node ignores
 * SIGPIPE itself, hence the explicit status.
 */
export function quietOnClosedPipe(streams: NodeJS.EventEmitter[] = [process.stdout, process.stderr], exit: (code: number) => void = (code) => process.exit(code)): void {
  for (const s of streams) {
    s.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') exit(141);
      else throw err; // not a closed reader: keep today's loud failure
    });
  }
}

export async function main(argv: string[], io: Io = { out: process.stdout, err: process.stderr, stdin: process.stdin, env: process.env }, place: Place = { cwd: process.cwd() }): Promise<number> {
  try {
    argv = hoistDataOption(argv);
    if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') { io.out.write(overview()); return 0; }
    if (argv[0] === '--version') { io.out.write(`colony ${packageVersion()}\n`); return 0; }
    const cmd = findCommand(argv);
    if (!cmd) {
      const group = commands.some((c) => c.path[0] === argv[0]) ? [argv[0]!] : undefined;
      if (group && (argv.length === 1 || argv[1] === '--help' || argv[1] === '-h')) { io.out.write(overview(group)); return argv.length === 1 ? 2 : 0; }
      throw usage(`unknown command '${argv.slice(0, group ? 2 : 1).join(' ')}' (see 'colony --help')`);
    }
    const { help, ctx } = parseCommand(cmd, argv.slice(cmd.path.length), io.env);
    if (help) { io.out.write(helpText(cmd)); return 0; }
    return await dispatch(cmd, argv, { ...ctx, out: io.out, err: io.err, stdin: io.stdin, cwd: place.cwd, ...(place.daemon ? { daemon: place.daemon } : {}), ...(place.signal ? { signal: place.signal } : {}) }, io);
  } catch (err) {
    if (err instanceof ColonyError) {
      io.err.write(`colony: ${err.code === 'COLONY_USAGE' ? err.detail : err.message}\n`);
      return err.code === 'COLONY_USAGE' || err.code === 'COLONY_INVALID' ? 2 : 1;
    }
    io.err.write(`colony: unexpected error: ${err instanceof Error ? err.stack : String(err)}\n`);
    return 1;
  }
}
