// The serial console: a login on the line (physical presence), then the same command
// language as SSH through the one registry, with the SSH console's line editor. `exit` or
// Ctrl-D logs out and the login prompt comes back; so does a long idle. Before the first
// admin has chosen a password, the text before the prompt shows the node id, its addresses
// and the one-time password (whoever holds the line holds the board).
//
// Failed logins go through the SSH console's FailureLimiter under the keys `serial` (the
// line) and `user:NAME`, and a one-time password is replaced first (forcePasswordChange).
//
// Concurrency: one loop per line; it reads a line, runs it, writes the reply, in order.
// close() may come at any time (the line went away, the supervisor stops): the pending read
// ends and the loop stops after the running command, if any.
import type { Log } from '../../log.js';
import { FIRST_ADMIN } from '../../catalog/index.js';
import { loginAccount } from '../registry.js';
import { userKey } from '../ssh/auth.js';
import { dispatch, renderReply, splitJsonFlag, type Accounts, type CommandContext, type Interpreter, type NodeInfo } from '../ssh/commands.js';
import { forcePasswordChange } from '../ssh/first-login.js';
import { FailureLimiter } from '../ssh/rate-limit.js';
import { idleText, isNoise, issueText, lockText, LOGIN_PROMPT, NOISE_TEXT, PASSWORD_PROMPT, tooLongText, welcomeText, type FirstBoot } from './banner.js';
import { MAX_LINE, SerialInput, type ReadResult } from './input.js';

export const PROMPT = 'colony> ';
export const LINE_KEY = 'serial';
export const IDLE_LOGOUT_MS = 10 * 60_000;
/** Output queued past this pauses the input until it drains (a terminal that stopped reading). */
const MAX_QUEUED_OUTPUT = 64 * 1024;

export type SerialStream = NodeJS.ReadWriteStream & { destroy?(): void; writableLength?: number };

export interface SerialConsoleOptions {
  /** The catalog, as the SSH console uses it; `mustChangePassword` marks one-time passwords. */
  accounts: Accounts & { mustChangePassword?(name: string): boolean };
  interpreter: Interpreter;
  node: NodeInfo;
  log: Log;
  /** Shared across opens of the line (default: one per catalog, kept for the process). */
  limiter?: FailureLimiter;
  /** First-boot facts, or undefined once an admin has logged in. */
  firstBoot: () => FirstBoot | undefined;
  idleLogoutMs?: number;
  onShutdown?: (by: string) => void;
  now?: () => number;
}

// Reopening the line (an unplugged adapter, a reconnecting terminal) must not reset the count.
const limiters = new WeakMap<object, FailureLimiter>();
function limiterFor(accounts: object): FailureLimiter {
  let l = limiters.get(accounts);
  if (!l) { l = new FailureLimiter(); limiters.set(accounts, l); }
  return l;
}

export function serveSerialConsole(stream: SerialStream, opts: SerialConsoleOptions): { close(): void } {
  const c = new SerialConsole(stream, opts);
  void c.run();
  return { close: () => c.close() };
}

class SerialConsole {
  private closed = false;
  private readonly input: SerialInput;
  private readonly log: Log;
  private readonly limiter: FailureLimiter;
  private readonly pauses = new Set<string>();
  private idleTimer: NodeJS.Timeout | undefined;
  private idleArmed = false;
  private readonly listeners: Array<[string, (...a: never[]) => void]> = [];

  constructor(private readonly stream: SerialStream, private readonly opts: SerialConsoleOptions) {
    this.log = opts.log.child({ console: 'serial' });
    this.limiter = opts.limiter ?? limiterFor(opts.accounts);
    this.input = new SerialInput((t) => this.write(t), { pause: () => this.pause('input'), resume: () => this.resume('input') });
    this.on('data', (d: Buffer | string) => { this.touch(); this.input.push(typeof d === 'string' ? Buffer.from(d) : d); });
    this.on('drain', () => this.resume('output'));
    this.on('close', () => this.close());
    this.on('end', () => this.close());
    // Errors are the line's to report (hw/serial logs and reopens); unheard, one would throw.
    stream.on('error', () => {});
  }

