// A logger that keeps what it is told, for the sysinfo tests.
import type { Log } from '../../../../appliance/log.js';

export interface Logged { level: string; msg: string; obj: Record<string, unknown> }

export function recordingLog(): { log: Log; lines: Logged[]; count: (level: string, re: RegExp) => number } {
  const lines: Logged[] = [];
  const at = (level: string) => (obj: object, msg?: string) => { lines.push({ level, msg: msg ?? '', obj: obj as Record<string, unknown> }); };
  const log: Log = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => log };
  const count = (level: string, re: RegExp) => lines.filter((l) => l.level === level && re.test(l.msg + JSON.stringify(l.obj))).length;
  return { log, lines, count };
}
