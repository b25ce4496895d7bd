// The console verbs that are not the grid's: whoami, passwd, keys, and for admins users,
// node and shutdown. No streams: questions (passwd) go through ctx.ask, so each verb can
// be tested with a scripted answerer, and an adapter that cannot ask says so.
import { randomBytes } from 'node:crypto';
import { ColonyError, permission, unsupported, usage } from '../errors.js';
import type { Accounts, ConsoleContext, NodeInfo } from './context.js';
import type { ConsoleReply } from './reply.js';
import { boardLines } from './board-verbs.js';

export const ACCOUNT_SYNTAX = {
  whoami: 'whoami',
  passwd: 'passwd',
  keys: 'keys list | keys add LINE',
  users: 'users list | users add NAME [--admin] | users remove NAME [--boom]',
  node: 'node',
  shutdown: 'shutdown',
} as const;

export function uptimeText(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${d > 0 ? `${d}d ` : ''}${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

function noArgs(verb: keyof typeof ACCOUNT_SYNTAX, args: string[]): void {
  if (args.length) throw usage(`usage: ${ACCOUNT_SYNTAX[verb]}`);
}

function accountsOf(ctx: ConsoleContext): Accounts {
  if (!ctx.accounts) throw unsupported('user accounts are not reachable from here');
  return ctx.accounts;
}

export function whoami(ctx: ConsoleContext, args: string[]): ConsoleReply {
  noArgs('whoami', args);
  const u = accountsOf(ctx).getUser(ctx.user);
  return { output: `${u.name} (${u.role})`, json: { user: u.name, role: u.role, keys: u.keys.length, hasPassword: u.hasPassword } };
}

export async function passwd(ctx: ConsoleContext, args: string[]): Promise<ConsoleReply> {
  noArgs('passwd', args);
  const accounts = accountsOf(ctx);
  const ask = ctx.ask;
  if (!ask) throw unsupported("passwd asks questions, which this channel cannot: use ssh, 'colony console' or 'colony users passwd'");
  const cancelled = () => new ColonyError('COLONY_USAGE', 'passwd: cancelled; the password is unchanged');
  if (accounts.getUser(ctx.user).hasPassword) {
    const current = await ask('current password: ', { secret: true });
    if (current === undefined) throw cancelled();
    if (!(await accounts.checkPassword(ctx.user, current))) throw new ColonyError('COLONY_AUTH', 'passwd: that is not your current password');
  }
  const first = await ask('new password: ', { secret: true });
  if (first === undefined) throw cancelled();
  const second = await ask('new password again: ', { secret: true });
  if (second === undefined) throw cancelled();
  if (first !== second) throw new ColonyError('COLONY_INVALID', 'passwd: the two passwords differ; the password is unchanged');
  await accounts.setPassword(ctx.user, first);
  return { output: 'password changed', json: { user: ctx.user, changed: true } };
}

export async function keys(ctx: ConsoleContext, args: string[], line: string): Promise<ConsoleReply> {
  const accounts = accountsOf(ctx);
  const [sub] = args;
  if (sub === 'list' && args.length === 1) {
    const list = accounts.getUser(ctx.user).keys;
    return {
      output: list.length ? list.map((k) => `${k.fingerprint}  ${k.type}  ${k.comment}`.trimEnd()).join('\n') : 'no keys',
      json: list.map((k) => ({ type: k.type, fingerprint: k.fingerprint, comment: k.comment })),
    };
  }
  if (sub === 'add' && args.length >= 3) {
    // The key line keeps its own spacing and comment: everything after `keys add`.
    const keyLine = line.trim().replace(/^keys\s+add\s+/, '');
    const k = await accounts.addKey(ctx.user, keyLine);
    return { output: `added ${k.type} key ${k.fingerprint}${k.comment ? ` (${k.comment})` : ''}`, json: { type: k.type, fingerprint: k.fingerprint, comment: k.comment } };
  }
  throw usage(`usage: ${ACCOUNT_SYNTAX.keys}`);
}

export async function users(ctx: ConsoleContext, args: string[]): Promise<ConsoleReply> {
  const accounts = accountsOf(ctx);
  const [sub, name, ...rest] = args;
  if (sub === 'list' && name === undefined) {
    const list = accounts.listUsers();
    const rows = list.map((u) => `${u.name.padEnd(16)} ${u.role.padEnd(5)}  keys ${u.keys.length}  password ${u.hasPassword ? 'yes' : 'no'}`);
    return { output: rows.join('\n'), json: list.map((u) => ({ name: u.name, role: u.role, keys: u.keys.length, hasPassword: u.hasPassword })) };
  }
  if (sub === 'add' && name !== undefined && (rest.length === 0 || (rest.length === 1 && rest[0] === '--admin'))) {
    const role = rest.length ? 'admin' : 'user';
    const password = randomBytes(12).toString('base64url');
    await accounts.addUser({ name, role, password });
    return {
      output: `added ${role} ${name}; first password: ${password}\n(shown once; ${name} can change it with passwd or add a key with keys add)`,
      json: { name, role, password },
    };
  }
  if (sub === 'remove' && name !== undefined && (rest.length === 0 || (rest.length === 1 && rest[0] === '--boom'))) {
    return removeUser(ctx, accounts, name, rest.length === 1);
  }
  throw usage(`usage: ${ACCOUNT_SYNTAX.users}`);
}

/**
 * Removes a user: their keys and password go with the account (their SSH sessions can run
 * nothing more), and their environments are boomed, which revokes their tokens and cuts off
 * their 9P clients. Environments hold unsaved work, so they are boomed only with --boom.
 */
async function removeUser(ctx: ConsoleContext, accounts: Accounts, name: string, boom: boolean): Promise<ConsoleReply> {
  if (name === ctx.user) throw permission('you cannot remove yourself');
  accounts.getUser(name);
  const grid = ctx.grid;
  const running = grid?.ownedBy?.(name) ?? [];
  if (running.length && !boom) {
    const n = running.length;
    throw new ColonyError('COLONY_NOT_EMPTY', `${name} has ${n} environment${n === 1 ? '' : 's'} (${running.join(', ')}); \`users remove ${name} --boom\` destroys ${n === 1 ? 'it' : 'them'}, unsaved changes included`);
  }
  await accounts.removeUser(name);
  // Also when none were running a moment ago: a spawn may have raced the removal.
  const boomed = grid?.boomAllOf ? await grid.boomAllOf(ctx.user, name, `user ${name} removed by ${ctx.user}`) : undefined;
  const lines = [`removed user ${name}`];
  if (boomed?.length) {
    lines.push(`boomed ${boomed.length} environment${boomed.length === 1 ? '' : 's'}: ${boomed.map((b) => b.unsaved ? `${b.name} (unsaved changes lost)` : b.name).join(', ')}`);
  }
  const json = { name, removed: true, ...(boomed ? { boomed: boomed.map((b) => ({ name: b.name, unsaved: b.unsaved })) } : {}) };
  return { output: lines.join('\n'), json };
}

function nodeReply(node: NodeInfo, now: number): ConsoleReply {
  const uptimeMs = now - node.started;
  const sessions = node.sessions?.();
  const lines = [`node ${node.id}`, `version ${node.version}`, `uptime ${uptimeText(uptimeMs)}`];
  if (sessions !== undefined) lines.push(`ssh sessions ${sessions}`);
  const lan = node.lan?.();
  if (lan) {
    const last = lan.renames.at(-1);
    lines.push(`lan name ${lan.name}${last ? ` (renamed from '${lan.renames[0]!.from}': the name is taken on the LAN)` : ''} on ${lan.interfaces.join(', ') || 'no interface'}${lan.via === 'avahi-daemon' ? ' (through avahi-daemon)' : ''}`);
  }
  // Whether `cpu` can run here: an admin's first question when it refuses.
  const cpu = node.cpu ? (node.cpu.unavailable === undefined ? 'ready' : `unavailable: ${node.cpu.unavailable}`) : undefined;
  if (cpu !== undefined) lines.push(`cpu ${cpu}`);
  const board = node.board ? boardLines(node.board()) : undefined;
  if (board) lines.push(...board.lines);
  return {
    output: lines.join('\n'),
    json: { id: node.id, version: node.version, uptimeMs, ...(sessions !== undefined ? { sessions } : {}), ...(lan ? { lan } : {}), ...(cpu !== undefined ? { cpu } : {}), ...(board ? { board: board.json } : {}) },
  };
}

export function node(ctx: ConsoleContext, args: string[]): ConsoleReply {
  noArgs('node', args);
  if (!ctx.node) throw unsupported('node information is not reachable from here');
  return nodeReply(ctx.node, ctx.now?.() ?? Date.now());
}

export function shutdown(ctx: ConsoleContext, args: string[]): ConsoleReply {
  noArgs('shutdown', args);
  const stop = ctx.shutdown;
  if (!stop) throw unsupported('shutdown is not available on this appliance');
  // Not awaited: shutting down drains this very session, which must end first.
  setImmediate(() => { Promise.resolve().then(() => stop(ctx.user)).catch(() => {}); });
  return { output: 'shutting down', exit: true, json: { shutdown: true, by: ctx.user } };
}
