// The SSH console's view of the command registry: its context (the logged-in user, the
// catalog, the grid interpreter, node facts, a way to ask questions) becomes a
// ConsoleContext, and every line goes through the one registry (../registry.ts).
import type { Accounts, ConsoleContext, Interpreter, NodeInfo } from '../context.js';
import { runLine } from '../registry.js';
import type { ConsoleReply } from '../reply.js';
import { gridOf } from './grid-interpreter.js';

export { renderReply, splitJsonFlag, type ConsoleReply } from '../reply.js';
export { uptimeText } from '../account-verbs.js';
export type { Accounts, Interpreter, NodeInfo } from '../context.js';

export interface CommandContext {
  user: string;
  /** The account logged in as (ConsoleContext.account). */
  account?: string;
  accounts: Accounts;
  interpreter: Interpreter;
  node: NodeInfo;
  /** Asks the person a question; undefined when they gave up (Ctrl-C, Ctrl-D, end of input). */
  ask(prompt: string, options: { secret: boolean }): Promise<string | undefined>;
  /** Called (not awaited) by `shutdown`. */
  shutdown?: (by: string) => void | Promise<void>;
  now?: () => number;
}

/** Runs one line for the context's user. Never throws: failures are `error: …` replies. */
export function dispatch(ctx: CommandContext, line: string): Promise<ConsoleReply> {
  const grid = gridOf(ctx.interpreter);
  const c: ConsoleContext = { ...ctx, ...(grid ? { grid } : {}) };
  return runLine(c, line);
}
