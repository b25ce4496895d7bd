// One SSH session channel: a one-shot command (`exec`) or the console (`shell`). With a
// pty the client's terminal is raw, so we echo and edit lines ourselves (LineEditor) and
// end lines with CR LF; without one we read plain lines and print only the answers.
import { StringDecoder } from 'node:string_decoder';
import type { ServerChannel } from 'ssh2';
import type { Log } from '../../log.js';
import { unsupported } from '../../errors.js';
import { parseCpu, type CpuTty } from '../cpu.js';
import { removedReply } from '../registry.js';
import { parseTransfer, type TransferVerb } from '../transfer.js';
import { failureReply } from '../reply.js';
import { dispatch, renderReply, splitJsonFlag, type CommandContext } from './commands.js';
import { CpuLink, exitOf, sendExit, signalOf, type ChannelExit } from './cpu-link.js';
import { forcePasswordChange, oneTimeExecRefusal } from './first-login.js';
import { LineEditor, type EditResult } from './line-editor.js';
import { runTransfer, type ChannelSink } from './transfer.js';
import { parseUpdateLine, runUpdate } from './update.js';

export const PROMPT = 'colony> ';
const MAX_PLAIN_LINE = 64 * 1024;
/** How long a finished session waits for its output to leave and the client to close. */
const FLUSH_MS = 2_000;

async function within(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise<void>((resolve) => { timer = setTimeout(resolve, ms); })]);
  clearTimeout(timer);
}

/** Where lines come from: read() resolves with one line, or eof/interrupt. */
export interface LineInput {
  read(prompt: string, options?: { secret?: boolean }): Promise<EditResult>;
  push(chunk: Buffer): void;
  end(): void;
  /** Takes what was typed ahead and not read yet (handed to a cpu shell). */
  take(): string;
}

/** Lines typed on a raw terminal, edited and echoed as they are typed. */
export class TerminalInput implements LineInput {
  private readonly editor = new LineEditor();
  private readonly decoder = new StringDecoder('utf8');
  private buffered = '';
  private ended = false;
  private waiter: ((r: EditResult) => void) | undefined;

  constructor(private readonly write: (text: string) => void) {}

  read(prompt: string, options: { secret?: boolean } = {}): Promise<EditResult> {
    return new Promise((resolve) => {
      this.waiter = resolve;
      this.write(this.editor.begin(prompt, options));
      this.pump();
    });
  }

  push(chunk: Buffer): void {
    this.buffered += this.decoder.write(chunk);
    // Typed ahead while a command runs: kept, up to a bound.
    if (this.buffered.length > MAX_PLAIN_LINE) this.buffered = this.buffered.slice(0, MAX_PLAIN_LINE);
    this.pump();
  }

  end(): void {
    this.ended = true;
    this.pump();
  }

  take(): string {
    const text = this.buffered;
    this.buffered = '';
    return text;
  }

  private pump(): void {
    const resolve = this.waiter;
    if (!resolve) return; // typed ahead: kept until the next read
    if (this.buffered) {
      const r = this.editor.feed(this.buffered);
      this.buffered = r.rest;
      if (r.output) this.write(r.output);
      if (r.result) { this.waiter = undefined; resolve(r.result); return; }
    }
    if (this.ended) { this.waiter = undefined; resolve({ kind: 'eof' }); }
  }
}

/** Lines from a pipe: split at LF, CR dropped, no echo and no prompt. */
export class PlainInput implements LineInput {
  private readonly decoder = new StringDecoder('utf8');
  private buffered = '';
  private ended = false;
  private waiter: ((r: EditResult) => void) | undefined;

  /** `prompt` shows questions (passwd) on stderr, so stdout carries only answers. */
  constructor(private readonly prompt?: (text: string) => void) {}

  read(prompt: string, options: { secret?: boolean } = {}): Promise<EditResult> {
    if (options.secret && this.prompt) this.prompt(prompt);
    return new Promise((resolve) => { this.waiter = resolve; this.pump(); });
  }

  push(chunk: Buffer): void {
    this.buffered += this.decoder.write(chunk);
    if (this.buffered.length > MAX_PLAIN_LINE && !this.buffered.includes('\n')) {
      this.buffered = '';
      this.ended = true; // a line that never ends is not a command
    }
    this.pump();
  }

