// A console session over any pair of streams (a terminal, a pipe, a socket): reads lines,
// runs each through the registry (or any `answer` function, such as a request to the
// running supervisor), one at a time and in order, and writes the replies. On a terminal
// it prompts and edits lines (node:readline); piped, it prints replies only. It ends on
// `exit`, at the end of input, on Ctrl-D or Ctrl-C on the terminal, or on close().
import { createInterface, type Interface } from 'node:readline';
import { Writable } from 'node:stream';
import type { ConsoleContext, GridVerbs } from './context.js';
import { loginAccount, runLine } from './registry.js';
import { renderReply, replyJson, splitJsonFlag, type ConsoleReply } from './reply.js';

type Ask = NonNullable<ConsoleContext['ask']>;
/** Lines read ahead before the input is paused. */
const MAX_QUEUED = 256;

export interface SessionOptions {
  /** What the session may reach: the grid, accounts, node… (or give `answer`). */
  context?: Omit<ConsoleContext, 'ask'>;
  /** Shorthand for `context: { user, grid }`. */
  grid?: GridVerbs;
  user?: string;
  /** Answers one line instead of the registry (the console client's request to the supervisor). */
  answer?: (line: string, ask: Ask) => Promise<ConsoleReply>;
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  /** Prompt and line editing (a TTY). */
  terminal: boolean;
  prompt?: string;
  /** One JSON object per reply instead of text. */
  json?: boolean;
  /** Most lines to run (a bound for tests and hostile peers); default unbounded. */
  maxLines?: number;
}

export type SessionEnd = 'exit' | 'eof' | 'interrupted' | 'closed';

export class Session {
  /** Commands that failed. */
  failures = 0;
  private rl: Interface | undefined;
  private end: SessionEnd = 'eof';
  /** While a secret is typed, the terminal's echo is swallowed. */
  private muted = false;
  private readonly lines: string[] = [];
  private closed = false;
  private waiting: (() => void) | undefined;

  constructor(private readonly opts: SessionOptions) {}

  /** Runs until `exit`, end of input, Ctrl-C on the terminal, or close(). */
  async run(): Promise<SessionEnd> {
    const { input, output, terminal } = this.opts;
    const echo = new Writable({ write: (chunk, _enc, done) => { if (!this.muted) output.write(chunk); done(); } });
    const rl = createInterface({ input, ...(terminal ? { output: echo, terminal: true, prompt: this.opts.prompt ?? 'colony> ' } : { terminal: false }), crlfDelay: Infinity });
    this.rl = rl;
    // One queue of typed lines, read by the command loop and by questions (passwd) alike.
    rl.on('line', (line) => {
      this.lines.push(line);
      if (this.lines.length >= MAX_QUEUED) rl.pause();
      this.wake();
    });
    rl.on('close', () => { this.closed = true; this.wake(); });
    rl.on('SIGINT', () => { this.end = 'interrupted'; if (terminal) output.write('\n'); rl.close(); });
    const answer = this.answerer();
    const max = this.opts.maxLines ?? Infinity;
    try {
      for (let n = 1; ; n++) {
        if (terminal) rl.prompt();
        const raw = await this.nextLine();
        if (raw === undefined) break;
        if (n > max) { this.end = 'closed'; break; }
        const { line, json } = splitJsonFlag(raw);
        const reply = await answer(line, (prompt, o) => this.ask(prompt, o));
        if (reply.error) this.failures++;
        this.write(line, reply, json);
        if (reply.exit) { this.end = 'exit'; break; }
        if (this.end !== 'eof') break; // closed while the command ran
      }
    } finally {
      rl.close();
    }
    return this.end;
  }

  private nextLine(): Promise<string | undefined> {
    return new Promise((resolve) => {
      const take = () => {
        const line = this.lines.shift();
        if (line !== undefined) {
          if (this.lines.length < MAX_QUEUED) this.rl?.resume();
          resolve(line);
        } else if (this.closed) resolve(undefined);
        else this.waiting = take;
      };
      take();
    });
  }

  private wake(): void {
    const w = this.waiting;
    this.waiting = undefined;
    w?.();
  }

  /** Ends the session from outside (a signal, a dropped connection). */
  close(): void {
    if (this.end === 'eof') this.end = 'closed';
    this.rl?.close();
  }

  private answerer(): (line: string, ask: Ask) => Promise<ConsoleReply> {
    if (this.opts.answer) return this.opts.answer;
    const given = this.opts.context ?? { user: this.opts.user ?? 'admin', ...(this.opts.grid ? { grid: this.opts.grid } : {}) };
    // The account is pinned when the session starts, so a user removed and added again is not this session's.
    const account = given.account ?? loginAccount(given.accounts, given.user);
    const base = account === undefined ? given : { ...given, account };
    return (line, ask) => runLine({ ...base, ask }, line);
  }

  private write(line: string, reply: ConsoleReply, json: boolean): void {
    const { output } = this.opts;
    if (this.opts.json) {
      const cmd = line.trim();
      if (cmd !== '' && !cmd.startsWith('#')) output.write(JSON.stringify({ command: cmd, ...replyJson(reply) }) + '\n');
      return;
    }
    const text = renderReply(reply, json);
    if (text) output.write(text + '\n');
  }

  /** A question inside a command (passwd): the next line typed, unechoed when secret. */
  private async ask(prompt: string, o: { secret: boolean }): Promise<string | undefined> {
    if (this.opts.terminal) this.opts.output.write(prompt);
    this.muted = o.secret && this.opts.terminal;
    try {
      return await this.nextLine();
    } finally {
      if (this.muted) this.opts.output.write('\n');
      this.muted = false;
    }
  }
}
