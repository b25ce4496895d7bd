// `import NAME` and `export NAME`: a snapshot in or out as a tar stream on the SSH channel,
// the way into a flashed appliance that has no shell. The console only parses the line and
// says how to reach it: the bytes need the channel's own stdin and stdout (ssh/transfer.ts).
// The work is the supervisor's (supervisor/snapshot-transfer.ts), handed in as
// NodeInfo.snapshots, so the console never imports appliance/snapshot.
import type { Writable } from 'node:stream';
import { unsupported, usage } from '../errors.js';
import type { ConsoleContext } from './context.js';
import type { ConsoleReply } from './reply.js';

/** What the console needs to move snapshots (the supervisor's SnapshotTransfer has it). */
export interface SnapshotTransfer {
  /**
   * Imports a tar stream (plain or gzip) as `user`'s snapshot `name`, as `colony import - NAME`
   * does: the name is checked and refused when taken before a byte is read; nothing is
   * registered unless the whole stream imported and `signal` was not aborted meanwhile.
   * Resolves with what the CLI prints (text) and its JSON.
   */
  importTar(user: string, name: string, input: AsyncIterable<Buffer>, opts: { signal: AbortSignal }): Promise<ConsoleReply>;
  /** Writes `user`'s visible snapshot `name` to `out` as a tar and ends it; resolves with a note for stderr ('' when none). */
  exportTar(user: string, name: string, out: Writable): Promise<string>;
}

export type TransferCommand = { kind: 'help'; verb: TransferVerb } | { kind: TransferVerb; name: string };
export type TransferVerb = 'import' | 'export';

export const IMPORT_SYNTAX = 'import NAME';
export const EXPORT_SYNTAX = 'export NAME';
export const IMPORT_TEXT = 'a new snapshot NAME from a tar (plain or gzip) on the SSH channel: ssh -p 2222 USER@HOST import NAME < tree.tar';
export const EXPORT_TEXT = 'your snapshot NAME as a tar on the SSH channel: ssh -p 2222 USER@HOST export NAME > tree.tar';

/** Parses an `import`/`export` line; undefined when it is neither. */
export function parseTransfer(line: string): TransferCommand | undefined {
  const words = line.trim().split(/\s+/);
  const verb = words[0];
  if (verb !== 'import' && verb !== 'export') return undefined;
  const syntax = verb === 'import' ? IMPORT_SYNTAX : EXPORT_SYNTAX;
  if (words.length === 2 && (words[1] === '--help' || words[1] === '-h')) return { kind: 'help', verb };
  if (words.length !== 2 || words[1]!.startsWith('-')) throw usage(`usage: ${syntax}`);
  return { kind: verb, name: words[1]! };
}

/** The OpenSSH command line that moves NAME for `user` on this node. */
export function transferCommandLine(verb: TransferVerb, user: string, name: string, port: number | undefined, host = 'HOST'): string {
  return `ssh -p ${port ?? 2222} ${user}@${host} ${verb} ${name} ${verb === 'import' ? '<' : '>'} tree.tar`;
}

export function transferHelp(verb: TransferVerb, user: string, port: number | undefined): string {
  const line = transferCommandLine(verb, user, 'NAME', port);
  if (verb === 'import') {
    return [
      IMPORT_SYNTAX,
      `  ${line}`,
      '  reads a tar (plain or gzip) from ssh\'s standard input and saves it as your new snapshot',
      '  NAME, as `colony import - NAME` does: names are immutable, so a taken one is refused;',
      '  nothing is saved unless the whole tar arrives. Prints the name and its score.',
    ].join('\n');
  }
  return [
    EXPORT_SYNTAX,
    `  ${line}`,
    '  writes your snapshot NAME (or one shared with you) to ssh\'s standard output as a tar,',
    '  as `colony export NAME -` does.',
  ].join('\n');
}

/**
 * The registry's `import`/`export`, for everything but an SSH exec (the prompt, the serial
 * console, ctl, the console socket): help, or one line saying how to run it. A terminal
 * cannot carry a tar, so it is COLONY_UNSUPPORTED with the command to type instead.
 */
export function transferVerb(ctx: ConsoleContext, _args: string[], line: string): ConsoleReply {
  const c = parseTransfer(line);
  const port = ctx.node?.sshPort;
  if (!c) throw usage('usage: import NAME | export NAME');
  if (c.kind === 'help') return { output: transferHelp(c.verb, ctx.user, port) };
  const how = c.kind === 'import' ? 'takes a tar on the SSH channel' : 'gives a tar on the SSH channel';
  throw unsupported(`${c.kind} ${how}, which a console line cannot carry: run ${transferCommandLine(c.kind, ctx.user, c.name, port)}`);
}
