// The verbs that give space back: `forget` (a name, for good: a catalog tombstone), `gc`
// (admin: collect what nothing needs, or plan it with --dry-run) and `usage` (bytes per
// user). gc and usage go through NodeInfo.gc, a structural GcRunner the supervisor fills
// from appliance/gc, so the console never imports the collector.
import { ColonyError, unsupported, usage as usageError } from '../errors.js';
import { formatScore } from '../store/index.js';
import type { Accounts, ConsoleContext, GcReport, GcRunner, UsageReport } from './context.js';
import { bytes, table } from './format.js';
import type { ConsoleReply } from './reply.js';

export const RECLAIM_VERBS = {
  forget: {
    syntax: 'forget [OWNER/]NAME [--reason TEXT] [--yes]',
    text: "forget your name NAME for good: it leaves scores and can never be bound again, here or on any node. Users it was granted to lose it too (forget names them and wants --yes). Environments spawned from it keep running. An admin forgets another user's name as OWNER/NAME with --reason (one line), which is logged",
  },
  gc: {
    syntax: 'gc [--dry-run]',
    text: 'give back the space of blocks no name or environment needs: rewrites mostly-garbage arenas, deletes dead ones; --dry-run prints the plan (bytes to free, arenas to rewrite) and changes nothing (admin)',
  },
  usage: {
    syntax: 'usage',
    text: 'the bytes your names and environments hold, and your quota; an admin sees every user',
  },
} as const;

type ReclaimVerb = keyof typeof RECLAIM_VERBS;

const helpReply = (verb: ReclaimVerb): ConsoleReply => ({ output: `${RECLAIM_VERBS[verb].syntax}\n  ${RECLAIM_VERBS[verb].text}` });
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export interface ForgetCommand { owner?: string; name: string; text: string; yes: boolean; reason?: string }

/**
 * `forget NAME [--yes]` or `forget OWNER/NAME [--yes] --reason TEXT [--yes]`. The reason is
 * the rest of the line as written (a trailing --yes aside), as for `boom … --reason`.
 */
export function parseForget(line: string): ForgetCommand {
  const bad = () => usageError(`usage: ${RECLAIM_VERBS.forget.syntax}`);
  const m = /^\s*forget\s+(\S+)(\s+--yes)?(?:\s+--reason\s+(\S.*?))?(\s+--yes)?\s*$/.exec(line);
  if (!m) throw bad();
  const text = m[1]!;
  if (text.startsWith('-') || m[3] === '--yes' || (m[2] && m[4])) throw bad();
  const slash = text.indexOf('/');
  const owner = slash < 0 ? undefined : text.slice(0, slash);
  return { ...(owner !== undefined ? { owner } : {}), name: slash < 0 ? text : text.slice(slash + 1), text, yes: Boolean(m[2] || m[4]), ...(m[3] !== undefined ? { reason: m[3] } : {}) };
}

function forgetting(ctx: ConsoleContext): Required<Pick<Accounts, 'forgetName' | 'checkForget'>> {
  const a = ctx.accounts;
  if (!a?.forgetName || !a.checkForget) throw unsupported('names cannot be forgotten from here (the catalog is not reachable)');
  return { forgetName: a.forgetName.bind(a), checkForget: a.checkForget.bind(a) };
}

export async function forget(ctx: ConsoleContext, args: string[], line: string): Promise<ConsoleReply> {
  if (args[0] === '--help' && args.length === 1) return helpReply('forget');
  const cmd = parseForget(line);
  const owner = cmd.owner ?? ctx.user;
  if (owner !== ctx.user && cmd.reason === undefined) {
    throw usageError(`forgetting ${owner}'s name needs a reason: forget ${cmd.text} --reason TEXT (admin)`);
  }
  const catalog = forgetting(ctx);
  const options = { by: ctx.user, ...(cmd.reason !== undefined ? { reason: cmd.reason } : {}) };
  const plan = catalog.checkForget(owner, cmd.name, options);
  if (plan.grantees.length && !cmd.yes) {
    throw usageError(`${cmd.text} is shared with ${plan.grantees.join(', ')}: they lose it too; run ${line.trim().split(/\s+/).join(' ')} --yes`);
  }
  const r = await catalog.forgetName(owner, cmd.name, options);
  const full = `${r.record.owner}/${r.record.name}`;
  const root = formatScore(r.record.root);
  const running = (ctx.grid?.status(ctx.user) ?? []).filter((e) => e.base.owner === r.record.owner && e.base.name === r.record.name).map((e) => e.name);
  const lines = [`forgot ${full} (${root.slice(0, 15)}…); it can never be bound again, here or on any node`];
  if (r.reason !== undefined) lines.push(`reason (logged): ${r.reason}`);
  if (r.grantees.length) lines.push(`${r.grantees.join(', ')} lost it too (it was granted to them)`);
  lines.push(running.length
    ? `environments spawned from it keep running (${running.join(', ')}); gc keeps its blocks while they do`
    : 'environments spawned from it, if any, keep running; gc keeps its blocks while they do');
  return {
    output: lines.join('\n'),
    json: { owner: r.record.owner, name: r.record.name, root, by: ctx.user, ...(r.reason !== undefined ? { reason: r.reason } : {}), grantees: r.grantees, running },
  };
}

