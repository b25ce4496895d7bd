// The one command registry: every verb of the console language, its syntax, who may run
// it and its handler. SSH, the console socket, `ctl`, the serial port and `colony console`
// are thin adapters over runLine(), so they answer the same commands the same way.
import { isColonyError, permission, unsupported, usage } from '../errors.js';
import * as account from './account-verbs.js';
import { IDENTIFY_SYNTAX, IDENTIFY_TEXT, identify } from './board-verbs.js';
import { CPU_SYNTAX, CPU_TEXT, cpuSpawnLine, cpuVerb } from './cpu.js';
import * as peer from './peer-verbs.js';
import * as reclaim from './reclaim-verbs.js';
import { EXPORT_SYNTAX, EXPORT_TEXT, IMPORT_SYNTAX, IMPORT_TEXT, transferVerb } from './transfer.js';
import type { Accounts, ConsoleContext } from './context.js';
import { execute } from './interpreter.js';
import { helpText as gridHelpText, parse, VERBS as GRID_VERBS } from './parse.js';
import { failureReply, type ConsoleReply } from './reply.js';

export interface Verb {
  name: string;
  syntax: string;
  text: string;
  /** Admin verbs are refused to users, and left out of their help. */
  who: 'anyone' | 'admin';
  /** Grid verbs go to the grid (parse.ts holds their grammar); the rest need accounts or the node. */
  kind: 'grid' | 'console';
  run(ctx: ConsoleContext, args: string[], line: string): ConsoleReply | Promise<ConsoleReply>;
}

const gridVerb = (name: string): Verb => ({
  name, syntax: GRID_VERBS[name]!.syntax, text: GRID_VERBS[name]!.text, who: 'anyone', kind: 'grid',
  run: (ctx, _args, line) => runGrid(ctx, line),
});

const consoleVerb = (name: keyof typeof account.ACCOUNT_SYNTAX, text: string, who: Verb['who'], run: Verb['run']): Verb =>
  ({ name, syntax: account.ACCOUNT_SYNTAX[name], text, who, kind: 'console', run });

/** Every verb, in the order help lists them. */
export const REGISTRY: readonly Verb[] = [
  ...['scores', 'spawn', 'spawndisk', 'save', 'savedisk', 'invite', 'boom', 'status'].map(gridVerb),
  { name: 'help', syntax: GRID_VERBS.help!.syntax, text: GRID_VERBS.help!.text, who: 'anyone', kind: 'grid', run: (ctx, args, line) => help(ctx, args, line) },
  { name: 'exit', syntax: GRID_VERBS.exit!.syntax, text: GRID_VERBS.exit!.text, who: 'anyone', kind: 'grid', run: (_ctx, args) => { if (args.length) throw usage('usage: exit'); return { output: '', exit: true }; } },
  // Runs over SSH only (ssh/session.ts takes `cpu ENV` lines first); elsewhere help or where to run it.
  { name: 'cpu', syntax: CPU_SYNTAX, text: CPU_TEXT, who: 'anyone', kind: 'console', run: cpuVerb },
  // Run over an SSH exec only (ssh/session.ts takes them first: the tar is the channel's); elsewhere the hint.
  { name: 'import', syntax: IMPORT_SYNTAX, text: IMPORT_TEXT, who: 'anyone', kind: 'console', run: transferVerb },
  { name: 'export', syntax: EXPORT_SYNTAX, text: EXPORT_TEXT, who: 'anyone', kind: 'console', run: transferVerb },
  consoleVerb('whoami', 'your user name and role', 'anyone', account.whoami),
  consoleVerb('passwd', 'change your password (asks twice, shows nothing)', 'anyone', account.passwd),
  consoleVerb('keys', 'your SSH public keys; LINE is an OpenSSH public key line', 'anyone', account.keys),
  consoleVerb('users', 'the appliance users (admin)', 'admin', account.users),
  consoleVerb('node', 'node id, version, uptime and the board: temperature, memory, disk, LEDs (admin)', 'admin', account.node),
  { name: 'identify', syntax: IDENTIFY_SYNTAX, text: IDENTIFY_TEXT, who: 'anyone', kind: 'console', run: identify },
  consoleVerb('shutdown', 'stop the appliance cleanly (admin)', 'admin', account.shutdown),
  ...(['peers', 'pair', 'unpair'] as const).map((name): Verb => ({ name, ...peer.PEER_VERBS[name], who: 'admin', kind: 'console', run: peer[name] })),
  // forget checks who may forget what itself (the owner; an admin, with a reason).
  ...(['forget', 'gc', 'usage'] as const).map((name): Verb => ({ name, ...reclaim.RECLAIM_VERBS[name], who: name === 'gc' ? 'admin' : 'anyone', kind: 'console', run: reclaim[name] })),
];

