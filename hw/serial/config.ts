// The serial console's configuration, the choice of port when none is named, and the retry
// schedule: pure functions, tested as data.
import { invalid } from '../../appliance/errors.js';

export interface SerialConfig {
  enabled: boolean;
  /** '' = auto: /dev/serial0, else /dev/ttyS0, else /dev/ttyAMA0 (see choosePort). */
  path: string;
  baudRate: number;
}

/** The rates Linux names (termios B*); serialport sets them 8N1. */
export const BAUD_RATES: readonly number[] = [
  1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 500000, 576000,
  921600, 1000000, 1152000, 1500000, 2000000, 2500000, 3000000, 3500000, 4000000,
];

export function defaultSerialConfig(): SerialConfig {
  return { enabled: true, path: '', baudRate: 115200 };
}

const fail = (key: string, want: string, got: unknown) => invalid(`config key '${key}': expected ${want}, got ${JSON.stringify(got)}`);

/** Merges `v` (the config file's `serial` object, or undefined) over the defaults; every mistake names its key. */
export function checkSerialConfig(v: unknown, key: string): SerialConfig {
  const out = defaultSerialConfig();
  if (v === undefined) return out;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw fail(key, 'an object', v);
  for (const [k, x] of Object.entries(v)) {
    const at = `${key}.${k}`;
    if (k === 'enabled') {
      if (typeof x !== 'boolean') throw fail(at, 'true or false', x);
      out.enabled = x;
    } else if (k === 'path') {
      if (typeof x !== 'string' || (x !== '' && (!x.startsWith('/') || x.length > 4096 || x.includes('\0')))) throw fail(at, "'' (auto) or an absolute device path such as /dev/ttyUSB0", x);
      out.path = x;
    } else if (k === 'baudRate') {
      if (typeof x !== 'number' || !BAUD_RATES.includes(x)) throw fail(at, `one of ${BAUD_RATES.join(', ')}`, x);
      out.baudRate = x;
    } else {
      throw invalid(`config key '${at}' is not known (known: enabled, path, baudRate)`);
    }
  }
  return out;
}

/** What choosePort may look at (the real one reads /dev and /sys; tests give data). */
export interface PortProbe {
  exists(path: string): boolean;
  /** The kernel's active consoles (/sys/class/tty/console/active), e.g. ['ttyS0', 'tty0']. */
  kernelConsoles: readonly string[];
  /** The UART type of a tty (/sys/class/tty/NAME/type); 0 means no UART behind it; undefined: unknown. */
  uartType(name: string): number | undefined;
  /** The device a path resolves to (for /dev/serial0 → ttyAMA0 or ttyS0). */
  resolve(path: string): string;
}

export type PortChoice =
  | { kind: 'device'; path: string }
  /** No usable port: the console is simulated; `why` says what was looked at. */
  | { kind: 'sim'; why: string };

/**
 * In order: the Pi's GPIO UART (the image's udev rule links serial0 to it: on a Pi 3 or 4
 * with Debian's kernel it is the mini UART, ttyS1, while ttyAMA0 carries Bluetooth), a PC's
 * COM1, and the PL011 of an ARM board or VM with no serial0 (QEMU's virt has only that).
 */
export const AUTO_CANDIDATES = ['/dev/serial0', '/dev/ttyS0', '/dev/ttyAMA0'];

/**
 * The port to open. A configured path is always used (an adapter may be plugged in later:
 * a missing device is retried). Auto takes the first candidate that exists, is a real UART,
 * and is not the kernel's console: kernel messages would interleave with the prompt there,
 * and a getty usually holds it (name it in `serial.path` to use it anyway).
 */
export function choosePort(config: SerialConfig, probe: PortProbe): PortChoice {
  if (config.path) return { kind: 'device', path: config.path };
  const skipped: string[] = [];
  for (const path of AUTO_CANDIDATES) {
    if (!probe.exists(path)) { skipped.push(`${path} does not exist`); continue; }
    const name = probe.resolve(path).replace(/^\/dev\//, '');
    if (probe.kernelConsoles.includes(name)) { skipped.push(`${path} is the kernel console`); continue; }
    if (probe.uartType(name) === 0) { skipped.push(`${path} has no UART behind it`); continue; }
    return { kind: 'device', path };
  }
  return { kind: 'sim', why: skipped.join('; ') };
}

export interface RetryOptions { baseMs: number; maxMs: number }
export const RETRY_DEFAULTS: RetryOptions = { baseMs: 1_000, maxMs: 30_000 };

/** The wait before retry number `n` (1-based): base, doubling, capped. */
export function retryDelay(n: number, o: RetryOptions = RETRY_DEFAULTS): number {
  return Math.min(o.maxMs, o.baseMs * 2 ** Math.min(Math.max(n - 1, 0), 30));
}
