// A terminal program driven as a person would: it runs in a tmux pane on a tmux server of
// its own (so tests running at once never share one, and close() can end it by socket
// name), keys go in with send-keys and the screen comes back with capture-pane.
// The caller installs tmux (scripts/ensure-apt.sh) before it starts one.
//
// Concurrency: tmux calls are synchronous; one waitFor at a time per terminal.
import { execFileSync } from 'node:child_process';
import type { Test } from 'tap';

/** One word for the pane's shell command line, quoted as sh reads it. */
export const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export interface TmuxTerminalOptions {
  /** The shell command line run in the pane (end it with `; sleep N` to keep the pane readable after it exits). */
  command: string;
  /** The tmux session name, which is also the target tests may name in tmux(...) calls. */
  session: string;
  /** The start of the tmux socket name; a pid and random suffix follow. */
  socketPrefix: string;
  width?: number;
  height?: number;
  /** How many lines of history screen() includes. */
  history?: number;
  /** What waitFor's error calls the program ("picocom never showed …"). */
  label?: string;
  /** waitFor's bound when the caller gives none, and its poll interval. */
  waitMs?: number;
  pollMs?: number;
  /** How many last lines of the screen waitFor's error shows (all when unset). */
  errorLines?: number;
  /** Once aborted, waitFor fails at once: the far end is gone and will never answer. */
  stop?: AbortSignal;
  /** What an aborted `stop` means, for the error ("the guest ended"). */
  stopMeans?: string;
}

export class TmuxTerminal {
  private readonly socket: string;
  protected running = false;

  constructor(private readonly opts: TmuxTerminalOptions) {
    this.socket = `${opts.socketPrefix}-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  }

  /** Starts the command in a new pane; with `t`, close() runs when the test ends. */
  start(t?: Test): this {
    const { session, command, width = 120, height = 40 } = this.opts;
    this.tmux('-f', '/dev/null', 'new-session', '-d', '-s', session, '-x', String(width), '-y', String(height), command);
    this.running = true;
    t?.teardown(() => this.close());
    return this;
  }

  /** Runs tmux against this terminal's own server (TMUX cleared, so a test run inside tmux does not leak into it). */
  tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, ...args], { timeout: 10_000, env: { ...process.env, TMUX: '' } }).toString();
  }

  /** Types text literally. */
  type(text: string): void { this.tmux('send-keys', '-t', this.opts.session, '-l', '--', text); }  // '--': text may start with '-' (a random password)

  /** Presses keys by tmux name: Enter (sends CR, as a terminal does), Left, BSpace, C-a, Up… */
  keys(...names: string[]): void { this.tmux('send-keys', '-t', this.opts.session, ...names); }

  /** The screen with its history, trailing blanks trimmed (so `/colony>$/` is "the prompt is the last thing"). */
  screen(): string {
    const lines = this.tmux('capture-pane', '-p', '-t', this.opts.session, '-S', `-${this.opts.history ?? 200}`).split('\n');
    return lines.map((l) => l.trimEnd()).join('\n').trimEnd();
  }

  /** Waits, at most `ms`, until the screen matches; returns the screen. */
  async waitFor(test: RegExp | ((screen: string) => boolean), what = String(test), ms = this.opts.waitMs ?? 10_000): Promise<string> {
    const ok = typeof test === 'function' ? test : (s: string) => test.test(s);
    const { label = 'the terminal', pollMs = 50, stop, stopMeans = 'the wait was stopped' } = this.opts;
    const until = Date.now() + ms;
    let last = '';
    for (;;) {
      if (stop?.aborted) throw new Error(`${stopMeans} before ${label} showed ${what}; it shows:\n${this.shown(last)}`);
      last = this.screen();
      if (ok(last)) return last;
      if (Date.now() >= until) throw new Error(`${label} never showed ${what}; it shows:\n${this.shown(last)}`);
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  /** Kills this terminal's tmux server (and so the program); safe to call twice. */
  close(): void {
    if (!this.running) return;
    this.running = false;
    try { this.tmux('kill-server'); } catch { /* already gone */ }
  }

  private shown(screen: string): string {
    const n = this.opts.errorLines;
    return n === undefined ? screen : screen.split('\n').slice(-n).join('\n');
  }
}
