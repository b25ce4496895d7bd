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
