// The live set: exact membership of 32-byte scores through growth, the zero score never in it,
// and far less memory than a Set of hex strings.
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { ScoreSet } from '../../../appliance/gc/index.js';

t.test('adds, finds and iterates scores exactly, across many doublings', async (t) => {
  const set = new ScoreSet();
  const scores = Array.from({ length: 50_000 }, () => randomBytes(32));
  t.equal(scores.filter((s) => set.add(s)).length, 50_000, 'each new score is added');
  t.equal(set.size, 50_000);
  t.equal(scores.filter((s) => set.add(s)).length, 0, 'none is added twice');
  let missing = 0;
  for (const s of scores) if (!set.has(s)) missing++;
  t.equal(missing, 0, 'every score is found');
  let stray = 0;
  for (let i = 0; i < 50_000; i++) if (set.has(randomBytes(32))) stray++;
  t.equal(stray, 0, 'no score that was not added is found');
  const seen = new Set([...set].map((s) => s.toString('hex')));
  t.same(seen, new Set(scores.map((s) => s.toString('hex'))));
  t.ok(set.bytes <= 50_000 * 128, `${set.bytes} bytes for 50k scores: at most 128 a score`);
});

t.test('a score that shares its first bytes with another is still told apart', async (t) => {
  const set = new ScoreSet();
  const a = Buffer.alloc(32, 1);
  const b = Buffer.from(a); b[31] = 2;
  set.add(a);
  t.equal(set.has(b), false);
  t.equal(set.add(b), true);
  t.equal(set.has(a) && set.has(b), true);
});

t.test('the all-zero score and short buffers are never members', async (t) => {
  const set = new ScoreSet();
  t.equal(set.add(Buffer.alloc(32)), false);
  t.equal(set.has(Buffer.alloc(32)), false);
  t.equal(set.add(Buffer.alloc(16, 1)), false);
  t.equal(set.size, 0);
});
