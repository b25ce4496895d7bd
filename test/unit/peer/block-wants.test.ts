// The replication planner as data: wants per page, the cursor rule, and saved cursors.
import t from 'tap';
import { advanceCursor, cursorCheck, planWants, resumeFrom, scoreKey, settledEntries, type RemoteEntry } from '../../../appliance/peer/block-wants.js';

const score = (name: string) => Buffer.alloc(32, name);
/** A page of entries named by letters, with sizes; positions follow from the sizes (44-byte headers). */
function page(spec: Array<[string, number]>, start = 64): RemoteEntry[] {
  let pos = start;
  return spec.map(([name, size]) => {
    const e = { pos, end: pos + 44 + size, score: score(name), type: 1, size };
    pos = e.end;
    return e;
  });
}
const names = (scores: Buffer[]) => scores.map((s) => String.fromCharCode(s[0]!)).join('');

t.test('wants: dedupe within the page, skip local, skip in flight elsewhere, cut by count and bytes', async (t) => {
  const cases: Array<{ name: string; entries: Array<[string, number]>; local: string; inFlight: string; maxScores?: number; maxBytes?: number; batches: string[]; elsewhere: string; bytes: number }> = [
    { name: 'nothing local: everything, one batch', entries: [['a', 10], ['b', 10], ['c', 10]], local: '', inFlight: '', batches: ['abc'], elsewhere: '', bytes: 30 },
    { name: 'all local: nothing', entries: [['a', 10], ['b', 10]], local: 'ab', inFlight: '', batches: [], elsewhere: '', bytes: 0 },
    { name: 'local blocks are skipped', entries: [['a', 10], ['b', 10], ['c', 10]], local: 'b', inFlight: '', batches: ['ac'], elsewhere: '', bytes: 20 },
    { name: 'a score twice in a page is asked once', entries: [['a', 10], ['b', 10], ['a', 10]], local: '', inFlight: '', batches: ['ab'], elsewhere: '', bytes: 20 },
    { name: 'mesh: a block in flight from another peer is not asked again', entries: [['a', 10], ['b', 10], ['c', 10]], local: '', inFlight: 'b', batches: ['ac'], elsewhere: 'b', bytes: 20 },
    { name: 'in flight and repeated: listed once as elsewhere', entries: [['b', 10], ['b', 10]], local: '', inFlight: 'b', batches: [], elsewhere: 'b', bytes: 0 },
    { name: 'at most maxScores per batch', entries: [['a', 1], ['b', 1], ['c', 1], ['d', 1], ['e', 1]], local: '', inFlight: '', maxScores: 2, batches: ['ab', 'cd', 'e'], elsewhere: '', bytes: 5 },
    { name: 'at most maxBytes per batch', entries: [['a', 40], ['b', 40], ['c', 40], ['d', 100]], local: '', inFlight: '', maxBytes: 100, batches: ['ab', 'c', 'd'], elsewhere: '', bytes: 220 },
    { name: 'a block larger than maxBytes goes alone', entries: [['a', 10], ['b', 500], ['c', 10]], local: '', inFlight: '', maxBytes: 100, batches: ['a', 'b', 'c'], elsewhere: '', bytes: 520 },
    { name: 'skipped entries do not count towards a batch', entries: [['a', 50], ['b', 50], ['c', 50], ['d', 50]], local: 'b', inFlight: 'c', maxBytes: 100, batches: ['ad'], elsewhere: 'c', bytes: 100 },
  ];
  for (const c of cases) {
    const entries = page(c.entries);
    const plan = planWants({
      entries,
      local: entries.map((e) => c.local.includes(names([e.score]))),
      inFlight: new Set([...c.inFlight].map((n) => scoreKey(score(n)))),
      maxScores: c.maxScores,
      maxBytes: c.maxBytes,
    });
    t.same(plan.batches.map((b) => names(b.map((w) => w.score))), c.batches, `${c.name}: batches`);
    t.equal(names(plan.elsewhere), c.elsewhere, `${c.name}: elsewhere`);
    t.equal(plan.bytes, c.bytes, `${c.name}: bytes`);
  }
  const e = page([['a', 7]]);
  t.same(planWants({ entries: e, local: [false], inFlight: new Set() }).batches, [[{ score: score('a'), type: 1, size: 7 }]], 'a want carries the type and size to verify and store with');
  t.throws(() => planWants({ entries: e, local: [], inFlight: new Set() }), { code: 'COLONY_INTERNAL' });
});

t.test('the cursor moves past the settled prefix only', async (t) => {
  const entries = page([['a', 10], ['b', 10], ['c', 10], ['d', 10]], 1000);
  const next = entries[3]!.end + 44 + 300; // a seal record after the last entry
  const at = (i: number) => entries[i]!.pos;
  const cases: Array<[string, boolean[], number]> = [
    ['all settled: the page end, past records that are not entries', [true, true, true, true], next],
    ['none settled: the first entry', [false, false, false, false], at(0)],
    ['a gap: stops before it, whatever is settled after it', [true, false, true, true], at(1)],
    ['only the last missing', [true, true, true, false], at(3)],
  ];
  for (const [name, settled, want] of cases) t.equal(advanceCursor(900, { entries, next }, settled), want, name);
  t.equal(advanceCursor(500, { entries: [], next: 700 }, []), 700, 'an empty page still moves to its end');
  t.equal(advanceCursor(1000, { entries, next }, [false, false, false, false]), 1000, 'never backwards');

  // A restart resumes at the first entry not yet durable: what follows is re-sent, nothing before.
  const resumed = advanceCursor(900, { entries, next }, [true, true, false, false]);
  t.same(entries.filter((e) => e.pos >= resumed).map((e) => names([e.score])), ['c', 'd']);
});

