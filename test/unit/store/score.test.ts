import t from 'tap';
import { formatScore, isScoreText, parseScore } from '../../../appliance/store/score.js';

t.test('scores print as b3:<64 hex> and parse back', async (t) => {
  const raw = Buffer.from('8e4c7c1b99dbfd50e7a95185fead5ee1448fa904a2fdd778eaf5f2dbfd629a99', 'hex');
  const text = formatScore(raw);
  t.equal(text, 'b3:8e4c7c1b99dbfd50e7a95185fead5ee1448fa904a2fdd778eaf5f2dbfd629a99');
  t.same(parseScore(text), raw);
  t.same(parseScore(`  ${text.toUpperCase().replace('B3', 'b3')} `), raw, 'case and surrounding space are forgiven');
  t.ok(isScoreText(text));
  const whole = Buffer.concat([Buffer.alloc(3), raw]);
  const view = new Uint8Array(whole.buffer, whole.byteOffset + 3, 32);
  t.equal(formatScore(view), text, 'a view into a larger buffer prints only its own bytes');
});

t.test('anything else is COLONY_INVALID with a message saying what is expected', async (t) => {
  for (const bad of ['', 'b3:', 'b3:00', 'sha1:' + '0'.repeat(64), '0'.repeat(64), 'b3:' + 'g'.repeat(64), 'b3:' + '0'.repeat(65)]) {
    t.throws(() => parseScore(bad), { code: 'COLONY_INVALID', message: /expected b3: followed by 64 hex digits/ }, JSON.stringify(bad));
    t.notOk(isScoreText(bad));
  }
});
