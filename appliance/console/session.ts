// A console session over any pair of streams (a terminal, a pipe, later an SSH channel or
// a serial port): reads lines, runs each through the interpreter in order, writes replies.
// With a terminal it prompts and edits lines (node:readline); piped, it prints replies only.
import { createInterface, type Interface } from 'node:readline';
import { run, type GridVerbs } from './interpreter.js';

export interface SessionOptions {
  grid: GridVerbs;
  user: string;
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

  constructor(private readonly opts: SessionOptions) {}

  /** Runs until `exit`, end of input, Ctrl-C on the terminal, or close(). */
  async run(): Promise<SessionEnd> {
    const { input, output, terminal } = this.opts;
    const rl = createInterface({ input, ...(terminal ? { output, terminal: true, prompt: this.opts.prompt ?? 'colony> ' } : { terminal: false }), crlfDelay: Infinity });
    this.rl = rl;
    rl.on('SIGINT', () => { this.end = 'interrupted'; if (terminal) output.write('\n'); rl.close(); });
    const max = this.opts.maxLines ?? Infinity;
    let n = 0;
    if (terminal) rl.prompt();
    for await (const line of rl) {
      if (++n > max) { this.end = 'closed'; break; }
      const reply = await run(this.opts.grid, this.opts.user, line);
      if (reply.error) this.failures++;
      if (this.opts.json) {
        if (line.trim() !== '' && !line.trim().startsWith('#')) output.write(JSON.stringify({ command: line.trim(), ok: !reply.error, output: reply.output, ...(reply.json !== undefined ? { result: reply.json } : {}) }) + '\n');
      } else if (reply.output) output.write(reply.output + '\n');
      if (reply.exit) { this.end = 'exit'; break; }
      if (terminal) rl.prompt();
    }
    rl.close();
    return this.end;
  }

  /** Ends the session from outside (a signal, a dropped connection). */
  close(): void {
    if (this.end === 'eof') this.end = 'closed';
    this.rl?.close();
  }
}
