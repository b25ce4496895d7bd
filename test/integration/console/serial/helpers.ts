// Serial lines for tests: socat pty pairs (one end for the console, one for the terminal),
// a scripted terminal on the far end (serialport, as raw bytes), picocom in tmux as a real
// terminal client, and a catalog with users. Everything is stopped when the test ends,
// socat and tmux by their own PID or socket.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Test } from 'tap';
import { SerialPort } from 'serialport';
import { Catalog } from '../../../../appliance/catalog/index.js';
import type { ConsoleReply, Interpreter } from '../../../../appliance/console/index.js';
import { serveSerialConsole, type SerialConsoleOptions } from '../../../../appliance/console/serial/index.js';
import { MemoryLog } from '../../../../appliance/log.js';
import { openSerialLine } from '../../../../hw/serial/index.js';
import { shellQuote, TmuxTerminal } from '../../../helpers/tmux.js';
import { tmpDir } from '../../../helpers/tmp.js';
import { fastScrypt } from '../../../unit/catalog/fixtures.js';

let toolsReady = false;
export function ensureTools(): void {
  if (toolsReady) return;
  execFileSync(join(import.meta.dirname, '../../../../scripts/ensure-apt.sh'), ['socat', 'picocom', 'tmux'], { stdio: 'inherit', timeout: 300_000 });
  toolsReady = true;
}

export interface PtyPair { a: string; b: string; pid: number; kill(): Promise<void> }

/**
 * `socat -d -d pty,raw,echo=0 pty,raw,echo=0`: two ptys joined; the paths come from socat's
 * notices on stderr. A fresh pair per test: a killed writer leaves bytes buffered in socat.
 */
export async function ptyPair(t: Test): Promise<PtyPair> {
  ensureTools();
  const child: ChildProcess = spawn('socat', ['-d', '-d', 'pty,raw,echo=0', 'pty,raw,echo=0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const paths = await new Promise<string[]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`socat gave no pty paths: ${err}`)), 10_000);
    child.stderr!.on('data', (b: Buffer) => {
      err += b.toString();
      const found = [...err.matchAll(/PTY is (\/dev\/pts\/\d+)/g)].map((m) => m[1]!);
      if (found.length >= 2) { clearTimeout(timer); resolve(found); }
    });
    child.once('exit', () => { clearTimeout(timer); reject(new Error(`socat exited: ${err}`)); });
  });
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  t.teardown(kill);
  return { a: paths[0]!, b: paths[1]!, pid: child.pid!, kill };
}

/** A scripted terminal on a pty: writes bytes, keeps everything it read. */
export class Far {
  text = '';
  private constructor(private readonly port: SerialPort) {
    port.on('data', (b: Buffer) => { this.text += b.toString('latin1'); });
    port.on('error', () => {});
  }

  static async open(t: Test, path: string): Promise<Far> {
    const port = new SerialPort({ path, baudRate: 115200, autoOpen: false, lock: false });
    await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
    const far = new Far(port);
    t.teardown(() => far.close());
    return far;
  }

  close(): Promise<void> {
    return new Promise((resolve) => { if (this.port.isOpen) this.port.close(() => resolve()); else resolve(); });
  }

  send(text: string | Buffer): void { this.port.write(text); }

  /** Types a line, ended with LF (a raw pty passes LF; CR works too). */
  line(text: string): void { this.send(`${text}\n`); }

  /** Waits (bounded) until what was read since `from` matches; returns that text. */
  async waitFor(pattern: RegExp, from = 0, what = String(pattern)): Promise<string> {
    for (let i = 0; i < 300; i++) {
      const seen = this.text.slice(from);
      if (pattern.test(seen)) return seen;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`the terminal never showed ${what}; it shows:\n${JSON.stringify(this.text.slice(from))}`);
  }

  /** A mark for waitFor: only what arrives after it counts. */
  get mark(): number { return this.text.length; }
}

/** A grid stand-in: `status` answers, anything else is echoed. */
export const statusInterpreter: Interpreter = {
  async run(user: string, line: string): Promise<ConsoleReply> {
    const [verb] = line.trim().split(/\s+/);
    if (verb === 'help') return { output: 'grid commands:\n  status' };
    if (verb === 'status') return { output: `environments of ${user}: none`, json: { envs: [] } };
    return { output: `error: unknown command '${verb}'`, error: 'COLONY_USAGE' };
  },
};

export const PASSWORDS: Record<string, string> = { alice: 'alice-secret-1', root: 'root-secret-3' };

/** A fresh catalog with alice (user) and root (admin); `firstAdmin` adds admin with a one-time password. */
export async function catalogWithUsers(t: Test, opts: { firstAdmin?: boolean } = {}): Promise<{ catalog: Catalog; adminPassword?: string }> {
  const dir = await tmpDir(t, 'colony-serial-');
  const catalog = await Catalog.open(join(dir, 'catalog'), { nodeId: 'node-serial', scrypt: fastScrypt });
  t.teardown(() => catalog.close());
  let adminPassword: string | undefined;
  if (opts.firstAdmin) adminPassword = (await catalog.ensureAdmin()).password;
  await catalog.addUser({ name: 'alice', role: 'user', password: PASSWORDS.alice!, keys: [] });
  await catalog.addUser({ name: 'root', role: 'admin', password: PASSWORDS.root!, keys: [] });
  return { catalog, ...(adminPassword !== undefined ? { adminPassword } : {}) };
}

/**
 * The serial console served on one end (`pair.a`) of a fresh pty pair, for the users of
 * catalogWithUsers and statusInterpreter; `options` add to or replace the console's options.
 * The line stops when the test ends.
 */
export async function servedConsole(t: Test, options: Partial<SerialConsoleOptions> = {}) {
  const pair = await ptyPair(t);
  const { catalog } = await catalogWithUsers(t);
  const log = new MemoryLog();
  const node = { id: 'node-serial', version: '0.0.0-test', started: Date.now() };
  const line = openSerialLine({
    config: { enabled: true, path: pair.a, baudRate: 115200 }, log, simRoot: '/nonexistent',
    onOpen: (stream) => {
      const s = serveSerialConsole(stream, { accounts: catalog, interpreter: statusInterpreter, node, log, firstBoot: () => undefined, ...options });
      return () => s.close();
    },
  });
  t.teardown(() => line.stop());
  return { pair, catalog, log, line };
}

/** picocom on a pty, in a tmux pane of its own tmux server; killed when the test ends. */
export class Picocom extends TmuxTerminal {
  /** Starts picocom and waits until it says "Terminal ready" (keys sent earlier would be lost). */
  static async open(t: Test, path: string): Promise<Picocom> {
    const command = `picocom -b 115200 --nolock ${shellQuote(path)}; echo "picocom exited $?"; sleep 60`;
    const p = new Picocom({ command, session: 'serial', socketPrefix: 'colony-serial', label: 'picocom', waitMs: 15_000 }).start(t);
    await p.waitFor(/Terminal ready/);
    return p;
  }

  /** Presses Enter for the login prompt, logs in, and returns the screen at the first `colony>`. */
  async logIn(user: string, password: string): Promise<string> {
    this.keys('Enter');
    await this.waitFor(/colony login:$/);
    this.type(user);
    this.keys('Enter');
    await this.waitFor(/password:$/);
    this.type(password);
    this.keys('Enter');
    return this.waitFor(/colony>$/);
  }
}
