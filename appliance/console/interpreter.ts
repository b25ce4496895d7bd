// The grid verbs, executed: a parsed grid command in, the reply out. It touches no stream;
// registry.ts routes lines here, so every adapter serves the same grid language.
import { noticeText } from '../grid/index.js';
import { formatScore } from '../store/index.js';
import type { GridVerbs } from './context.js';
import { boomText, inviteText, mountHost, saveText, scoresText, spawnText, statusText } from './format.js';
import { helpText, type ConsoleCommand } from './parse.js';
import type { ConsoleReply } from './reply.js';
import { runLine } from './registry.js';

export type { GridVerbs } from './context.js';
export type { ConsoleReply } from './reply.js';

/** Runs one line as `user` with only a grid (no accounts, no node). Never throws. */
export function run(grid: GridVerbs, user: string, line: string): Promise<ConsoleReply> {
  return runLine({ user, grid }, line);
}

/** What the adapter knows beyond the grid: the `cpu:` line for a spawned ENV (absent: no cpu here). */
export interface ExecuteHints { cpuLine?: (env: string, host: string) => string | undefined }

export async function execute(grid: GridVerbs, user: string, cmd: ConsoleCommand, hints: ExecuteHints = {}): Promise<ConsoleReply> {
  switch (cmd.verb) {
    case 'none':
      return { output: '' };
    case 'help':
      return { output: helpText(cmd.topic) };
    case 'exit':
      return { output: '', exit: true };
    case 'scores': {
      const list = grid.scores(user, cmd.filter);
      const pending = grid.pendingScores?.(user, cmd.filter) ?? [];
      const json = [...list.map((r) => ({ ...r, root: formatScore(r.root) })), ...pending.map((p) => ({ ...p.record, root: formatScore(p.record.root), pending: p.progress }))];
      return { output: scoresText(list, pending), json };
    }
    case 'spawn': {
      const r = await grid.spawn(user, cmd.name, { cache: cmd.cache, ...(cmd.as !== undefined ? { as: cmd.as } : {}) });
      const cpu = hints.cpuLine?.(r.env.name, mountHost(r.mount));
      return { output: spawnText(r, cpu), json: cpu !== undefined ? { ...r, cpu } : r };
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
      const r = cmd.reason !== undefined ? await grid.boom(user, cmd.env, { reason: cmd.reason }) : await grid.boom(user, cmd.env);
      return { output: boomText(r), json: r };
    }
    case 'status': {
      const list = grid.status(user);
      // What admins said when they boomed this user's environments (a week's worth).
      const notices = grid.notices?.(user) ?? [];
      const said = notices.map((n) => `notice: ${noticeText(n)}`);
      return { output: [statusText(list), ...said].join('\n'), json: list };
    }
  }
}
