// `colony console`: the grid command language on this terminal (or a pipe). The session
// (prompt, line editing, exit, Ctrl-D, Ctrl-C) always runs here. Each line is answered by
// the running supervisor over DATA/console.sock when there is one; otherwise this process
// opens the data directory itself, and environments live while it runs.
import { join } from 'node:path';
import { Session } from '../console/index.js';
import { Grid } from '../grid/index.js';
import type { Command, CommandContext } from './command.js';
import { dialSupervisor, LocalClient } from './console-client.js';
import { actingUser, openDataDir } from './data-dir.js';
import { packageVersion } from './serve.js';

const isTerminal = (ctx: CommandContext) => (ctx.stdin as { isTTY?: boolean }).isTTY === true && ctx.out.isTTY === true && !ctx.json;

/** Runs the session until it ends; SIGINT and SIGTERM close it cleanly. */
async function runSession(session: Session): Promise<void> {
  const onSignal = () => session.close();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await session.run();
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

async function throughSupervisor(ctx: CommandContext, client: LocalClient): Promise<number> {
  const terminal = isTerminal(ctx);
  if (terminal) ctx.out.write('colony console (through the running supervisor); type help for the commands, exit or Ctrl-D to leave\n');
  const session = new Session({ input: ctx.stdin, output: ctx.out, terminal, json: ctx.json, answer: (line, ask) => client.line(line, ask) });
  try {
    await runSession(session);
  } finally {
    client.close();
  }
  return !terminal && session.failures > 0 ? 1 : 0;
}

async function onItsOwn(ctx: CommandContext): Promise<number> {
  const started = Date.now();
  const d = await openDataDir(ctx.data, ctx.err);
  let grid: Grid | undefined;
  try {
    const user = actingUser(ctx.values, d);
    grid = await Grid.open({ data: d.data, store: d.store, catalog: d.catalog, log: d.log, ...(typeof ctx.values.host === 'string' ? { host: ctx.values.host } : {}) });
    const terminal = isTerminal(ctx);
    if (terminal) ctx.out.write(`colony console as ${user}; type help for the commands, exit or Ctrl-D to leave\n`);
    const context = { user, grid, accounts: d.catalog, node: { id: d.nodeId, version: packageVersion(), started } };
    const session = new Session({ context, input: ctx.stdin, output: ctx.out, terminal, json: ctx.json });
    await runSession(session);
    return !terminal && session.failures > 0 ? 1 : 0;
  } finally {
    await grid?.close();
    await d.close();
  }
}

export const consoleCommand: Command = {
  path: ['console'],
  summary: 'Run the grid console: scores, spawn, save, invite, boom, status, whoami… (one command per line).',
  arity: [0, 0],
  json: true,
  options: {
    user: { type: 'string', short: 'u', arg: 'USER', help: 'act as USER (default: the first admin)' },
    host: { type: 'string', arg: 'HOST', help: 'the host name shown in mount lines (default HOST; without a supervisor only)' },
  },
  description: `Reads commands from standard input, one per line: the same commands as the SSH console.
On a terminal it prompts (colony> ) and edits lines; exit, Ctrl-D or Ctrl-C leave. Piped, it
prints only the replies, stops at exit or the end of input, and exits with status 1 if any
command failed. --json (or a --json word on one line) answers with one JSON object per line.
While a supervisor runs on the data directory, every line goes to it over DATA/console.sock and
environments belong to it. Without one, this process opens the data directory itself:
environments live while it runs, and on leaving it checkpoints disk environments and closes.`,
  async run(ctx) {
    const sock = await dialSupervisor(join(ctx.data, 'console.sock'));
    if (!sock) return onItsOwn(ctx);
    const client = await LocalClient.open(sock, typeof ctx.values.user === 'string' ? ctx.values.user : undefined);
    return throughSupervisor(ctx, client);
  },
};
