// Structured logging. pino writes JSON lines (journald-friendly); the interface below is
// the small part of it the appliance uses, so tests can pass a recording logger.
import pino from 'pino';

export interface Log {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: object): Log;
}

export function createLog(options: { level?: string; name?: string } = {}): Log {
  return pino(
    { name: options.name ?? 'colony', level: options.level ?? process.env.COLONY_LOG_LEVEL ?? 'info' },
    pino.destination(2),
  );
}

/** A logger that drops everything. */
export const silentLog: Log = {
  debug() {}, info() {}, warn() {}, error() {},
  child() { return silentLog; },
};

/** A logger that keeps every line in memory; tests read `lines`. */
export class MemoryLog implements Log {
  readonly lines: Array<{ level: string; msg: string; [k: string]: unknown }> = [];
  debug(obj: object, msg = '') { this.lines.push({ ...obj, level: 'debug', msg }); }
  info(obj: object, msg = '') { this.lines.push({ ...obj, level: 'info', msg }); }
  warn(obj: object, msg = '') { this.lines.push({ ...obj, level: 'warn', msg }); }
  error(obj: object, msg = '') { this.lines.push({ ...obj, level: 'error', msg }); }
  child() { return this; }
}

/** Lines for people on a terminal: `colony: warn: message (key=value ...)`. Used by one-shot commands. */
export function consoleLog(stream: NodeJS.WritableStream, minLevel: 'debug' | 'info' | 'warn' | 'error' = 'warn'): Log {
  const order = ['debug', 'info', 'warn', 'error'];
  const line = (level: string) => (obj: object, msg = '') => {
    if (order.indexOf(level) < order.indexOf(minLevel)) return;
    const kv = Object.entries(obj).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ');
    stream.write(`colony: ${level}: ${msg}${kv ? ` (${kv})` : ''}\n`);
  };
  const log: Log = { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error'), child: () => log };
  return log;
}