  end(): void {
    this.buffered += this.decoder.end();
    this.ended = true;
    this.pump();
  }

  take(): string {
    const text = this.buffered;
    this.buffered = '';
    return text;
  }

  private pump(): void {
    const resolve = this.waiter;
    if (!resolve) return;
    const nl = this.buffered.indexOf('\n');
    if (nl >= 0 || (this.ended && this.buffered)) {
      const line = nl >= 0 ? this.buffered.slice(0, nl) : this.buffered;
      this.buffered = nl >= 0 ? this.buffered.slice(nl + 1) : '';
      this.waiter = undefined;
      resolve({ kind: 'line', line: line.replace(/\r$/, '') });
    } else if (this.ended) {
      this.waiter = undefined;
      resolve({ kind: 'eof' });
    }
  }
}

export interface SessionSetup {
  channel: ServerChannel;
  /** Set when the client asked for a pty. */
  pty: boolean;
  /** The pty's terminal type and size (pty-req), for cpu. */
  tty?: CpuTty;
  /** Everything of the command context but `ask`. */
  context: Omit<CommandContext, 'ask'>;
  log: Log;
  banner?: string;
  /** The user logged in with a one-time password: a shell asks for a new one first, exec is refused. */
  mustChangePassword?: boolean;
}

/**
 * A running session as the server sees it: it can be asked to stop, and says when it has.
 * While a cpu process runs (`link`), the channel's bytes, EOF, window changes, signals and
 * hang-up go to it instead of the console; the server calls resize() and signal().
 */
export class ChannelSession {
  readonly done: Promise<void>;
  private stopping = false;
  private busy = false;
  private link: CpuLink | undefined;
  /** Who reads the channel's bytes instead of the console: a cpu process (link) or an import. */
  private sink: ChannelSink | undefined;
  private tty: CpuTty | undefined;
  private inputEnded = false;
  private closed = false;
  private readonly input: LineInput;
  private readonly out: (text: string) => void;
  private readonly err: (text: string) => void;

  constructor(private readonly s: SessionSetup, private readonly run: (self: ChannelSession) => Promise<ChannelExit>) {
    const { channel, pty } = s;
    const crlf = (t: string) => (pty ? t.replace(/\r?\n/g, '\r\n') : t);
    const writable = () => channel.writable && !channel.destroyed;
    this.out = (t) => { if (writable()) channel.write(crlf(t)); };
    // On a terminal everything goes to the one screen, in order; piped, errors go to stderr.
    this.err = pty ? this.out : (t) => { if (writable()) channel.stderr.write(crlf(t)); };
    this.input = pty ? new TerminalInput(this.out) : new PlainInput(this.err);
    this.tty = s.tty;
    channel.on('data', (d: Buffer) => { if (this.sink) this.sink.write(d); else this.input.push(d); });
    channel.on('end', () => { this.inputEnded = true; this.sink?.endInput(); this.input.end(); });
    channel.on('close', () => { this.closed = true; this.sink?.hangup(); this.input.end(); });
    channel.on('error', (e: Error) => s.log.debug({ err: e.message }, 'ssh channel error'));
    this.done = this.run(this)
      .catch((e: unknown) => { s.log.error({ err: e instanceof Error ? e.message : String(e) }, 'ssh session failed'); return 1; })
      .then((code) => this.finish(code));
  }

