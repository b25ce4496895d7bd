// A secret (a password) typed on this process's own terminal, without echo: node:readline
// in terminal mode (raw, so Backspace, Ctrl-U, Ctrl-C and Ctrl-D work as in the console)
// with its echo swallowed, as the console session does for `passwd`'s secret questions.
// Used where the command runs, and by the CLI for a command forwarded to the supervisor
// (the terminal is the caller's: the supervisor only sees the lines).
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { ColonyError } from '../errors.js';

/** Ctrl-C while a secret was typed: nothing was changed. */
export const interrupted = () => new ColonyError('COLONY_CLOSED', 'interrupted (Ctrl-C); nothing was changed');

/** Whether `stdin` is this process's own terminal (a forwarded stream only says it is one). */
export const ownTerminal = (stdin: NodeJS.ReadableStream): stdin is NodeJS.ReadStream =>
  (stdin as { isTTY?: boolean }).isTTY === true && typeof (stdin as NodeJS.ReadStream).setRawMode === 'function';

export interface UnechoedHandlers {
  line(text: string): void;
  /** Ctrl-D on an empty line, or the end of the input. */
  end(): void;
  /** Ctrl-C. */
  interrupt(): void;
}

/**
 * Reads lines typed on the terminal without echoing them, until the returned stop function
 * is called (or Ctrl-C / Ctrl-D). Stopping puts the terminal back in the mode it was in.
 */
export function unechoedLines(stdin: NodeJS.ReadStream, h: UnechoedHandlers): () => void {
  const wasRaw = stdin.isRaw;
  const swallow = new Writable({ write: (_chunk, _enc, done) => done() });
  const rl = createInterface({ input: stdin, output: swallow, terminal: true, historySize: 0, crlfDelay: Infinity });
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    rl.close();
    stdin.setRawMode(wasRaw);
    stdin.pause();
  };
  rl.on('line', (text) => { if (!stopped) h.line(text); });
  rl.on('SIGINT', () => { if (stopped) return; stop(); h.interrupt(); });
  rl.on('close', () => { if (stopped) return; stop(); h.end(); });
  return stop;
}

/** Lines from any source, taken one at a time: `next()` is undefined at the end, or throws why it stopped. */
export class LineQueue {
  private readonly queue: string[] = [];
  private ended: Error | null | undefined;
  private waiting: (() => void) | undefined;

  readonly push = (line: string): void => { this.queue.push(line); this.wake(); };
  readonly finish = (why: Error | null): void => { if (this.ended === undefined) this.ended = why; this.wake(); };

  async next(): Promise<string | undefined> {
    for (;;) {
      const line = this.queue.shift();
      if (line !== undefined) return line;
      if (this.ended instanceof Error) throw this.ended;
      if (this.ended === null) return undefined;
      await new Promise<void>((resolve) => { this.waiting = resolve; });
    }
  }

  private wake(): void {
    const w = this.waiting;
    this.waiting = undefined;
    w?.();
  }
}
