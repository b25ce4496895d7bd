// The line editor as data: keys in, the line and the cursor out.
import t from 'tap';
import { LineEditor, readEscape } from '../../../appliance/console/ssh/index.js';

const ESC = '\x1b';
const LEFT = `${ESC}[D`;
const RIGHT = `${ESC}[C`;
const UP = `${ESC}[A`;
const DOWN = `${ESC}[B`;

/** Feeds keys to a fresh line; returns the finished line (or the state when unfinished). */
function type(ed: LineEditor, ...chunks: string[]) {
  ed.begin('> ');
  let res;
  let out = '';
  for (const c of chunks) {
    const r = ed.feed(c);
    out += r.output;
    if (r.result) { res = r; break; }
  }
  return { result: res?.result, rest: res?.rest, out, state: ed.state };
}

t.test('typing and enter', async (t) => {
  const ed = new LineEditor();
  const r = type(ed, 'status\r');
  t.same(r.result, { kind: 'line', line: 'status' });
  t.equal(r.out, 'status\r\n', 'plain typing is echoed as is');
  t.same(type(ed, 'a\nb').result, { kind: 'line', line: 'a' }, 'LF ends a line too');
});

t.test('CR LF is one line end, even across chunks', async (t) => {
  const ed = new LineEditor();
  const a = type(ed, 'one\r');
  t.same(a.result, { kind: 'line', line: 'one' });
  const b = type(ed, '\ntwo\r\nthree');
  t.same(b.result, { kind: 'line', line: 'two' });
  t.equal(b.rest, 'three', 'the LF after CR was swallowed');
});

t.test('the rest after a line waits for the next one', async (t) => {
  const ed = new LineEditor();
  const a = type(ed, 'first\rsecond\r');
  t.equal(a.rest, 'second\r');
  t.same(type(ed, a.rest!).result, { kind: 'line', line: 'second' });
});

t.test('cursor keys, home and end', async (t) => {
  const ed = new LineEditor();
  t.same(type(ed, `world${LEFT.repeat(5)}hello \r`).result, { kind: 'line', line: 'hello world' });
  t.same(type(ed, `bc\x01a\x05d\r`).result, { kind: 'line', line: 'abcd' }, 'ctrl-a, ctrl-e');
  t.same(type(ed, `bc${ESC}[Ha${ESC}[Fd\r`).result, { kind: 'line', line: 'abcd' }, 'Home and End keys');
  t.same(type(ed, `bc${ESC}OHa${ESC}OFd\r`).result, { kind: 'line', line: 'abcd' }, 'application-mode Home and End');
  t.same(type(ed, `bc${ESC}[1~a${ESC}[4~d\r`).result, { kind: 'line', line: 'abcd' }, 'VT Home and End');
  t.same(type(ed, `ac\x02b\x06d\r`).result, { kind: 'line', line: 'abcd' }, 'ctrl-b, ctrl-f');
  t.same(type(ed, `${LEFT}${LEFT}ab${RIGHT}${RIGHT}c\r`).result, { kind: 'line', line: 'abc' }, 'moves stop at the ends');
  t.same(type(ed, `ac${ESC}[1;5Db\r`).result, { kind: 'line', line: 'abc' }, 'modified arrows move too');
});

t.test('deleting', async (t) => {
  const ed = new LineEditor();
  t.same(type(ed, 'abx\x7fc\r').result, { kind: 'line', line: 'abc' }, 'backspace (DEL)');
  t.same(type(ed, 'abx\bc\r').result, { kind: 'line', line: 'abc' }, 'backspace (BS)');
  t.same(type(ed, '\x7f\x7fab\r').result, { kind: 'line', line: 'ab' }, 'backspace at the start does nothing');
  t.same(type(ed, `abxc${LEFT}${LEFT}${ESC}[3~\r`).result, { kind: 'line', line: 'abc' }, 'Delete');
  t.same(type(ed, `abxc${LEFT}${LEFT}\x04\r`).result, { kind: 'line', line: 'abc' }, 'ctrl-d inside a line deletes');
  t.same(type(ed, 'junk\x15ok\r').result, { kind: 'line', line: 'ok' }, 'ctrl-u');
  t.same(type(ed, `keep tail${LEFT.repeat(4)}\x15\r`).result, { kind: 'line', line: 'tail' }, 'ctrl-u keeps what is right of the cursor');
  t.same(type(ed, `keep junk${LEFT.repeat(4)}\x0b\r`).result, { kind: 'line', line: 'keep ' }, 'ctrl-k');
  t.same(type(ed, 'say one two  \x17three\r').result, { kind: 'line', line: 'say one three' }, 'ctrl-w eats blanks then a word');
});

