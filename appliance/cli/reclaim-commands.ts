// `colony forget`, `colony gc` and `colony usage`: the console verbs of the same names, so
// the answers are the registry's, word for word. With a supervisor running, the line goes
// to it over DATA/console.sock (a LINE request, as `colony console` sends them), where gc
// and usage reach the collector. Without one, `forget` opens the data directory and runs
// the verb here (the catalog is all it needs); gc and usage need the supervisor.
import { join } from 'node:path';
import { checkName, checkReason, checkUserName } from '../catalog/index.js';
import { runLine, type ConsoleReply } from '../console/index.js';
import { ColonyError, unsupported } from '../errors.js';
import { writeJson, type Command, type CommandContext } from './command.js';
import { dialSupervisor, LocalClient } from './console-client.js';
import { actingUser, withDataDir } from './data-dir.js';
import { packageVersion } from './serve.js';

const USER = { type: 'string', short: 'u', arg: 'USER', help: 'as USER (default: the first admin)' } as const;

/** Sends the line to the running supervisor; undefined when none answers. */
async function throughSupervisor(ctx: CommandContext, line: string): Promise<ConsoleReply | undefined> {
  const sock = await dialSupervisor(join(ctx.data, 'console.sock'));
  if (!sock) return undefined;
  const client = await LocalClient.open(sock, typeof ctx.values.user === 'string' ? ctx.values.user : undefined);
  try {
    return await client.line(line, async () => undefined); // none of these verbs asks
  } finally {
    client.close();
  }
}

/** Prints a reply as the command's output; a failed one is thrown, so main() gives its exit status. */
function show(ctx: CommandContext, reply: ConsoleReply): number {
  if (reply.error) throw new ColonyError(reply.error, reply.output.replace(/^error: /, ''));
  if (ctx.json) writeJson(ctx.out, reply.json ?? null);
  else if (reply.output) ctx.out.write(`${reply.output}\n`);
  return 0;
}

const needsSupervisor = (ctx: CommandContext, verb: string) =>
  unsupported(`'colony ${verb}' needs the running supervisor, and none runs on ${ctx.data}: start the supervisor (colony serve) and try again`);

/** A forget line the registry's grammar reads back exactly: the name and reason are checked here first. */
export function forgetLine(text: string, o: { reason?: string; yes?: boolean }): string {
  const slash = text.indexOf('/');
  if (slash >= 0) checkUserName(text.slice(0, slash));
  checkName(slash >= 0 ? text.slice(slash + 1) : text);
  const reason = o.reason === undefined ? undefined : checkReason(o.reason.trim());
  return ['forget', text, ...(reason !== undefined ? ['--reason', reason] : []), ...(o.yes ? ['--yes'] : [])].join(' ');
}

export const forgetCommand: Command = {
  path: ['forget'],
  summary: 'Forget a name for good: it leaves every listing and can never be bound again, on any node.',
  params: 'NAME | OWNER/NAME',
  arity: [1, 1],
  json: true,
  options: {
    user: USER,
    reason: { type: 'string', arg: 'TEXT', help: "why (one line, up to 200 characters): required of an admin forgetting another user's name; logged" },
    yes: { type: 'boolean', help: 'forget it even though it is shared: the users it was granted to lose it too' },
  },
  description: `NAME is the user's own name (see --user); an admin forgets another user's name as
OWNER/NAME with --reason. The forgetting is an event in the catalog (a tombstone) that
replicates to every paired node; the name can never be registered again there, to any tree.
A name granted to other users is only forgotten with --yes, once the command has named them.
Environments spawned from it keep running; 'colony gc' gives the space back once nothing
needs its blocks. With a supervisor running it does this through it; otherwise it writes the
catalog in the data directory itself.`,
  async run(ctx) {
    const line = forgetLine(ctx.args[0]!, { ...(typeof ctx.values.reason === 'string' ? { reason: ctx.values.reason } : {}), yes: ctx.values.yes === true });
    const reply = await throughSupervisor(ctx, line) ?? await withDataDir(ctx, async (d) => {
      const user = actingUser(ctx.values, d);
      return runLine({ user, accounts: d.catalog, node: { id: d.nodeId, version: packageVersion(), started: Date.now() } }, line);
    });
    return show(ctx, reply);
  },
};

export const gcCommand: Command = {
  path: ['gc'],
  summary: 'Give back the space of blocks no name or environment needs (admin); --dry-run prints the plan.',
  arity: [0, 0],
  json: true,
  options: {
    user: USER,
    'dry-run': { type: 'boolean', help: 'print the plan (bytes to free, arenas to rewrite and delete) and change nothing' },
  },
  description: `Asks the running supervisor, which marks every block a name, an environment or a
running import still needs, then rewrites the arenas that are mostly garbage and deletes the
ones with nothing live, in the background. Without a supervisor it says to start one.`,
  async run(ctx) {
    const reply = await throughSupervisor(ctx, ctx.values['dry-run'] === true ? 'gc --dry-run' : 'gc');
    if (!reply) throw needsSupervisor(ctx, 'gc');
    return show(ctx, reply);
  },
};

export const usageCommand: Command = {
  path: ['usage'],
  summary: "Show the bytes a user's names and environments hold, and their quota (an admin: every user).",
  arity: [0, 0],
  json: true,
  options: { user: USER },
  description: `Asks the running supervisor. Blocks two of a user's names share count once for that
user; a block two users hold counts for each. Without a supervisor it says to start one.`,
  async run(ctx) {
    const reply = await throughSupervisor(ctx, 'usage');
    if (!reply) throw needsSupervisor(ctx, 'usage');
    return show(ctx, reply);
  },
};

export const reclaimCommands: Command[] = [forgetCommand, gcCommand, usageCommand];