  /** Ends the session: at once when it waits for input, after the running command otherwise. */
  stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    this.sink?.hangup();
    if (!this.busy) this.input.end();
  }

  /** The client's window changed (window-change): kept for the next cpu, passed to a running one. */
  resize(cols: number, rows: number): void {
    if (this.tty) this.tty = { ...this.tty, cols, rows };
    this.link?.resize(cols, rows);
  }

  /** A `signal` request (RFC 4254 §6.9, `INT` etc.): for a running cpu process; the console ignores it. */
  signal(name: string): void {
    const sig = signalOf(name);
    if (sig) this.link?.signal(sig);
  }

  /** Flushes what was written, sends the exit status and waits (bounded) for the channel to close. */
  private async finish(code: ChannelExit): Promise<void> {
    const { channel } = this.s;
    if (this.stopping && this.s.pty) this.out('\nthe appliance is shutting down; goodbye\n');
    if (channel.destroyed) return;
    const closed = new Promise<void>((resolve) => channel.once('close', () => resolve()));
    // exit() goes straight to the wire while writes may still sit in the streams' buffers.
    for (const w of [channel, channel.stderr]) {
      if (w.writableLength > 0) await within(new Promise<void>((resolve) => w.once('drain', () => resolve())), FLUSH_MS);
    }
    sendExit(channel, code);
    channel.end();
    await within(closed, FLUSH_MS);
  }

  private context(): CommandContext {
    return {
      ...this.s.context,
      ask: async (prompt, options) => {
        const r = await this.input.read(prompt, options);
        return r.kind === 'line' ? r.line : undefined;
      },
    };
  }

  private async command(line: string, json: boolean): Promise<{ failed: boolean; exit: boolean }> {
    this.busy = true;
    try {
      const reply = await dispatch(this.context(), line);
      const text = renderReply(reply, json);
      if (text) (reply.error && !json ? this.err : this.out)(`${text}\n`);
      return { failed: reply.error !== undefined, exit: reply.exit === true };
    } finally {
      this.busy = false;
    }
  }

  /** A `cpu ENV …` line to run here; undefined sends the line to the registry (help, usage, a removed account). */
  private cpuLine(line: string): { env: string; command?: string } | undefined {
    let c;
    try { c = parseCpu(line); } catch { return undefined; }
    if (c?.kind !== 'run' || removedReply(this.s.context)) return undefined;
    return c;
  }

  /**
   * Runs a cpu process on this channel until it is gone. `stdin`: the channel's input is the
   * process's (exec, or a console with a terminal); otherwise its stdin ends at once (a piped
   * console, whose input is its own lines). Failures are one `error:` line and status 1.
   */
  private async runCpu(c: { env: string; command?: string }, stdin: boolean): Promise<ChannelExit> {
    const { channel, context, log } = this.s;
    const runner = context.node.cpu;
    const fail = (err: unknown) => { this.err(`${failureReply(err).output}\n`); return 1; };
    if (!runner) return fail(unsupported('cpu is not enabled on this node'));
    if (runner.unavailable) return fail(unsupported(`cpu is not available on this node: ${runner.unavailable}`));
    const tty = this.s.pty ? this.tty : undefined;
    this.busy = true;
    // Bytes sent before the process exists wait in the channel, in order with its EOF.
    if (stdin) channel.pause();
    try {
      log.info({ env: c.env, command: c.command, tty: tty !== undefined }, 'ssh cpu');
      let proc;
      try {
        proc = await context.node.cpu!.start(context.user, c.env, { ...(c.command !== undefined ? { command: c.command } : {}), ...(tty ? { tty } : {}) });
      } catch (err) {
        log.info({ env: c.env, err: failureReply(err).output }, 'ssh cpu refused');
        return fail(err);
      }
      const link = new CpuLink(proc, channel, log);
      this.link = link;
      this.sink = link;
      // Typed ahead at the prompt, after `cpu ENV`: the shell's input now.
      const early = stdin ? this.input.take() : '';
      if (early) link.write(Buffer.from(early));
      if (!stdin || this.inputEnded) link.endInput();
      if (this.closed || this.stopping) link.hangup();
      if (stdin) channel.resume();
      const e = await link.done;
      log.info({ env: c.env, code: e.code, signal: e.signal }, 'ssh cpu ended');
      return exitOf(e);
    } finally {
      this.link = undefined;
      this.sink = undefined;
      this.busy = false;
      if (stdin) channel.resume();
    }
  }

  /** An `import NAME`/`export NAME` exec to run here; undefined sends it to the registry (help, usage, a removed account). */
  private transferLine(line: string): { kind: TransferVerb; name: string } | undefined {
    let c;
    try { c = parseTransfer(line); } catch { return undefined; }
    if (!c || c.kind === 'help' || removedReply(this.s.context)) return undefined;
    return c;
  }

  /** Sends the channel's input to `sink` from now on, telling it at once of an EOF or hang-up already seen. */
  private attachSink(sink: ChannelSink | undefined): void {
    this.sink = sink;
    if (sink && this.inputEnded) sink.endInput();
    if (sink && (this.closed || this.stopping)) sink.hangup();
  }

  /** The tar is the channel's stdin (import) or stdout (export); see transfer.ts. */
  private async runTransfer(c: { kind: TransferVerb; name: string }, json: boolean): Promise<ChannelExit> {
    const { channel, context, log } = this.s;
    this.busy = true;
    try {
      return await runTransfer(c, {
        channel, user: context.user, node: context.node, log, json, out: this.out, err: this.err,
        attach: (sink) => this.attachSink(sink),
      });
    } finally {
      this.sink = undefined;
      this.busy = false;
    }
  }

  /** `update [--reboot] < BUNDLE` or `update status` (admins; see update.ts); undefined: not an update line. */
  private updateExec(line: string, json: boolean): Promise<ChannelExit> | undefined {
    const { channel, context, log } = this.s;
    let c;
    try { c = parseUpdateLine(line); } catch (err) { this.err(`${renderReply(failureReply(err), json)}\n`); return Promise.resolve(2); }
    if (!c) return undefined;
    this.busy = true;
    return runUpdate(c, {
      channel, user: context.user, admin: context.accounts?.getUser(context.user).role === 'admin', log, json,
      out: this.out, err: this.err,
      attach: (sink) => this.attachSink(sink),
    }).finally(() => { this.sink = undefined; this.busy = false; });
  }

  /** Asks for a new password before the console starts; false when none was stored. */
  private async replaceOneTimePassword(): Promise<boolean> {
    const { user, accounts } = this.s.context;
    this.busy = true;
    try {
      const changed = await forcePasswordChange(accounts, user, {
        ask: async (prompt) => {
          if (this.stopping) return undefined;
          this.busy = false; // waiting for input: stop() may end the session now
          const r = await this.input.read(prompt, { secret: true });
          this.busy = true;
          return r.kind === 'line' ? r.line : undefined;
        },
        say: (text) => this.err(text),
      });
      this.s.log.info({ user, changed }, changed ? 'one-time password replaced' : 'one-time password not replaced; session ends');
      return changed;
    } finally {
      this.busy = false;
    }
  }

  /** `ssh host CMD`: one command; exit status 0, or 1 when it failed. */
  static exec(s: SessionSetup, command: string): ChannelSession {
    return new ChannelSession(s, async (self) => {
      const { line, json } = splitJsonFlag(command);
      if (s.mustChangePassword) {
        s.log.info({ user: s.context.user }, 'ssh exec refused: the password is one-time and must be changed first');
        const refusal = oneTimeExecRefusal(s.context.user);
        (json ? self.out : self.err)(`${renderReply(refusal, json)}\n`);
        return 1;
      }
      // A cpu command line is the program's, --json included.
      const cpu = self.cpuLine(command);
      if (cpu) return self.runCpu(cpu, true);
      const transfer = self.transferLine(line);
      if (transfer) return self.runTransfer(transfer, json);
      const update = self.updateExec(line, json);
      if (update) return update;
      s.log.info({ user: s.context.user, command: line }, 'ssh exec');
      const r = await self.command(line, json);
      return r.failed ? 1 : 0;
    });
  }

  /** `ssh host`: the console, until exit, Ctrl-D, end of input or stop(). */
  static shell(s: SessionSetup): ChannelSession {
    return new ChannelSession(s, async (self) => {
      if (s.mustChangePassword && !(await self.replaceOneTimePassword())) return 1;
      if (s.pty && s.banner) self.out(`${s.banner}\n`);
      while (!self.stopping) {
        const r = await self.input.read(s.pty ? PROMPT : '');
        if (r.kind === 'eof') break;
        if (r.kind === 'interrupt') continue;
        // With a terminal, cpu takes it over until the shell exits, then the prompt is back.
        const cpu = self.cpuLine(r.line);
        if (cpu) { await self.runCpu(cpu, s.pty); continue; }
        const { line, json } = splitJsonFlag(r.line);
        const res = await self.command(line, json);
        if (res.exit) break;
      }
      return 0;
    });
  }
}
