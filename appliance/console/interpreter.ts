// The console's interpreter: one line of the grid language in, the text to show out.
// It touches no stream, so the CLI, SSH, the serial port and 9P `ctl` all serve it alike.
import { isColonyError, type ErrorCode } from '../errors.js';
import type { Grid } from '../grid/index.js';
import { formatScore } from '../store/index.js';
import { boomText, inviteText, saveText, scoresText, spawnText, statusText } from './format.js';
import { helpText, parse, type ConsoleCommand } from './parse.js';

/** The verbs the console needs; a Grid has them (tests may pass a fake). */
export type GridVerbs = Pick<Grid, 'spawn' | 'save' | 'invite' | 'boom' | 'status' | 'scores'>;

export interface ConsoleReply {
  /** Text for people, without a final newline; empty when there is nothing to say. */
  output: string;
  /** The line asked to leave. */
  exit?: boolean;
  /** The same answer as data, for callers that speak JSON. */
  json?: unknown;
  /** Set when the command failed; output then starts with `error: `. */
  error?: ErrorCode;
}

/** Runs one line as `user`. Never throws for a user's mistake: errors become `error: …` replies. */
export async function run(grid: GridVerbs, user: string, line: string): Promise<ConsoleReply> {
  try {
    return await execute(grid, user, parse(line));
  } catch (err) {
    if (isColonyError(err)) return { output: `error: ${err.detail}`, error: err.code, json: { error: err.code, message: err.detail } };
    return { output: `error: internal: ${err instanceof Error ? err.message : String(err)}`, error: 'COLONY_INTERNAL' };
  }
}

export async function execute(grid: GridVerbs, user: string, cmd: ConsoleCommand): Promise<ConsoleReply> {
  switch (cmd.verb) {
    case 'none':
      return { output: '' };
    case 'help':
      return { output: helpText(cmd.topic) };
    case 'exit':
      return { output: '', exit: true };
    case 'scores': {
      const list = grid.scores(user, cmd.filter);
      return { output: scoresText(list), json: list.map((r) => ({ ...r, root: formatScore(r.root) })) };
    }
    case 'spawn': {
      const r = await grid.spawn(user, cmd.name, { cache: cmd.cache, ...(cmd.as !== undefined ? { as: cmd.as } : {}) });
      return { output: spawnText(r), json: r };
    }
    case 'save': {
      const r = await grid.save(user, cmd.env, cmd.name);
      return { output: saveText(cmd.env, r), json: { ...r, root: formatScore(r.root) } };
    }
    case 'invite': {
      const r = await grid.invite(user, cmd.user, cmd.env);
      return { output: inviteText(cmd.user, cmd.env, r), json: { ...r, record: { ...r.record, root: formatScore(r.record.root) } } };
    }
    case 'boom': {
      const r = await grid.boom(user, cmd.env);
      return { output: boomText(r), json: r };
    }
    case 'status': {
      const list = grid.status(user);
      return { output: statusText(list), json: list };
    }
  }
}
