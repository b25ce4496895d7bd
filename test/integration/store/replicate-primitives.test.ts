// The store's replication primitives and the block-wants planner together, in one process
// and without a network: what the peer session will do, step by step, counted in blocks.
import t from 'tap';
import { advanceCursor, cursorCheck, planWants, resumeFrom, scoreKey, type Want } from '../../../appliance/peer/block-wants.js';
import { BlockStore, formatScore } from '../../../appliance/store/index.js';
import { tmpDir, tmpStore } from '../../helpers/tmp.js';

interface Session { src: BlockStore; cursor: number; fetched: number }

/** One page from `s.src` into `dst`; a `between` hook runs after the requests are planned, before they are served. */
async function round(s: Session, dst: BlockStore, inFlight: Set<string>, limit: number, between?: () => Promise<void>): Promise<boolean> {
  const page = await s.src.entriesSince(s.cursor, { limit });
  const local = await dst.hasMany(page.entries.map((e) => e.score));
  const plan = planWants({ entries: page.entries, local, inFlight, maxScores: 8 });
  const wants: Want[] = plan.batches.flat();
  for (const w of wants) inFlight.add(scoreKey(w.score));
  await between?.();
  try {
    for (const w of wants) {
      const block = await s.src.getBlock(w.score);
      await dst.putVerified(w.type, block.data, w.score);
      s.fetched++;
    }
    await dst.sync();
  } finally {
    for (const w of wants) inFlight.delete(scoreKey(w.score));
  }
  s.cursor = advanceCursor(s.cursor, page, await dst.hasMany(page.entries.map((e) => e.score)));
  return page.next === page.head && plan.elsewhere.length === 0 && s.cursor === page.head;
}

async function fill(store: BlockStore, n: number, tag: string): Promise<string[]> {
  const out = [];
  for (let i = 0; i < n; i++) out.push(formatScore(await store.put(1, Buffer.from(`${tag} block ${i} `.repeat(50)))));
  await store.sync();
  return out;
}

t.test('a receiver fetches each missing block once and its cursor ends at the head', async (t) => {
  const { store: a } = await tmpStore(t);
  const { store: b } = await tmpStore(t);
  const scores = await fill(a, 200, 'a');
  await fill(b, 20, 'a'); // b already holds the first 20
  const s = { src: a, cursor: 0, fetched: 0 };
  for (let i = 0; i < 50 && !(await round(s, b, new Set(), 32)); i++);
  t.equal(s.fetched, 180);
  t.equal(s.cursor, a.logHead());
  t.same(await b.hasMany(scores.map((x) => Buffer.from(x.slice(3), 'hex'))), scores.map(() => true));
});

t.test('an interrupted receiver resumes from its saved cursor and fetches at most one page again', async (t) => {
  const { store: a } = await tmpStore(t);
  await fill(a, 100, 'a');
  const dir = await tmpDir(t);
  let b = await BlockStore.open(dir);
  const saved = { epoch: a.epoch, pos: 0 };
  const s = { src: a, cursor: 0, fetched: 0 };
  for (let i = 0; i < 3; i++) { await round(s, b, new Set(), 16); saved.pos = s.cursor; }
  // Killed mid-page: blocks of the fourth page were stored but the cursor was not saved.
  const page = await a.entriesSince(saved.pos, { limit: 16 });
  for (const e of page.entries.slice(0, 5)) await b.put(e.type, (await a.getBlock(e.score)).data);
  await b.close();
  b = await BlockStore.open(dir);
  t.teardown(() => b.close());
  t.equal(cursorCheck(saved, { epoch: a.epoch, head: a.logHead() }), 'resume');
  const resumed = { src: a, cursor: resumeFrom(saved, { epoch: a.epoch, head: a.logHead() }), fetched: 0 };
  for (let i = 0; i < 50 && !(await round(resumed, b, new Set(), 16)); i++);
  t.equal(s.fetched + 5 + resumed.fetched, 100, 'no block fetched twice (the 5 synced at close are held)');
  t.ok(resumed.fetched <= 100 - 48, `fetched ${resumed.fetched} after the restart`);
  t.equal(resumed.cursor, a.logHead());
});

t.test('in a mesh a block two peers list is fetched once, and both cursors reach their heads', async (t) => {
  const { store: a } = await tmpStore(t);
  const { store: c } = await tmpStore(t);
  const { store: b } = await tmpStore(t);
  const shared = await fill(a, 60, 'shared');
  await fill(c, 60, 'shared');
  const own = await fill(c, 10, 'c only');
  const inFlight = new Set<string>();
  const fromA = { src: a, cursor: 0, fetched: 0 };
  const fromC = { src: c, cursor: 0, fetched: 0 };
  let doneA = false;
  let doneC = false;
  for (let i = 0; i < 50 && !(doneA && doneC); i++) {
    // C's page is planned while A's requests are in flight, as with two live sessions.
    doneA = await round(fromA, b, inFlight, 20, async () => { doneC = await round(fromC, b, inFlight, 20); });
  }
  t.ok(doneA && doneC);
  t.equal(fromA.fetched + fromC.fetched, 70, 'each block once');
  t.equal(fromC.fetched, 10, 'C served only what A was not already serving');
  t.equal(fromC.cursor, c.logHead());
  t.equal(fromA.cursor, a.logHead());
  t.same(await b.hasMany([...shared, ...own].map((x) => Buffer.from(x.slice(3), 'hex'))), [...shared, ...own].map(() => true));
});

t.test('a peer whose store was replaced is rescanned from zero', async (t) => {
  const dir = await tmpDir(t);
  let a = await BlockStore.open(dir);
  await fill(a, 10, 'old');
  const saved = { epoch: a.epoch, pos: a.logHead() };
  await a.close();
  const { rm } = await import('node:fs/promises');
  await rm(`${dir}/arenas`, { recursive: true });
  await rm(`${dir}/index`, { recursive: true });
  a = await BlockStore.open(dir);
  t.teardown(() => a.close());
  await fill(a, 30, 'new'); // the new log is already longer than the old cursor
  t.ok(a.logHead() > saved.pos);
  t.equal(cursorCheck(saved, { epoch: a.epoch, head: a.logHead() }), 'rescan-from-zero');
});
