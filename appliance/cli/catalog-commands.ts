// `colony scores` and `colony users …`: what users can see, and who the users are.
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { ColonyError, fromSystemError, invalid } from '../errors.js';
import type { NameRecord } from '../catalog/index.js';
import { pendingText } from '../grid/index.js';
import { formatScore } from '../store/index.js';
import type { Command, CommandContext } from './command.js';
import { callerPath, writeJson } from './command.js';
import { actingUser, nameView, withDataDir } from './data-dir.js';
import { interrupted, LineQueue, ownTerminal, unechoedLines } from './secret-input.js';

const THROUGH = 'While a supervisor runs on the data directory, it runs inside the supervisor.';

/**
 * A password from standard input: the first line when piped; typed twice on a terminal,
 * without echo. On this process's terminal the echo is turned off here; for a command
 * forwarded to the supervisor (a terminal that is the caller's), the CLI turns it off and
 * sends only the lines (`secretStdin`, console-client.ts).
 */
async function readPassword(ctx: CommandContext): Promise<string> {
  const stdin = ctx.stdin as NodeJS.ReadStream;
  const lines = new LineQueue();
  let stop: () => void;
  if (ownTerminal(stdin)) {
    stop = unechoedLines(stdin, { line: lines.push, end: () => lines.finish(null), interrupt: () => lines.finish(interrupted()) });
  } else {
    const rl = createInterface({ input: stdin, terminal: false, crlfDelay: Infinity });
    rl.on('line', lines.push);
    rl.on('close', () => lines.finish(null));
    const onAbort = () => lines.finish(ctx.signal?.reason instanceof Error ? ctx.signal.reason : interrupted());
    ctx.signal?.addEventListener('abort', onAbort, { once: true });
    if (ctx.signal?.aborted) onAbort();
    stop = () => { ctx.signal?.removeEventListener('abort', onAbort); rl.close(); };
  }
  try {
    if (!stdin.isTTY) {
      const line = await lines.next();
      if (!line) throw invalid('no password on standard input');
      return line;
    }
    const ask = async (prompt: string) => {
      ctx.err.write(prompt);
      try {
        const line = await lines.next();
        if (line === undefined) throw new ColonyError('COLONY_CLOSED', 'no password typed (end of input); nothing was changed');
        return line;
      } finally {
        ctx.err.write('\n');
      }
    };
    const a = await ask('new password: ');
    const b = await ask('again: ');
    if (a !== b) throw invalid('the two passwords differ');
    if (!a) throw invalid('an empty password');
    return a;
  } finally {
    stop();
  }
}

const scores: Command = {
  path: ['scores'],
  supervisor: 'forward',
  summary: 'List the snapshot names a user can see, newest first.',
  params: '[FILTER]',
  arity: [0, 1],
  json: true,
  options: { user: { type: 'string', arg: 'USER', help: 'as USER (default: the first admin, who sees every name)' } },
  description: `FILTER is a substring of the name, or a glob (* and ?) matching the whole name. ${THROUGH}`,
  async run(ctx) {
    return withDataDir(ctx, async (d) => {
      // Replicated names whose blocks are not all here are listed apart (and in JSON marked
      // `pending`), as the supervisor's `scores` does: they cannot be spawned yet.
      const { visible: list, pending } = await nameView(d, actingUser(ctx.values, d), ctx.args[0]);
      if (ctx.json) {
        writeJson(ctx.out, [...list.map((r) => ({ ...r, root: formatScore(r.root) })), ...pending.map((p) => ({ ...p.record, root: formatScore(p.record.root), pending: p.progress }))]);
        return 0;
      }
      const line = (r: NameRecord, last: string) => `${`${r.owner}/${r.name}`.padEnd(32)} ${r.created.slice(0, 19).replace('T', ' ')}  ${formatScore(r.root).slice(0, 19)}…  ${last}\n`;
      if (!list.length) ctx.err.write('no names\n');
      for (const r of list) ctx.out.write(line(r, r.comment));
      if (pending.length) {
        ctx.out.write(`${list.length ? '\n' : ''}pending (blocks still arriving; not spawnable yet):\n`);
        for (const p of pending) ctx.out.write(line(p.record, pendingText(p.progress)));
      }
      return 0;
    });
  },
};

const usersAdd: Command = {
  path: ['users', 'add'],
  supervisor: 'forward',
  summary: 'Add a user.',
  params: 'NAME',
  arity: [1, 1],
  secretStdin: (values) => values['password-stdin'] === true,
  options: {
    admin: { type: 'boolean', help: 'make the user an admin' },
    key: { type: 'string', arg: 'PUBKEY_FILE', multiple: true, help: 'an OpenSSH public key file (may repeat)' },
    'password-stdin': { type: 'boolean', help: 'read the password from standard input' },
  },
  description: `User names are lowercase letters, digits, _ and -, starting with a letter or _. ${THROUGH}`,
  async run(ctx) {
    const keys: string[] = [];
    for (const f of (ctx.values.key as string[] | undefined) ?? []) keys.push((await readFile(callerPath(ctx, f), 'utf8').catch((e) => { throw fromSystemError(e, `reading ${f}`); })).trim());
    const password = ctx.values['password-stdin'] ? await readPassword(ctx) : undefined;
    return withDataDir(ctx, async (d) => {
      const u = await d.catalog.addUser({ name: ctx.args[0]!, role: ctx.values.admin ? 'admin' : 'user', password, keys });
      ctx.out.write(`added ${u.role} ${u.name}${u.keys.length ? ` with ${u.keys.length} key(s)` : ''}${u.hasPassword ? ' and a password' : ''}\n`);
      return 0;
    });
  },
};

const usersList: Command = {
  path: ['users', 'list'],
  supervisor: 'forward',
  summary: 'List the users.',
  json: true,
  async run(ctx) {
    return withDataDir(ctx, async (d) => {
      const users = d.catalog.listUsers();
      if (ctx.json) { writeJson(ctx.out, users); return 0; }
      for (const u of users) ctx.out.write(`${u.name.padEnd(20)} ${u.role.padEnd(6)} ${u.hasPassword ? 'password' : 'no password'}, ${u.keys.length} key(s)\n`);
      return 0;
    });
  },
};

const usersPasswd: Command = {
  path: ['users', 'passwd'],
  supervisor: 'forward',
  summary: "Set a user's password (typed twice on a terminal, or the first line of standard input).",
  params: 'NAME',
  arity: [1, 1],
  secretStdin: () => true,
  async run(ctx) {
    const password = await readPassword(ctx);
    return withDataDir(ctx, async (d) => {
      await d.catalog.setPassword(ctx.args[0]!, password);
      ctx.out.write(`password set for ${ctx.args[0]}\n`);
      return 0;
    });
  },
};

const usersKey: Command = {
  path: ['users', 'key'],
  supervisor: 'forward',
  summary: 'Authorise an OpenSSH public key for a user.',
  params: 'NAME PUBKEY_FILE',
  arity: [2, 2],
  async run(ctx) {
    const [name, file] = ctx.args as [string, string];
    const line = (await readFile(callerPath(ctx, file), 'utf8').catch((e) => { throw fromSystemError(e, `reading ${file}`); })).trim();
    return withDataDir(ctx, async (d) => {
      const k = await d.catalog.addKey(name, line);
      ctx.out.write(`added ${k.type} key ${k.fingerprint} for ${name}\n`);
      return 0;
    });
  },
};

export const catalogCommands: Command[] = [scores, usersAdd, usersList, usersPasswd, usersKey];
