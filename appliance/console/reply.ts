// The one reply every console command gives, whoever asked (SSH, the console socket, ctl,
// the serial port, `colony console`), and its one JSON form.
import { isColonyError, type ErrorCode } from '../errors.js';

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

/** A thrown error as a reply: ColonyErrors keep their code, anything else is internal. */
export function failureReply(err: unknown): ConsoleReply {
  if (isColonyError(err)) return { output: `error: ${err.detail}`, error: err.code };
  return { output: `error: internal: ${err instanceof Error ? err.message : String(err)}`, error: 'COLONY_INTERNAL' };
}

/** The JSON form: `{ok:true, output, result?}` or `{ok:false, error, message}`. */
export function replyJson(reply: ConsoleReply): Record<string, unknown> {
  if (reply.error) return { ok: false, error: reply.error, message: reply.output.replace(/^error: /, '') };
  return { ok: true, output: reply.output, ...(reply.json !== undefined ? { result: reply.json } : {}) };
}

/** The reply as a person or a script sees it: text, or one JSON object on one line. */
export function renderReply(reply: ConsoleReply, json: boolean): string {
  return json ? JSON.stringify(replyJson(reply)) : reply.output;
}

/** Takes a standalone `--json` word out of a line. */
export function splitJsonFlag(line: string): { line: string; json: boolean } {
  const words = line.trim().split(/\s+/);
  const json = words.includes('--json');
  return { line: json ? words.filter((w) => w !== '--json').join(' ') : line, json };
}
