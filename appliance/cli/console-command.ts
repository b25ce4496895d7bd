// `colony console`: the grid command language on this terminal (or a pipe), over the data
// directory. Environments live while it runs; disk environments come back next time.
import { Session } from '../console/index.js';
import { Grid } from '../grid/index.js';
import type { Command } from './command.js';
import { actingUser, openDataDir } from './data-dir.js';

export const consoleCommand: Command = {
  path: ['console'],
  summary: 'Run the grid console: scores, spawn, save, invite, boom, status (one command per line).',
  arity: [0, 0],
  json: true,
  options: {
    user: { type: 'string', short: 'u', arg: 'USER', help: 'act as USER (default: the first admin)' },
    host: { type: 'string', arg: 'HOST', help: 'the host name shown in mount lines (default HOST)' },
  },
  description: `Reads commands from standard input, one per line. On a terminal it prompts
(colony> ) and edits lines; piped, it prints only the replies, and exits with status 1 if any
command failed. Type help for the commands. It holds the data directory while it runs (a
supervisor on the same directory makes it fail with COLONY_LOCKED). On exit, end of input or
SIGINT it checkpoints disk environments and closes cleanly; ram environments end with it.`,
  async run(ctx) {
    const d = await openDataDir(ctx.data, ctx.err);
    let grid: Grid | undefined;
    let session: Session | undefined;
    const onSignal = () => session?.close();
    try {
      const user = actingUser(ctx.values, d);
      grid = await Grid.open({ data: d.data, store: d.store, catalog: d.catalog, log: d.log, ...(typeof ctx.values.host === 'string' ? { host: ctx.values.host } : {}) });
      const input = ctx.stdin as NodeJS.ReadableStream & { isTTY?: boolean };
      const terminal = input.isTTY === true && ctx.out.isTTY === true && !ctx.json;
      if (terminal) ctx.out.write(`colony console as ${user}; type help for the commands, exit to leave\n`);
      session = new Session({ grid, user, input, output: ctx.out, terminal, json: ctx.json });
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      await session.run();
      return !terminal && session.failures > 0 ? 1 : 0;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await grid?.close();
      await d.close();
    }
  },
};