  private on(event: string, fn: (...a: never[]) => void): void {
    this.stream.on(event, fn as (...a: unknown[]) => void);
    this.listeners.push([event, fn]);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.idleTimer);
    for (const [event, fn] of this.listeners) this.stream.removeListener(event, fn as (...a: unknown[]) => void);
    this.input.cancel();
  }

  private pause(why: string): void {
    if (this.pauses.size === 0) this.stream.pause();
    this.pauses.add(why);
  }

  private resume(why: string): void {
    if (!this.pauses.delete(why) || this.pauses.size > 0 || this.closed) return;
    this.stream.resume();
  }

  /** Raw serial: every newline goes out as CR LF. */
  private write(text: string): void {
    if (this.closed || !text) return;
    const ok = this.stream.write(text.replace(/\r?\n/g, '\r\n'));
    if (!ok && (this.stream.writableLength ?? 0) > MAX_QUEUED_OUTPUT) this.pause('output');
  }

  private touch(): void {
    if (this.idleArmed) this.armIdle();
  }

  private armIdle(): void {
    clearTimeout(this.idleTimer);
    this.idleArmed = true;
    this.idleTimer = setTimeout(() => this.input.cancel(), this.opts.idleLogoutMs ?? IDLE_LOGOUT_MS);
    this.idleTimer.unref?.();
  }

  /** One line from the person; `idle` reads end after the idle time without a key. */
  private async read(prompt: string, o: { secret?: boolean; idle?: boolean } = {}): Promise<ReadResult> {
    if (this.closed) return { kind: 'cancelled' };
    if (o.idle) this.armIdle();
    try {
      return await this.input.read(prompt, { secret: o.secret ?? false });
    } finally {
      this.idleArmed = false;
      clearTimeout(this.idleTimer);
    }
  }

  async run(): Promise<void> {
    try {
      let issue = true;
      while (!this.closed) {
        const user = await this.login(issue);
        issue = true;
        if (user === undefined) { issue = false; continue; }
        if (user === null) continue;
        await this.shell(user);
      }
    } catch (err) {
      this.log.error({ err }, 'serial console failed');
    }
  }

  private firstBoot(): FirstBoot | undefined {
    let info: FirstBoot | undefined;
    try { info = this.opts.firstBoot(); } catch (err) { this.log.warn({ err }, 'first-boot facts unavailable'); }
    // The file may outlive the change for a moment; the catalog is the truth.
    if (info && this.opts.accounts.mustChangePassword?.(FIRST_ADMIN) === false) return undefined;
    return info;
  }

  /**
   * One login round: the user name (after the issue text), the password, the limiter.
   * Returns the user; undefined for a cancelled name (Ctrl-C, Ctrl-D: prompt again, quietly);
   * null for an empty name or after a refusal (prompt again with the issue).
   */
  private async login(issue: boolean): Promise<string | undefined | null> {
    if (issue) this.write(issueText(this.opts.node.id, this.firstBoot()));
    const name = await this.read(LOGIN_PROMPT);
    if (name.kind === 'too-long') { this.write(tooLongText(name.length, MAX_LINE)); return null; }
    if (name.kind !== 'line') return undefined;
    const user = name.line.trim();
    // Enter on an empty line shows the issue again: a terminal attached after the line
    // opened missed it, and on first boot it says how to get in.
    if (user === '') return null;
    if (isNoise(user)) { this.write(NOISE_TEXT); return null; }
    const pw = await this.read(PASSWORD_PROMPT, { secret: true, idle: true });
    if (pw.kind === 'cancelled' || pw.kind === 'interrupt' || pw.kind === 'eof') { this.write('\n'); return null; }
    const now = this.opts.now ?? Date.now;
    const keys = [LINE_KEY, userKey(user)];
    const admitted = this.limiter.begin(keys, now());
    if (!admitted.ok) {
      const until = this.limiter.state(admitted.key, now()).until;
      this.log.warn({ user, reason: admitted.reason, key: admitted.key }, 'serial login refused unchecked');
      this.write(lockText(admitted.key === LINE_KEY ? 'line' : 'user', user, until || now()));
      return null;
    }
    const ok = pw.kind === 'line' && await this.opts.accounts.checkPassword(user, pw.line).catch(() => false);
    const v = this.limiter.settle(admitted.ticket, ok, now());
    if (!ok) {
      this.log.warn({ user, failures: v.failures, locked: v.lockedNow }, 'serial login refused');
      if (v.delayMs > 0) await new Promise((r) => setTimeout(r, v.delayMs));
      this.write('Login incorrect\n');
      return null;
    }
    this.log.info({ user }, 'serial login');
    return user;
  }

  /** A logged-in session until exit, Ctrl-D, idle, the account's removal or close(). */
  private async shell(user: string): Promise<void> {
    const { accounts } = this.opts;
    const account = loginAccount(accounts, user);
    if (accounts.mustChangePassword?.(user) === true) {
      const changed = await forcePasswordChange(accounts, user, {
        ask: async (prompt) => {
          const r = await this.read(prompt, { secret: true, idle: true });
          return r.kind === 'line' ? r.line : undefined;
        },
        say: (text) => this.write(text),
      });
      this.log.info({ user, changed }, changed ? 'one-time password replaced' : 'one-time password not replaced; back to the login');
      if (!changed) return;
    }
    this.write(welcomeText(user));
    const ctx: CommandContext = {
      user, ...(account !== undefined ? { account } : {}), accounts, interpreter: this.opts.interpreter, node: this.opts.node,
      ask: async (prompt, o) => {
        const r = await this.read(prompt, { secret: o.secret, idle: true });
        return r.kind === 'line' ? r.line : undefined;
      },
      ...(this.opts.onShutdown ? { shutdown: this.opts.onShutdown } : {}),
    };
    for (;;) {
      const r = await this.read(PROMPT, { idle: true });
      if (r.kind === 'cancelled') {
        if (!this.closed) { this.write(idleText(this.opts.idleLogoutMs ?? IDLE_LOGOUT_MS)); this.log.info({ user }, 'serial console: idle logout'); }
        return;
      }
      if (r.kind === 'eof') break;
      if (r.kind === 'interrupt') continue;
      if (r.kind === 'too-long') { this.write(tooLongText(r.length, MAX_LINE)); continue; }
      if (isNoise(r.line)) { this.write(NOISE_TEXT); continue; }
      const { line, json } = splitJsonFlag(r.line);
      const reply = await dispatch(ctx, line);
      const text = renderReply(reply, json);
      if (text) this.write(`${text}\n`);
      if (reply.exit) break;
    }
    this.log.info({ user }, 'serial logout');
    this.write('logged out\n');
  }
}
