// Structured logging. pino writes JSON lines (journald-friendly); on a terminal the same
// records go through pino-pretty so that a person can read them. The interface below is
// the small part of pino the appliance uses, so tests can pass a recording logger.
import { hostname } from 'node:os';
import pino from 'pino';
import { prettyFactory } from 'pino-pretty';

export interface Log {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: object): Log;
}

export type LogFormat = 'auto' | 'pretty' | 'json';

/**
 * `pretty` when `format` says so, or when it is `auto` and standard error is a terminal;
 * JSON otherwise (journald, pipes, files). $COLONY_LOG_FORMAT overrides the config.
 */
export function chooseLogFormat(format: LogFormat, isTty: boolean, env: NodeJS.ProcessEnv = process.env): 'pretty' | 'json' {
  const forced = env.COLONY_LOG_FORMAT;
  const want = forced === 'pretty' || forced === 'json' || forced === 'auto' ? forced : format;
  if (want === 'auto') return isTty ? 'pretty' : 'json';
  return want;
}

/** Keys pino writes itself on every line; a call site that repeats one would duplicate it. */
const PINO_KEYS = ['level', 'time', 'msg', 'pid', 'hostname', 'name'];

/**
 * Drops the keys of `obj` that are already bound (with the same value) and renames the
 * ones bound to a different value (`user` → `user_`), so that no JSON line ever holds a
 * key twice: pino appends a child's bindings and the call's object without merging them,
 * and a reader's JSON.parse would silently keep only the last one.
 */
export function withoutBound(obj: object, bound: ReadonlyMap<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (!bound.has(k)) { out[k] = v; continue; }
    if (bound.get(k) === v) continue;
    let alt = `${k}_`;
    while (bound.has(alt) || alt in obj) alt += '_';
    out[alt] = v;
  }
  return out;
}

class PinoLog implements Log {
  constructor(private readonly p: pino.Logger, private readonly bound: ReadonlyMap<string, unknown>) {}
  debug(obj: object, msg?: string) { this.p.debug(withoutBound(obj, this.bound), msg); }
  info(obj: object, msg?: string) { this.p.info(withoutBound(obj, this.bound), msg); }
  warn(obj: object, msg?: string) { this.p.warn(withoutBound(obj, this.bound), msg); }
  error(obj: object, msg?: string) { this.p.error(withoutBound(obj, this.bound), msg); }
  child(bindings: object): Log {
    const fresh = withoutBound(bindings, this.bound);
    return new PinoLog(this.p.child(fresh), new Map([...this.bound, ...Object.entries(fresh)]));
  }
}

export interface LogOptions {
  level?: string;
  name?: string;
  format?: LogFormat;
  /** Where lines go (default: standard error, fd 2). */
  fd?: number;
}

export function createLog(options: LogOptions = {}): Log {
  const fd = options.fd ?? 2;
  const name = options.name ?? 'colony';
  const format = chooseLogFormat(options.format ?? 'auto', isatty(fd));
  // Written synchronously in both formats, so the last lines before an exit are never lost.
  const destination = format === 'json' ? pino.destination({ fd, sync: true }) : prettyDestination(fd);
  const p = pino({ name, level: options.level ?? process.env.COLONY_LOG_LEVEL ?? 'info' }, destination);
  const base = new Map<string, unknown>(PINO_KEYS.map((k) => [k, undefined]));
  base.set('pid', process.pid).set('hostname', hostname()).set('name', name);
  return new PinoLog(p, base);
}

function isatty(fd: number): boolean {
  return fd === 2 ? process.stderr.isTTY === true : fd === 1 ? process.stdout.isTTY === true : false;
}

/** pino-pretty's formatter used in-process (no worker thread): one readable line per record. */
function prettyDestination(fd: number): { write(line: string): void } {
  const pretty = prettyFactory({ colorize: isatty(fd), singleLine: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,name' });
  // sonic-boom (pino's own destination) retries EAGAIN, which a non-blocking terminal gives.
  const out = pino.destination({ fd, sync: true });
  return { write(line: string) { out.write(pretty(line)); } };
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