t.test('redraw output puts the cursor back', async (t) => {
  const ed = new LineEditor();
  ed.begin('> ');
  ed.feed('abc');
  const r = ed.feed(LEFT);
  t.equal(r.output, `\r> abc${ESC}[K${ESC}[1D`);
  t.same(ed.state, { line: 'abc', cursor: 2, active: true });
});

t.test('history: up, down, the draft kept, no blanks, no repeats', async (t) => {
  const ed = new LineEditor({ historySize: 3 });
  for (const l of ['one', 'two', 'two', '  ', 'three']) type(ed, `${l}\r`);
  t.same(ed.entries, ['one', 'two', 'three']);
  t.same(type(ed, `${UP}\r`).result, { kind: 'line', line: 'three' });
  t.same(type(ed, `${UP}${UP}${UP}${UP}\r`).result, { kind: 'line', line: 'one' }, 'up stops at the oldest');
  t.same(ed.entries, ['two', 'three', 'one'], 'the size is bounded');
  t.same(type(ed, `draft${UP}${UP}${DOWN}${DOWN}\r`).result, { kind: 'line', line: 'draft' }, 'down past the newest returns the draft');
  t.same(type(ed, `\x10\x10\x0e\r`).result, { kind: 'line', line: 'draft' }, 'ctrl-p and ctrl-n');
  const bell = new LineEditor();
  bell.begin('> ');
  t.equal(bell.feed(UP).output, '\x07', 'no history: a bell');
});

t.test('ctrl-c, ctrl-d', async (t) => {
  const ed = new LineEditor();
  const c = type(ed, 'abc\x03rest');
  t.same(c.result, { kind: 'interrupt' });
  t.equal(c.out, 'abc^C\r\n');
  t.equal(c.rest, 'rest');
  t.same(ed.entries, [], 'a dropped line is not history');
  t.same(type(ed, '\x04').result, { kind: 'eof' }, 'ctrl-d on an empty line');
});

t.test('secret lines: no echo, no history', async (t) => {
  const ed = new LineEditor();
  ed.begin('password: ', { secret: true });
  const r = ed.feed(`hunter2${LEFT}\x7f${UP}3\r`);
  t.equal(r.output, '\r\n', 'nothing but the line end');
  t.same(r.result, { kind: 'line', line: 'hunte32' });
  t.same(ed.entries, []);
});

t.test('escape sequences cut between chunks', async (t) => {
  const ed = new LineEditor();
  t.same(type(ed, 'ab', `${ESC}`, '[', 'D', 'X\r').result, { kind: 'line', line: 'aXb' });
  t.same(type(ed, `a${ESC}[2`, '00~b\r').result, { kind: 'line', line: 'ab' }, 'unknown sequences are dropped whole');
  t.same(type(ed, `a${ESC}xb\r`).result, { kind: 'line', line: 'axb' }, 'a lone ESC is dropped, the next key stands');
  t.equal(readEscape(`${ESC}[`, 0), undefined);
  t.same(readEscape(`${ESC}[A`, 0), { key: 'up', end: 3 });
});

t.test('control characters are ignored and lines are bounded', async (t) => {
  const ed = new LineEditor({ maxLine: 4 });
  const r = type(ed, 'a\x00\x1fbcdef\r');
  t.same(r.result, { kind: 'line', line: 'abcd' });
  t.match(r.out, /\x07/, 'a bell when full');
});

t.test('feeding with no line begun does nothing', async (t) => {
  const ed = new LineEditor();
  type(ed, 'x\r');
  const r = ed.feed('more');
  t.same(r, { output: '', rest: 'more' });
});

t.test('ctrl-l clears the screen and redraws', async (t) => {
  const ed = new LineEditor();
  ed.begin('> ');
  ed.feed('ab');
  t.equal(ed.feed('\x0c').output, `${ESC}[H${ESC}[2J\r> ab${ESC}[K`);
});
