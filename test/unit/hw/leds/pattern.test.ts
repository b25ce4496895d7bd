// The text form of LED patterns: what the config file and operators write.
import t from 'tap';
import { formatPattern, parsePattern } from '../../../../hw/leds/index.js';

t.test('each form parses to its pattern and formats back to the same text', async (t) => {
  const table: Array<[string, unknown]> = [
    ['on', { kind: 'on' }],
    ['off', { kind: 'off' }],
    ['heartbeat', { kind: 'heartbeat' }],
    ['blink 100 900', { kind: 'blink', onMs: 100, offMs: 900 }],
    ['pattern 255 500 0 500', { kind: 'pattern', steps: [[255, 500], [0, 500]], repeat: -1 }],
    ['pattern 255 100 0 100 128 300 repeat 3', { kind: 'pattern', steps: [[255, 100], [0, 100], [128, 300]], repeat: 3 }],
    ['pattern 10 1', { kind: 'pattern', steps: [[10, 1]], repeat: -1 }],
  ];
  for (const [text, want] of table) {
    t.same(parsePattern(text), want, text);
    t.equal(formatPattern(parsePattern(text)), text, `${text} round-trips`);
  }
});

t.test('spacing is free; repeat -1 is the default and is not written', async (t) => {
  t.same(parsePattern('  blink   5\t7 '), { kind: 'blink', onMs: 5, offMs: 7 });
  t.equal(formatPattern(parsePattern('pattern 1 2 3 4 repeat -1')), 'pattern 1 2 3 4');
});

t.test('mistakes are refused with COLONY_INVALID and say what was wrong', async (t) => {
  const bad: Array<[string, RegExp]> = [
    ['', /expected 'on', 'off'/],
    ['blinky', /expected 'on'/],
    ['on 1', /takes no arguments/],
    ['blink 100', /blink ON_MS OFF_MS/],
    ['blink 0 100', /ON_MS must be from 1/],
    ['blink 100 x', /OFF_MS must be a whole number/],
    ['pattern', /pairs of brightness/],
    ['pattern 255', /pairs of brightness/],
    ['pattern 256 100', /brightness must be from 0 to 255/],
    ['pattern 255 0', /milliseconds must be from 1/],
    ['pattern 255 100 repeat 0', /-1 \(forever\) or at least 1/],
    ['pattern 255 100 repeat -2', /repeat N must be from -1/],
    ['pattern 255 100 repeat 2 0 100', /'repeat N' must come last/],
    ['pattern 1.5 100', /brightness must be a whole number/],
    [`pattern ${Array(65).fill('1 1').join(' ')}`, /at most 64 steps/],
  ];
  for (const [text, msg] of bad) t.throws(() => parsePattern(text), { code: 'COLONY_INVALID', message: msg }, text || "''");
});
