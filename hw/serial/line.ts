// The serial line: a real port through serialport (8N1, no flow control, locked against a
// second opener), or, when there is none, a unix socket speaking the same raw bytes. Either
// way the caller gets a Duplex each time the line opens, and every failure (an unplugged
// adapter, a busy port, no such device, a socket that cannot be made) is logged and retried
// with a capped doubling delay; nothing throws once started.
//
// Concurrency: one line runs one open attempt at a time (a timer schedules the next); onOpen
// and its clean-up are called in order, never overlapping for one line. stop() may be called
// at any time, more than once.
//
// serialport (a native addon and its parsers, ~10 MB resident) loads at the first open of a
// real device, not at start: most nodes never have one (issue 20, idle cost).
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import type { SerialPort } from 'serialport';
import { ColonyError } from '../../appliance/errors.js';
import type { Log } from '../../appliance/log.js';
import { choosePort, type PortProbe, type RetryOptions, type SerialConfig } from './config.js';
import { Retry } from './retry.js';
import { openSimLine } from './sim.js';

export type LineStream = NodeJS.ReadWriteStream & { destroy?(): void };
export type OnOpen = (line: LineStream) => (() => void) | void;

export interface SerialStatus { open: boolean; error?: string; retries: number }

export interface SerialLine {
  readonly path: string;
  readonly simulated: boolean;
  status(): SerialStatus;
  stop(): Promise<void>;
}

export interface SerialLineOptions {
  config: SerialConfig;
  log: Log;
  /** Where the simulated line's socket goes (DATA/hw): simRoot/serial.sock. */
  simRoot: string;
  onOpen: OnOpen;
  /** For tests: the retry schedule, the probe of /dev and /sys, and how serialport is loaded. */
  retry?: RetryOptions;
  probe?: PortProbe;
  importSerialPort?: () => Promise<typeof SerialPort>;
}

let serialPortModule: Promise<typeof SerialPort> | undefined;

/** serialport's SerialPort class, imported once (a failed import is tried again at the next open). */
function importSerialPort(): Promise<typeof SerialPort> {
  serialPortModule ??= import('serialport').then((m) => m.SerialPort, (err: unknown) => {
    serialPortModule = undefined;
    throw err;
  });
  return serialPortModule;
}

/** The line's error when serialport cannot load (no prebuilt addon for this board, a broken install). */
const notLoaded = (err: unknown) => new ColonyError('COLONY_UNSUPPORTED', `the serial console needs the serialport module, which did not load: ${err instanceof Error ? err.message : String(err)}`, { cause: err });

/** The machine's /dev and /sys as choosePort sees them. */
export const systemProbe: PortProbe = {
  exists: (path) => existsSync(path),
  get kernelConsoles() { return readWords('/sys/class/tty/console/active'); },
  uartType(name) {
    try { return Number(readFileSync(`/sys/class/tty/${name}/type`, 'utf8').trim()); } catch { return undefined; }
  },
  resolve(path) {
    try { return realpathSync(path); } catch { return path; }
  },
};

function readWords(path: string): string[] {
  try { return readFileSync(path, 'utf8').trim().split(/\s+/).filter(Boolean); } catch { return []; }
}

/** Opens the configured (or auto-chosen) line; see the file's head. */
export function openSerialLine(opts: SerialLineOptions): SerialLine {
  const log = opts.log.child({ module: 'serial' });
  if (!opts.config.enabled) {
    return { path: opts.config.path, simulated: false, status: () => ({ open: false, error: 'disabled', retries: 0 }), stop: async () => {} };
  }
  const choice = choosePort(opts.config, opts.probe ?? systemProbe);
  if (choice.kind === 'sim') return openSimLine({ ...opts, log, why: choice.why });
  return new DeviceLine(choice.path, opts, log);
}

class DeviceLine implements SerialLine {
  readonly simulated = false;
  private port: SerialPort | undefined;
  private stopped = false;
  private readonly retry: Retry;

  constructor(readonly path: string, private readonly opts: SerialLineOptions, private readonly log: Log) {
    this.retry = new Retry(log, path, opts.retry);
    log.info({ path, baudRate: opts.config.baudRate }, 'serial console: opening the port');
    this.attempt();
  }

  status(): SerialStatus {
    return { open: this.port?.isOpen === true, ...(this.retry.error ? { error: this.retry.error } : {}), retries: this.retry.retries };
  }

  private attempt(): void {
    if (this.stopped) return;
    (this.opts.importSerialPort ?? importSerialPort)().then(
      (Port) => this.openWith(Port),
      (err: unknown) => this.retry.failed(notLoaded(err), () => this.attempt(), this.stopped),
    );
  }

  private openWith(Port: typeof SerialPort): void {
    if (this.stopped) return;
    let port: SerialPort;
    try {
      port = new Port({
        path: this.path, baudRate: this.opts.config.baudRate, dataBits: 8, parity: 'none', stopBits: 1,
        rtscts: false, xon: false, xoff: false, lock: true, autoOpen: false,
      });
    } catch (err) {
      this.retry.failed(err, () => this.attempt(), this.stopped);
      return;
    }
    let done = false;
    let cleanup: (() => void) | void;
    // One end per open, whichever comes first: an error, a close, or stop().
    const end = (err: unknown) => {
      if (done) return;
      done = true;
      if (this.port === port) this.port = undefined;
      try { cleanup?.(); } catch (e) { this.log.error({ err: e }, 'serial console clean-up failed'); }
      if (port.isOpen) port.close(() => {});
      this.retry.failed(err, () => this.attempt(), this.stopped);
    };
    port.on('error', (err) => end(err));
    port.on('close', (err: unknown) => end(err ?? new Error('the port closed')));
    port.open((err) => {
      if (err) { end(err); return; }
      if (this.stopped) { done = true; port.close(() => {}); return; }
      this.port = port;
      if (this.retry.retries > 0) this.log.info({ path: this.path, retries: this.retry.retries }, 'serial port open again');
      else this.log.info({ path: this.path }, 'serial port open');
      this.retry.opened();
      try { cleanup = this.opts.onOpen(port); } catch (e) { this.log.error({ err: e }, 'serial console failed to start'); }
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.retry.cancel();
    const port = this.port;
    this.port = undefined;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }
}