const ALIASES: Record<string, string> = { quit: 'exit', '?': 'help' };

export function findVerb(word: string): Verb | undefined {
  const name = ALIASES[word] ?? word;
  return REGISTRY.find((v) => v.name === name);
}

function isAdmin(ctx: ConsoleContext): boolean {
  return ctx.accounts?.getUser(ctx.user).role === 'admin';
}

async function runGrid(ctx: ConsoleContext, line: string): Promise<ConsoleReply> {
  if (ctx.grid) return execute(ctx.grid, ctx.user, parse(line), { cpuLine: (env, host) => cpuSpawnLine(ctx, ctx.user, env, host) });
  if (ctx.interpreter) return ctx.interpreter.run(ctx.user, line);
  throw unsupported('the grid is not reachable from here');
}

async function help(ctx: ConsoleContext, args: string[], line: string): Promise<ConsoleReply> {
  if (args.length > 1) throw usage('usage: help [VERB]');
  const topic = args[0];
  if (topic !== undefined) {
    const v = findVerb(topic);
    if (v?.kind === 'console') {
      if (v.who === 'admin' && !isAdmin(ctx)) throw permission(`'${v.name}' is for admins`);
      return { output: `${v.syntax}\n  ${v.text}` };
    }
    if (!ctx.grid && ctx.interpreter) return ctx.interpreter.run(ctx.user, line);
    return { output: gridHelpText(topic) };
  }
  const grid = ctx.grid || !ctx.interpreter ? gridHelpText() : (await ctx.interpreter.run(ctx.user, 'help')).output;
  if (!ctx.accounts) return { output: grid, json: { commands: REGISTRY.filter((v) => v.kind === 'grid').map((v) => v.syntax) } };
  const admin = isAdmin(ctx);
  const mine = REGISTRY.filter((v) => v.kind === 'console' && (admin || v.who !== 'admin'));
  const width = Math.max(...mine.map((v) => v.syntax.length));
  const text = ['console commands:', ...mine.map((v) => `  ${v.syntax.padEnd(width)}  ${v.text}`), 'add --json to any command for output as JSON'].join('\n');
  return { output: grid ? `${grid}\n${text}` : text, json: { commands: mine.map((v) => v.syntax) } };
}

/**
 * The account `user` logs in as now, for ConsoleContext.account; '' when there is none (the
 * user was removed meanwhile), which no account matches. Undefined when `accounts` does not
 * tell accounts apart (a fake).
 */
export function loginAccount(accounts: Accounts | undefined, user: string): string | undefined {
  if (!accounts) return undefined;
  try { return accounts.getUser(user).account; } catch (err) {
    if (!isColonyError(err, 'COLONY_NOT_FOUND')) throw err;
    return '';
  }
}

/**
 * A user removed while a session of theirs was open runs nothing more, whatever the verb,
 * even once a user of that name is added again (a new account): the reply ends the session
 * (SSH, the console socket and `colony console` leave on `exit`).
 */
export function removedReply(ctx: ConsoleContext): ConsoleReply | undefined {
  if (!ctx.accounts) return undefined;
  const now = loginAccount(ctx.accounts, ctx.user);
  if (now !== '' && (ctx.account === undefined || now === ctx.account)) return undefined;
  return { output: `error: the account '${ctx.user}' was removed; this session ends`, error: 'COLONY_AUTH', exit: true };
}

/**
 * Runs one line as ctx.user. Never throws: a mistake is an `error: …` reply with its code.
 * Lines on one context run one at a time in the adapters; verbs may run concurrently
 * across contexts, as the grid and the catalog allow.
 */
export async function runLine(ctx: ConsoleContext, line: string): Promise<ConsoleReply> {
  const words = line.trim().split(/\s+/).filter(Boolean);
  const [word, ...args] = words;
  try {
    if (word === undefined || word.startsWith('#')) return { output: '' };
    const gone = removedReply(ctx);
    if (gone) return gone;
    const verb = findVerb(word);
    if (!verb) {
      // A stand-in interpreter may know verbs we do not; a real grid says "unknown command".
      if (!ctx.grid && ctx.interpreter) return await ctx.interpreter.run(ctx.user, line);
      return failureReply(usage(`unknown command '${word}' (type help for the list)`));
    }
    if (verb.who === 'admin' && !isAdmin(ctx)) throw permission(`'${verb.name}' is for admins`);
    return await verb.run(ctx, args, line);
  } catch (err) {
    return failureReply(err);
  }
}
