// The commands the SSH console adds to the grid language: whoami, passwd, keys, and for
// admins users, node and shutdown; `help` lists what the asking user may run. Anything
// else goes to the grid interpreter unchanged, and its reply comes back unchanged (the
// mount line after a spawn included). No streams here: questions (passwd) go through
// `ask`, so every command can be tested with a scripted answerer.
import { randomBytes } from 'node:crypto';
import { ColonyError, isColonyError, permission, usage, type ErrorCode } from '../../errors.js';
import type { Catalog } from '../../catalog/index.js';

/** One reply: text for people, data for `--json`, an error code when the command failed. */
export interface ConsoleReply {
  output: string;
  exit?: boolean;
  json?: unknown;
  error?: ErrorCode | string;
}

/** The grid console as this layer needs it; `gridInterpreter` adapts the real one. */
export interface Interpreter {
  run(user: string, line: string): Promise<ConsoleReply>;
}

/** What the console asks of the catalog. */
export type Accounts = Pick<Catalog, 'getUser' | 'checkPassword' | 'setPassword' | 'addKey' | 'listUsers' | 'addUser' | 'removeUser' | 'userForKey'>;

export interface NodeInfo {
  id: string;
  version: string;
  /** When the appliance started (ms since the epoch). */
  started: number;
  /** Open SSH sessions. */
  sessions?: () => number;
}

export interface CommandContext {
  user: string;
  accounts: Accounts;
  interpreter: Interpreter;
  node: NodeInfo;
  /** Asks the person a question; undefined when they gave up (Ctrl-C, Ctrl-D, end of input). */
  ask(prompt: string, options: { secret: boolean }): Promise<string | undefined>;
  /** Called (not awaited) by `shutdown`. */
  shutdown?: (by: string) => void | Promise<void>;
  now?: () => number;
}

interface Help { syntax: string; text: string; admin?: boolean }
export const CONSOLE_COMMANDS: Record<string, Help> = {
  whoami: { syntax: 'whoami', text: 'your user name and role' },
  passwd: { syntax: 'passwd', text: 'change your password (asks twice, shows nothing)' },
  keys: { syntax: 'keys list | keys add LINE', text: 'your SSH public keys; LINE is an OpenSSH public key line' },
  users: { syntax: 'users list | users add NAME [--admin] | users remove NAME', text: 'the appliance users (admin)', admin: true },
  node: { syntax: 'node', text: 'node id, version and uptime (admin)', admin: true },
  shutdown: { syntax: 'shutdown', text: 'stop the appliance cleanly (admin)', admin: true },
};

/** Takes a standalone `--json` word out of a line. */
export function splitJsonFlag(line: string): { line: string; json: boolean } {
  const words = line.trim().split(/\s+/);
  const json = words.includes('--json');
  return { line: json ? words.filter((w) => w !== '--json').join(' ') : line, json };
}

/** The reply as the person sees it: text, or one JSON object per command. */
export function renderReply(reply: ConsoleReply, json: boolean): string {
  if (!json) return reply.output;
  if (reply.error) return JSON.stringify({ ok: false, error: reply.error, message: reply.output.replace(/^error: /, '') });
  return JSON.stringify({ ok: true, output: reply.output, ...(reply.json !== undefined ? { result: reply.json } : {}) });
}

