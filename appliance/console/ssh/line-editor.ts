// A line editor as a pure state machine: terminal input (as text) in, the bytes to echo
// and a finished line out. It knows the keys of a VT100-style terminal in raw mode:
// arrows, Home/End/Delete, Ctrl-A/E/B/F/K/U/W/L, backspace, history with Up/Down and
// Ctrl-P/N, Ctrl-C (drop the line) and Ctrl-D (end of input on an empty line). It draws
// by rewriting the line: carriage return, prompt, text, clear to end, cursor back.
// Known limits: one terminal row (no wrapping), one column per character.

export type EditResult = { kind: 'line'; line: string } | { kind: 'eof' } | { kind: 'interrupt' };

export interface FeedResult {
  /** What to write to the terminal. */
  output: string;
  /** Set when the line is finished; the editor then waits for the next begin(). */
  result?: EditResult;
  /** Input after the finished line, for the next begin(). */
  rest: string;
}

export interface EditorOptions {
  /** Most history entries kept. */
  historySize?: number;
  /** Longest line accepted; further characters are dropped with a bell. */
  maxLine?: number;
}

const ESC = '\x1b';
const BELL = '\x07';
const CLEAR_EOL = `${ESC}[K`;

export class LineEditor {
  private prompt = '';
  private secret = false;
  private active = false;
  private buf = '';
  private cursor = 0;
  private readonly history: string[] = [];
  /** Position while browsing history; history.length means the draft being typed. */
  private hpos = 0;
  private draft = '';
  /** An escape sequence cut by a chunk boundary. */
  private pending = '';
  /** The previous key was CR, so a following LF belongs to it. */
  private afterCR = false;
  private readonly historySize: number;
  private readonly maxLine: number;

  constructor(options: EditorOptions = {}) {
    this.historySize = options.historySize ?? 200;
    this.maxLine = options.maxLine ?? 4096;
  }

  /** Starts a new line; returns the prompt to write. A secret line echoes nothing and is not kept. */
  begin(prompt: string, options: { secret?: boolean } = {}): string {
    this.prompt = prompt;
    this.secret = options.secret ?? false;
    this.active = true;
    this.buf = '';
    this.cursor = 0;
    this.hpos = this.history.length;
    this.draft = '';
    return prompt;
  }

  /** The line being edited and the cursor in it (for tests and redraws). */
  get state(): { line: string; cursor: number; active: boolean } {
    return { line: this.buf, cursor: this.cursor, active: this.active };
  }

  get entries(): readonly string[] {
    return this.history;
  }

  /** Feeds input; stops at the end of a line and hands back the rest. */
  feed(input: string): FeedResult {
    let out = '';
    let data = this.pending + input;
    this.pending = '';
    let i = 0;
    while (i < data.length && this.active) {
      const ch = data[i]!;
      if (this.afterCR) {
        this.afterCR = false;
        if (ch === '\n') { i++; continue; }
      }
      if (ch === ESC) {
        const seq = readEscape(data, i);
        if (seq === undefined) { this.pending = data.slice(i); data = ''; break; }
        out += this.key(seq.key);
        i = seq.end;
        continue;
      }
      i++;
      const code = ch.charCodeAt(0);
      if (ch === '\r' || ch === '\n') {
        if (ch === '\r' && data[i] === '\n') i++;
        else this.afterCR = ch === '\r' && i === data.length;
        return { output: out + '\r\n', result: this.finish(), rest: data.slice(i) };
      }
      if (code === 0x03) {
        this.active = false;
        return { output: `${out}^C\r\n`, result: { kind: 'interrupt' }, rest: data.slice(i) };
      }
      if (code === 0x04) {
        if (this.buf === '') {
          this.active = false;
          return { output: `${out}\r\n`, result: { kind: 'eof' }, rest: data.slice(i) };
        }
        out += this.key('delete');
        continue;
      }
      const name = CONTROL[code];
      if (name) { out += this.key(name); continue; }
      if (code < 0x20) continue; // other control characters mean nothing here
      out += this.insert(ch);
    }
    return { output: out, rest: this.active ? '' : data.slice(i) };
  }

  private finish(): EditResult {
    this.active = false;
    const line = this.buf;
    if (!this.secret && line.trim() !== '' && this.history[this.history.length - 1] !== line) {
      this.history.push(line);
      if (this.history.length > this.historySize) this.history.shift();
    }
    return { kind: 'line', line };
  }