function runnerOf(ctx: ConsoleContext): GcRunner {
  const gc = ctx.node?.gc;
  if (!gc) throw unsupported('garbage collection is not reachable from here (it runs in the supervisor: start it with colony serve)');
  return gc;
}

const seconds = (s: number) => (s < 10 ? `${s.toFixed(1)} s` : `${Math.round(s)} s`);

/** The plan (a dry run) or what a run did, for people. */
export function gcText(r: GcReport): string {
  const lines = [
    r.dryRun ? 'gc plan (dry run: nothing was changed)' : `gc done in ${seconds(r.seconds)}`,
    `store     ${bytes(r.storeBytes)}: ${bytes(r.liveBytes)} live, ${bytes(r.garbageBytes)} garbage`,
  ];
  if (!r.rewrite.length && !r.remove.length) {
    lines.push('nothing to do: no arena is worth rewriting');
    return lines.join('\n');
  }
  if (r.remove.length) lines.push(`delete    ${plural(r.remove.length, 'arena')} with nothing live (${r.remove.join(', ')})`);
  if (r.rewrite.length) {
    lines.push(`free      ${plural(r.rewrite.length, 'arena')} in place (holes), copying live records forward only where holes are not enough:`);
    lines.push(table([['  ARENA', 'LIVE', 'GARBAGE'], ...r.rewrite.map((a) => [`  ${a.arena}`, bytes(a.liveBytes), bytes(a.garbageBytes)])]));
  }
  const copied = r.copied ?? [];
  lines.push(r.dryRun
    ? `would free ${bytes(r.bytesToFree)}, writing at most ${bytes(r.bytesToWrite)}; run gc to do it`
    : `freed     ${bytes(r.freedBytes)}, wrote ${bytes(r.writtenBytes)}${copied.length ? ` (copied the live records of ${plural(copied.length, 'arena')}: ${copied.join(', ')})` : ''}`);
  return lines.join('\n');
}

export async function gc(ctx: ConsoleContext, args: string[]): Promise<ConsoleReply> {
  if (args[0] === '--help' && args.length === 1) return helpReply('gc');
  if (args.length > 1 || (args.length === 1 && args[0] !== '--dry-run')) throw usageError(`usage: ${RECLAIM_VERBS.gc.syntax}`);
  const report = await runnerOf(ctx).run({ dryRun: args.length === 1, by: ctx.user });
  return { output: gcText(report), json: report };
}

const userLine = (u: UsageReport['users'][number]) =>
  `${u.user}: ${bytes(u.bytes)} in ${plural(u.names, 'name')} and ${plural(u.environments, 'environment')}${u.quotaBytes !== undefined ? `, quota ${bytes(u.quotaBytes)} (${Math.floor((100 * u.bytes) / Math.max(1, u.quotaBytes))}% used)` : ', no quota'}`;

/** A user's own line, or (admin) every user and the store. */
export function usageText(r: UsageReport, admin: boolean): string {
  if (!admin) return [r.users.length ? userLine(r.users[0]!) : 'you hold nothing yet', r.note].join('\n');
  const rows = r.users.map((u) => [u.user, bytes(u.bytes), String(u.names), String(u.environments), u.quotaBytes !== undefined ? bytes(u.quotaBytes) : '-']);
  return [table([['USER', 'BYTES', 'NAMES', 'ENVS', 'QUOTA'], ...rows]), `store: ${bytes(r.storeBytes)}`, r.note].join('\n');
}

export async function usage(ctx: ConsoleContext, args: string[]): Promise<ConsoleReply> {
  if (args[0] === '--help' && args.length === 1) return helpReply('usage');
  if (args.length) throw usageError(`usage: ${RECLAIM_VERBS.usage.syntax}`);
  const runner = runnerOf(ctx);
  if (!ctx.accounts) throw unsupported('user accounts are not reachable from here');
  const admin = ctx.accounts.getUser(ctx.user).role === 'admin';
  const report = await runner.usage();
  if (admin) return { output: usageText(report, true), json: report };
  const mine = report.users.filter((u) => u.user === ctx.user);
  if (mine.length > 1) throw new ColonyError('COLONY_INTERNAL', `usage reported ${ctx.user} twice`);
  const own: UsageReport = { users: mine, storeBytes: report.storeBytes, note: report.note };
  return { output: usageText(own, false), json: { users: mine, note: report.note } };
}