t.test('after batch k of a page, the cursor is at the end of batches 1..k, never past an unsynced entry', async (t) => {
  // Ten entries a..j, c already local, batches of three: [abd] [efg] [hij]. The receiver
  // reads batch k while batch k+1 is asked (pipelining), then syncs and advances: what
  // batch k+1 holds is requested, never durable, when batch k settles.
  const entries = page([..."abcdefghij"].map((n): [string, number] => [n, 10]), 1000);
  const next = entries[9]!.end;
  const at = (n: string) => entries["abcdefghij".indexOf(n)]!.pos;
  const plan = planWants({ entries, local: entries.map((e) => names([e.score]) === 'c'), inFlight: new Set(), maxScores: 3 });
  t.same(plan.batches.map((b) => names(b.map((w) => w.score))), ['abd', 'efg', 'hij']);
  const cases: Array<{ name: string; held: string; gaveUp?: string; want: number }> = [
    { name: 'before any batch: only what was local, and a gap at a', held: 'c', want: at('a') },
    { name: 'after batch 1 (batch 2 in flight): the end of d', held: 'cabd', want: at('e') },
    { name: 'after batch 2 (batch 3 in flight): the end of g', held: 'cabdefg', want: at('h') },
    { name: 'after batch 3: the page end', held: 'cabdefghij', want: next },
    { name: 'batch 2 with a block the peer cannot serve: moved past', held: 'cabdeg', gaveUp: 'f', want: at('h') },
    { name: 'batch 2 with a block still being fetched from another peer: stops before it', held: 'cabdfg', want: at('e') },
    { name: 'part of batch 2 received but not synced when the sync began: not past it', held: 'cabde', want: at('f') },
  ];
  for (const c of cases) {
    const held = entries.map((e) => c.held.includes(names([e.score])));
    const gaveUp = new Set([...(c.gaveUp ?? '')].map((n) => scoreKey(score(n))));
    t.equal(advanceCursor(1000, { entries, next }, settledEntries(entries, held, gaveUp)), c.want, c.name);
  }
  // Asked again after each batch from the page's start, the answers never go backwards.
  const steps = ['c', 'cabd', 'cabdefg', 'cabdefghij'].map((h) => advanceCursor(1000, { entries, next }, settledEntries(entries, entries.map((e) => h.includes(names([e.score]))), new Set())));
  t.same(steps, [at('a'), at('e'), at('h'), next]);
  t.throws(() => settledEntries(entries, [true], new Set()), { code: 'COLONY_INTERNAL' });
});

t.test('a page that goes backwards or out of order is refused', async (t) => {
  const [a, b] = page([['a', 10], ['b', 10]], 1000) as [RemoteEntry, RemoteEntry];
  const cases: Array<[string, RemoteEntry[], number, number]> = [
    ['an entry before the cursor', [a, b], b.end, 1200],
    ['entries out of order', [b, a], 900, b.end],
    ['the page ends before its last entry', [a, b], 900, a.end],
    ['an entry that ends where it starts', [{ ...a, end: a.pos }], 900, a.end],
  ];
  for (const [name, entries, cursor, next] of cases) {
    t.throws(() => advanceCursor(cursor, { entries, next }, entries.map(() => true)), { code: 'COLONY_INVALID' }, name);
  }
  t.throws(() => advanceCursor(0, { entries: [a], next: a.end }, []), { code: 'COLONY_INTERNAL' });
});

t.test('a saved cursor against the peer log as it is now', async (t) => {
  const cases: Array<[string, { epoch: string; pos: number } | undefined, { epoch: string; head: number }, string, number]> = [
    ['same log, cursor behind the head', { epoch: 'e1', pos: 500 }, { epoch: 'e1', head: 9000 }, 'resume', 500],
    ['same log, cursor at the head', { epoch: 'e1', pos: 9000 }, { epoch: 'e1', head: 9000 }, 'resume', 9000],
    ['no cursor yet', undefined, { epoch: 'e1', head: 9000 }, 'rescan-from-zero', 0],
    ['the store was replaced or rebuilt: new epoch', { epoch: 'e1', pos: 500 }, { epoch: 'e2', head: 9000 }, 'rescan-from-zero', 0],
    ['new epoch, even with the cursor past the new head', { epoch: 'e1', pos: 9999 }, { epoch: 'e2', head: 64 }, 'rescan-from-zero', 0],
    ['same epoch but past the head: truncated', { epoch: 'e1', pos: 9001 }, { epoch: 'e1', head: 9000 }, 'rescan', 0],
  ];
  for (const [name, saved, remote, verdict, from] of cases) {
    t.equal(cursorCheck(saved, remote), verdict, name);
    t.equal(resumeFrom(saved, remote), from, `${name}: reads from ${from}`);
  }
});