  private insert(ch: string): string {
    if (this.buf.length >= this.maxLine) return BELL;
    const atEnd = this.cursor === this.buf.length;
    this.buf = this.buf.slice(0, this.cursor) + ch + this.buf.slice(this.cursor);
    this.cursor++;
    if (this.secret) return '';
    return atEnd ? ch : this.redraw();
  }

  /** Applies one named key; returns what to draw. */
  private key(name: string): string {
    const { buf, cursor } = this;
    switch (name) {
      case 'left': if (cursor === 0) return ''; this.cursor--; break;
      case 'right': if (cursor === buf.length) return ''; this.cursor++; break;
      case 'home': this.cursor = 0; break;
      case 'end': this.cursor = buf.length; break;
      case 'backspace':
        if (cursor === 0) return '';
        this.buf = buf.slice(0, cursor - 1) + buf.slice(cursor);
        this.cursor--;
        break;
      case 'delete':
        if (cursor === buf.length) return '';
        this.buf = buf.slice(0, cursor) + buf.slice(cursor + 1);
        break;
      case 'kill-start': this.buf = buf.slice(cursor); this.cursor = 0; break;
      case 'kill-end': this.buf = buf.slice(0, cursor); break;
      case 'kill-word': {
        let j = cursor;
        while (j > 0 && buf[j - 1] === ' ') j--;
        while (j > 0 && buf[j - 1] !== ' ') j--;
        this.buf = buf.slice(0, j) + buf.slice(cursor);
        this.cursor = j;
        break;
      }
      case 'up': case 'down': {
        if (this.secret) return '';
        const to = this.hpos + (name === 'up' ? -1 : 1);
        if (to < 0 || to > this.history.length) return BELL;
        if (this.hpos === this.history.length) this.draft = buf;
        this.hpos = to;
        this.buf = to === this.history.length ? this.draft : this.history[to]!;
        this.cursor = this.buf.length;
        break;
      }
      case 'clear':
        return this.secret ? '' : `${ESC}[H${ESC}[2J${this.redraw()}`;
      default:
        return '';
    }
    return this.secret ? '' : this.redraw();
  }

  private redraw(): string {
    const back = this.buf.length - this.cursor;
    return `\r${this.prompt}${this.buf}${CLEAR_EOL}${back > 0 ? `${ESC}[${back}D` : ''}`;
  }
}

const CONTROL: Record<number, string> = {
  0x01: 'home', 0x05: 'end', 0x02: 'left', 0x06: 'right',
  0x08: 'backspace', 0x7f: 'backspace',
  0x0b: 'kill-end', 0x15: 'kill-start', 0x17: 'kill-word',
  0x10: 'up', 0x0e: 'down', 0x0c: 'clear',
};

const FINAL: Record<string, string> = { A: 'up', B: 'down', C: 'right', D: 'left', H: 'home', F: 'end' };
const TILDE: Record<string, string> = { '1': 'home', '7': 'home', '4': 'end', '8': 'end', '3': 'delete' };

/**
 * Reads the escape sequence at data[i] (an ESC). Undefined when it is cut off at the end
 * of the data; `key` is '' for sequences that mean nothing to the editor.
 */
export function readEscape(data: string, i: number): { key: string; end: number } | undefined {
  const next = data[i + 1];
  if (next === undefined) return undefined;
  if (next === 'O') {
    const f = data[i + 2];
    if (f === undefined) return undefined;
    return { key: FINAL[f] ?? '', end: i + 3 };
  }
  if (next !== '[') return { key: '', end: i + 1 }; // a lone ESC: dropped, the next key stands
  let j = i + 2;
  while (j < data.length) {
    const c = data.charCodeAt(j);
    if (c >= 0x40 && c <= 0x7e) {
      const params = data.slice(i + 2, j);
      const f = data[j]!;
      if (f === '~') return { key: TILDE[params] ?? '', end: j + 1 };
      // Modified arrows (ESC [ 1 ; 5 C) move like plain ones.
      return { key: params === '' || /^1;\d+$/.test(params) ? FINAL[f] ?? '' : '', end: j + 1 };
    }
    if (j - i > 16) return { key: '', end: j }; // not a sequence we will ever finish
    j++;
  }
  return undefined;
}