export function uptimeText(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${d > 0 ? `${d}d ` : ''}${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

const failure = (err: unknown): ConsoleReply => {
  if (isColonyError(err)) return { output: `error: ${err.detail}`, error: err.code };
  return { output: `error: internal: ${err instanceof Error ? err.message : String(err)}`, error: 'COLONY_INTERNAL' };
};

/** Runs one line for the context's user. Never throws: failures are `error: …` replies. */
export async function dispatch(ctx: CommandContext, line: string): Promise<ConsoleReply> {
  const words = line.trim().split(/\s+/).filter(Boolean);
  const [verb, ...args] = words;
  try {
    if (verb === undefined || verb.startsWith('#')) return { output: '' };
    if (verb === 'exit' || verb === 'quit') return { output: '', exit: true };
    const own = CONSOLE_COMMANDS[verb];
    if (!own) {
      if ((verb === 'help' || verb === '?') && args.length === 0) return await help(ctx);
      if ((verb === 'help' || verb === '?') && args.length === 1 && CONSOLE_COMMANDS[args[0]!]) return topic(ctx, args[0]!);
      return await ctx.interpreter.run(ctx.user, line);
    }
    if (own.admin && !isAdmin(ctx)) throw permission(`'${verb}' is for admins`);
    switch (verb) {
      case 'whoami': return whoami(ctx, args);
      case 'passwd': return await passwd(ctx, args);
      case 'keys': return await keys(ctx, line, args);
      case 'users': return await users(ctx, args);
      case 'node': return node(ctx, args);
      case 'shutdown': return shutdown(ctx, args);
    }
    throw usage(`unknown command '${verb}'`);
  } catch (err) {
    return failure(err);
  }
}

function isAdmin(ctx: CommandContext): boolean {
  return ctx.accounts.getUser(ctx.user).role === 'admin';
}

function noArgs(verb: string, args: string[]): void {
  if (args.length) throw usage(`usage: ${CONSOLE_COMMANDS[verb]?.syntax ?? verb}`);
}

async function help(ctx: CommandContext): Promise<ConsoleReply> {
  const grid = await ctx.interpreter.run(ctx.user, 'help');
  const admin = isAdmin(ctx);
  const mine = Object.values(CONSOLE_COMMANDS).filter((h) => admin || !h.admin);
  const width = Math.max(...mine.map((h) => h.syntax.length));
  const text = ['console commands:', ...mine.map((h) => `  ${h.syntax.padEnd(width)}  ${h.text}`), 'add --json to any command for output as JSON'].join('\n');
  return { output: grid.output ? `${grid.output}\n${text}` : text, json: { commands: [...mine.map((h) => h.syntax)] } };
}

function topic(ctx: CommandContext, name: string): ConsoleReply {
  const h = CONSOLE_COMMANDS[name]!;
  if (h.admin && !isAdmin(ctx)) throw permission(`'${name}' is for admins`);
  return { output: `${h.syntax}\n  ${h.text}` };
}

function whoami(ctx: CommandContext, args: string[]): ConsoleReply {
  noArgs('whoami', args);
  const u = ctx.accounts.getUser(ctx.user);
  return { output: `${u.name} (${u.role})`, json: { user: u.name, role: u.role, keys: u.keys.length, hasPassword: u.hasPassword } };
}

async function passwd(ctx: CommandContext, args: string[]): Promise<ConsoleReply> {
  noArgs('passwd', args);
  const cancelled = () => new ColonyError('COLONY_USAGE', 'passwd: cancelled; the password is unchanged');
  if (ctx.accounts.getUser(ctx.user).hasPassword) {
    const current = await ctx.ask('current password: ', { secret: true });
    if (current === undefined) throw cancelled();
    if (!(await ctx.accounts.checkPassword(ctx.user, current))) throw new ColonyError('COLONY_AUTH', 'passwd: that is not your current password');
  }
  const first = await ctx.ask('new password: ', { secret: true });
  if (first === undefined) throw cancelled();
  const second = await ctx.ask('new password again: ', { secret: true });
  if (second === undefined) throw cancelled();
  if (first !== second) throw new ColonyError('COLONY_INVALID', 'passwd: the two passwords differ; the password is unchanged');
  await ctx.accounts.setPassword(ctx.user, first);
  return { output: 'password changed', json: { user: ctx.user, changed: true } };
}

async function keys(ctx: CommandContext, line: string, args: string[]): Promise<ConsoleReply> {
  const [sub] = args;
  if (sub === 'list' && args.length === 1) {
    const list = ctx.accounts.getUser(ctx.user).keys;
    return {
      output: list.length ? list.map((k) => `${k.fingerprint}  ${k.type}  ${k.comment}`.trimEnd()).join('\n') : 'no keys',
      json: list.map((k) => ({ type: k.type, fingerprint: k.fingerprint, comment: k.comment })),
    };
  }
  if (sub === 'add' && args.length >= 3) {
    // The key line keeps its own spacing and comment: everything after `keys add`.
    const keyLine = line.trim().replace(/^keys\s+add\s+/, '');
    const k = await ctx.accounts.addKey(ctx.user, keyLine);
    return { output: `added ${k.type} key ${k.fingerprint}${k.comment ? ` (${k.comment})` : ''}`, json: { type: k.type, fingerprint: k.fingerprint, comment: k.comment } };
  }
  throw usage(`usage: ${CONSOLE_COMMANDS.keys!.syntax}`);
}

async function users(ctx: CommandContext, args: string[]): Promise<ConsoleReply> {
  const [sub, name, ...rest] = args;
  if (sub === 'list' && name === undefined) {
    const list = ctx.accounts.listUsers();
    const rows = list.map((u) => `${u.name.padEnd(16)} ${u.role.padEnd(5)}  keys ${u.keys.length}  password ${u.hasPassword ? 'yes' : 'no'}`);
    return { output: rows.join('\n'), json: list.map((u) => ({ name: u.name, role: u.role, keys: u.keys.length, hasPassword: u.hasPassword })) };
  }
  if (sub === 'add' && name !== undefined && (rest.length === 0 || (rest.length === 1 && rest[0] === '--admin'))) {
    const role = rest.length ? 'admin' : 'user';
    const password = randomBytes(12).toString('base64url');
    await ctx.accounts.addUser({ name, role, password });
    return {
      output: `added ${role} ${name}; first password: ${password}\n(shown once; ${name} can change it with passwd or add a key with keys add)`,
      json: { name, role, password },
    };
  }
  if (sub === 'remove' && name !== undefined && rest.length === 0) {
    if (name === ctx.user) throw permission('you cannot remove yourself');
    await ctx.accounts.removeUser(name);
    return { output: `removed user ${name}`, json: { name, removed: true } };
  }
  throw usage(`usage: ${CONSOLE_COMMANDS.users!.syntax}`);
}

function node(ctx: CommandContext, args: string[]): ConsoleReply {
  noArgs('node', args);
  const now = ctx.now?.() ?? Date.now();
  const uptimeMs = now - ctx.node.started;
  const sessions = ctx.node.sessions?.();
  const lines = [`node ${ctx.node.id}`, `version ${ctx.node.version}`, `uptime ${uptimeText(uptimeMs)}`];
  if (sessions !== undefined) lines.push(`ssh sessions ${sessions}`);
  return { output: lines.join('\n'), json: { id: ctx.node.id, version: ctx.node.version, uptimeMs, ...(sessions !== undefined ? { sessions } : {}) } };
}

function shutdown(ctx: CommandContext, args: string[]): ConsoleReply {
  noArgs('shutdown', args);
  const stop = ctx.shutdown;
  if (!stop) throw new ColonyError('COLONY_UNSUPPORTED', 'shutdown is not available on this appliance');
  // Not awaited: shutting down drains this very session, which must end first.
  setImmediate(() => { Promise.resolve().then(() => stop(ctx.user)).catch(() => {}); });
  return { output: 'shutting down', exit: true, json: { shutdown: true, by: ctx.user } };
}
