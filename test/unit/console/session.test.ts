// A session over in-memory streams: lines in order, replies out, and the ways it ends.
import { PassThrough } from 'node:stream';
import t from 'tap';
import type { GridVerbs } from '../../../appliance/console/interpreter.js';
import { Session } from '../../../appliance/console/session.js';

const grid = {
  status: () => [],
  scores: () => [],
  boom: async (_u: string, env: string) => { await new Promise((r) => setImmediate(r)); return { name: env, unsaved: false }; },
} as unknown as GridVerbs;

async function session(input: string, opts: { json?: boolean; maxLines?: number } = {}) {
  const inp = new PassThrough();
  const out = new PassThrough();
  let text = '';
  out.on('data', (b: Buffer) => { text += b.toString(); });
  const s = new Session({ grid, user: 'alice', input: inp, output: out, terminal: false, ...opts });
  inp.end(input);
  const end = await s.run();
  return { end, text, failures: s.failures };
}

t.test('piped: replies in order, no prompt, failures counted', async (t) => {
  const r = await session('boom a\nstatus\nboom b\nnope\r\n\n# note\nboom c');
  t.equal(r.text, 'boomed a\nno environments running\nboomed b\nerror: unknown command \'nope\' (type help for the list)\nboomed c\n');
  t.equal(r.end, 'eof');
  t.equal(r.failures, 1);
});

t.test('exit stops reading', async (t) => {
  const r = await session('boom a\nexit\nboom b\n');
  t.equal(r.text, 'boomed a\n');
  t.equal(r.end, 'exit');
});

t.test('json: one object per command', async (t) => {
  const r = await session('boom a\n\nstatus x\n', { json: true });
  const lines = r.text.trim().split('\n').map((l) => JSON.parse(l) as { command: string; ok: boolean; error?: string; message?: string });
  t.same(lines.map((l) => [l.command, l.ok]), [['boom a', true], ['status x', false]]);
  t.same(lines[1], { command: 'status x', ok: false, error: 'COLONY_USAGE', message: 'usage: status' }, 'the one JSON form of a failure');
});

t.test('a --json word on one line answers that line as JSON', async (t) => {
  const r = await session('status --json\nstatus\n');
  t.equal(r.text, '{"ok":true,"output":"no environments running","result":[]}\nno environments running\n');
});

t.test('questions inside a command read the next line', async (t) => {
  const inp = new PassThrough();
  const out = new PassThrough();
  let text = '';
  out.on('data', (b: Buffer) => { text += b.toString(); });
  const asked: string[] = [];
  const s = new Session({
    input: inp, output: out, terminal: false,
    answer: async (line, ask) => {
      const a = await ask(`${line}? `, { secret: true });
      asked.push(a ?? '(none)');
      return { output: `got ${a}` };
    },
  });
  inp.end('q1\nanswer1\nq2\n');
  t.equal(await s.run(), 'eof');
  t.same(asked, ['answer1', '(none)'], 'the end of input answers undefined');
  t.equal(text, 'got answer1\ngot undefined\n');
});

t.test('a bound on lines, and close() from outside', async (t) => {
  const r = await session('boom a\nboom b\nboom c\n', { maxLines: 2 });
  t.equal(r.text, 'boomed a\nboomed b\n');
  t.equal(r.end, 'closed');
  const inp = new PassThrough();
  const s = new Session({ grid, user: 'alice', input: inp, output: new PassThrough(), terminal: false });
  const running = s.run();
  inp.write('status\n');
  s.close();
  t.equal(await running, 'closed');
});
