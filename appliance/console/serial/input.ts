// Lines typed on a serial line, edited and echoed as they arrive (the SSH console's
// LineEditor: arrows, backspace/DEL, Ctrl-C, Ctrl-D…). A serial terminal sends CR for
// Enter, a raw pty or a script LF; the editor takes either, and CR LF as one.
//
// Nothing typed is dropped: input that arrives while a command runs waits here, and past
// MAX_BUFFERED the source is paused until it is read. A line longer than MAX_LINE is
// returned as `too-long` rather than cut (a cut command could name something else).
//
// Concurrency: one read at a time (the console loop awaits each); push/end come from the
// stream's events and may arrive at any time.
import { StringDecoder } from 'node:string_decoder';
import { LineEditor } from '../ssh/line-editor.js';

export const MAX_LINE = 4096;
const MAX_BUFFERED = 64 * 1024;

export type ReadResult =
  | { kind: 'line'; line: string }
  | { kind: 'too-long'; length: number }
  | { kind: 'eof' }
  | { kind: 'interrupt' }
  /** cancel() was called (idle logout, close). */
  | { kind: 'cancelled' };

export class SerialInput {
  // One character more than the limit: a line that reaches it was longer than allowed.
  private readonly editor = new LineEditor({ maxLine: MAX_LINE + 1 });
  private readonly decoder = new StringDecoder('utf8');
  private buffered = '';
  private waiter: ((r: ReadResult) => void) | undefined;
  private paused = false;

  constructor(private readonly write: (text: string) => void, private readonly flow: { pause(): void; resume(): void }) {}

  read(prompt: string, options: { secret?: boolean } = {}): Promise<ReadResult> {
    return new Promise((resolve) => {
      this.waiter = resolve;
      this.write(this.editor.begin(prompt, options));
      this.pump();
    });
  }

  push(chunk: Buffer): void {
    this.buffered += this.decoder.write(chunk);
    if (this.buffered.length > MAX_BUFFERED && !this.paused) { this.paused = true; this.flow.pause(); }
    this.pump();
  }

  /** Ends the pending read (if any) with `cancelled`. */
  cancel(): void {
    const resolve = this.waiter;
    this.waiter = undefined;
    resolve?.({ kind: 'cancelled' });
  }

  private resumeIfDrained(): void {
    if (this.paused && this.buffered.length <= MAX_BUFFERED / 2) { this.paused = false; this.flow.resume(); }
  }

  private pump(): void {
    const resolve = this.waiter;
    if (!resolve || !this.buffered) return;
    // Fed in slices, so a flood answers with bounded echo per step and the pause can act.
    const slice = this.buffered.slice(0, 4096);
    const r = this.editor.feed(slice);
    this.buffered = r.rest + this.buffered.slice(slice.length);
    // Past the limit each key answers with a bell: one is enough.
    if (r.output) this.write(r.output.replace(/\x07{2,}/g, '\x07'));
    this.resumeIfDrained();
    if (!r.result) { if (this.buffered) setImmediate(() => this.pump()); return; }
    this.waiter = undefined;
    const res = r.result;
    if (res.kind === 'line' && res.line.length > MAX_LINE) resolve({ kind: 'too-long', length: res.line.length });
    else resolve(res);
  }
}
