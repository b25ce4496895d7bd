// One SSH session channel: a one-shot command (`exec`) or the console (`shell`). With a
// pty the client's terminal is raw, so we echo and edit lines ourselves (LineEditor) and
// end lines with CR LF; without one we read plain lines and print only the answers.
import { StringDecoder } from 'node:string_decoder';
import type { ServerChannel } from 'ssh2';
import type { Log } from '../../log.js';
import { dispatch, renderReply, splitJsonFlag, type CommandContext } from './commands.js';
import { forcePasswordChange, oneTimeExecRefusal } from './first-login.js';
import { LineEditor, type EditResult } from './line-editor.js';

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
  /** Everything of the command context but `ask`. */
  context: Omit<CommandContext, 'ask'>;
  log: Log;
  banner?: string;
  /** The user logged in with a one-time password: a shell asks for a new one first, exec is refused. */
  mustChangePassword?: boolean;
}

/** A running session as the server sees it: it can be asked to stop, and says when it has. */
export class ChannelSession {
  readonly done: Promise<void>;
  private stopping = false;
  private busy = false;
  private readonly input: LineInput;
  private readonly out: (text: string) => void;
  private readonly err: (text: string) => void;

  constructor(private readonly s: SessionSetup, private readonly run: (self: ChannelSession) => Promise<number>) {
    const { channel, pty } = s;
    const crlf = (t: string) => (pty ? t.replace(/\r?\n/g, '\r\n') : t);
    const writable = () => channel.writable && !channel.destroyed;
    this.out = (t) => { if (writable()) channel.write(crlf(t)); };
    // On a terminal everything goes to the one screen, in order; piped, errors go to stderr.
    this.err = pty ? this.out : (t) => { if (writable()) channel.stderr.write(crlf(t)); };
    this.input = pty ? new TerminalInput(this.out) : new PlainInput(this.err);
    channel.on('data', (d: Buffer) => this.input.push(d));
    channel.on('end', () => this.input.end());
    channel.on('close', () => this.input.end());
    channel.on('error', (e: Error) => s.log.debug({ err: e.message }, 'ssh channel error'));
    this.done = this.run(this)
      .catch((e: unknown) => { s.log.error({ err: e instanceof Error ? e.message : String(e) }, 'ssh session failed'); return 1; })
      .then((code) => this.finish(code));
  }

  /** Ends the session: at once when it waits for input, after the running command otherwise. */
  stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    if (!this.busy) this.input.end();
  }

  /** Flushes what was written, sends the exit status and waits (bounded) for the channel to close. */
  private async finish(code: number): Promise<void> {
    const { channel } = this.s;
    if (this.stopping && this.s.pty) this.out('\nthe appliance is shutting down; goodbye\n');
    if (channel.destroyed) return;
    const closed = new Promise<void>((resolve) => channel.once('close', () => resolve()));
    // exit() goes straight to the wire while writes may still sit in the streams' buffers.
    for (const w of [channel, channel.stderr]) {
      if (w.writableLength > 0) await within(new Promise<void>((resolve) => w.once('drain', () => resolve())), FLUSH_MS);
    }
    try { channel.exit(code); } catch { /* the channel is already gone */ }
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
        const { line, json } = splitJsonFlag(r.line);
        const res = await self.command(line, json);
        if (res.exit) break;
      }
      return 0;
    });
  }
}
