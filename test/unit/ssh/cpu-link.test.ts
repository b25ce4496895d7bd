// CpuLink against stand-in streams: the channel pauses while the process's stdin is full and
// flows again on drain, EOF and hang-up reach the process once, and the exit goes back as
// exit-status or, for a signal death, exit-signal (128+n for names RFC 4254 lacks).
import { PassThrough, Writable } from 'node:stream';
import t from 'tap';
import type { ServerChannel } from 'ssh2';
import { CpuLink, exitOf, sendExit, signalOf } from '../../../appliance/console/ssh/cpu-link.js';
import type { CpuExit, CpuProcess } from '../../../appliance/console/index.js';
import { silentLog } from '../../../appliance/log.js';

function fakeChannel() {
  const calls: string[] = [];
  const ch = Object.assign(new PassThrough(), { stderr: new PassThrough(), exits: [] as unknown[][] });
  const pause = ch.pause.bind(ch);
  const resume = ch.resume.bind(ch);
  ch.pause = () => { calls.push('pause'); return pause(); };
  ch.resume = () => { calls.push('resume'); return resume(); };
  (ch as unknown as { exit: (...a: unknown[]) => void }).exit = (...a: unknown[]) => {
    if (typeof a[0] === 'string' && a[0] === 'VTALRM') throw new Error('Invalid signal: VTALRM');
    ch.exits.push(a);
  };
  return { ch, calls, channel: ch as unknown as ServerChannel };
}

function fakeProc() {
  let release: (() => void) | undefined;
  const written: string[] = [];
  const stdin = new Writable({
    highWaterMark: 4,
    write(chunk: Buffer, _enc, done) { written.push(chunk.toString()); release = done; },
  });
  const calls: string[] = [];
  let settle!: (e: CpuExit) => void;
  const proc: CpuProcess = {
    stdin, stdout: new PassThrough(), stderr: new PassThrough(),
    resize: (c, r) => calls.push(`resize ${c}x${r}`), signal: (s) => calls.push(`signal ${s}`), hangup: () => calls.push('hangup'),
    exited: new Promise((r) => { settle = r; }),
  };
  return { proc, written, calls, drain: () => { const r = release; release = undefined; r?.(); }, settle: (e: CpuExit) => settle(e), stdin };
}

t.test('stdin backpressure pauses the channel until drain', async (t) => {
  const c = fakeChannel();
  const p = fakeProc();
  const link = new CpuLink(p.proc, c.channel, silentLog);
  link.write(Buffer.from('hello world'));
  t.same(c.calls, ['pause'], 'a full stdin pauses the channel');
  link.write(Buffer.from('more'));
  t.same(c.calls, ['pause'], 'once');
  p.drain();
  await new Promise((r) => setImmediate(r));
  p.drain();
  await new Promise((r) => setImmediate(r));
  t.same(c.calls, ['pause', 'resume'], 'drain lets it flow');
  t.same(p.written, ['hello world', 'more']);
  link.endInput();
  link.write(Buffer.from('late'));
  p.drain();
  t.same(p.written, ['hello world', 'more'], 'nothing after EOF');
  link.resize(100, 30);
  link.signal('SIGINT');
  link.hangup();
  link.hangup();
  t.same(p.calls, ['resize 100x30', 'signal SIGINT', 'hangup'], 'hang-up once');
  (p.proc.stdout as PassThrough).end('out');
  (p.proc.stderr as PassThrough).end('err');
  let out = '';
  let err = '';
  c.ch.on('data', (d: Buffer) => { out += d.toString(); });
  c.ch.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  p.settle({ code: 3, signal: null, status: 3 });
  t.same(await link.done, { code: 3, signal: null, status: 3 });
  t.equal(out, 'out');
  t.equal(err, 'err');
  t.notOk(c.ch.writableEnded, 'the channel stays open: the session sends the status');
});

t.test('exit-status or exit-signal', async (t) => {
  t.equal(exitOf({ code: 0, signal: null, status: 0 }), 0);
  t.same(exitOf({ code: null, signal: 'SIGKILL', status: 137 }), { signal: 'KILL', status: 137 });
  const c = fakeChannel();
  sendExit(c.channel, 4);
  sendExit(c.channel, { signal: 'TERM', status: 143 });
  sendExit(c.channel, { signal: 'VTALRM', status: 154 });
  t.same(c.ch.exits, [[4], ['TERM', false, ''], [154]]);
  t.equal(signalOf('INT'), 'SIGINT');
  t.equal(signalOf('sigterm'), 'SIGTERM');
  t.equal(signalOf('NOPE'), undefined);
});
