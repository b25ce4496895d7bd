// `colony console`: the grid command language on this terminal (or a pipe), over the data
// directory. Environments live while it runs; disk environments come back next time.
import { Session } from '../console/index.js';
import { Grid } from '../grid/index.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { isColonyError } from '../errors.js';
import type { Command } from './command.js';
import { consoleClient } from './console-client.js';
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
command failed. Type help for the commands. Without a supervisor it opens the data directory
itself: environments live while it runs, and on exit, end of input or SIGINT it checkpoints
disk environments and closes cleanly. While a supervisor runs on the directory, it connects to
the supervisor's DATA/console.sock instead, and environments belong to the supervisor.`,
  async run(ctx) {
    let d;
    try {
      d = await openDataDir(ctx.data, ctx.err);
    } catch (err) {
      // A supervisor holds the directory: talk to it over its console socket instead.
      const sock = join(ctx.data, 'console.sock');
      if (isColonyError(err, 'COLONY_LOCKED') && existsSync(sock)) return consoleClient(ctx, sock);
      throw err;
    }
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
