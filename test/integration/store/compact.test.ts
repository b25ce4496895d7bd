// Compaction against a real store: what it keeps and drops, its atomicity with racing puts
// and gets, the log walks over gaps in arena numbers, the epoch, reopen and reindex.
import { randomBytes } from 'node:crypto';
import { access, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { isColonyError } from '../../../appliance/errors.js';
import { Arena, arenaFileName } from '../../../appliance/store/arena.js';
import { BlockStore, arenaOf, formatScore, type Score } from '../../../appliance/store/index.js';
import { tmpDir } from '../../helpers/tmp.js';

const opts = { arenaBytes: 1 << 20, maxBlockBytes: 64 << 10, cacheBytes: 0, writeBufferBytes: 128 << 10 };
const fast = { bytesPerSecond: Number.POSITIVE_INFINITY };
const key = (s: Score) => s.toString('hex');

interface Filled { store: BlockStore; dir: string; live: Map<string, Buffer>; dead: Map<string, Buffer> }

/** A store with three sealed arenas or more, every third block live. */
async function filled(t: Test, extra: Partial<typeof opts> = {}): Promise<Filled> {
  const dir = await tmpDir(t);
  const store = await BlockStore.open(dir, { ...opts, ...extra });
  t.teardown(() => store.close().catch(() => {}));
  const live = new Map<string, Buffer>();
  const dead = new Map<string, Buffer>();
  for (let i = 0; (await store.stats()).arenas < 4; i++) {
    const data = randomBytes(8000 + (i % 7) * 1000);
    const s = await store.put(1, data);
    (i % 3 === 0 ? live : dead).set(key(s), data);
  }
  await store.sync();
  return { store, dir, live, dead };
}

const isLiveIn = (live: Map<string, Buffer>) => (s: Score) => live.has(key(s));

async function checkStore(t: Test, store: BlockStore, live: Map<string, Buffer>, what: string): Promise<void> {
  let bad = 0;
  for (const [k, data] of live) if (!(await store.get(Buffer.from(k, 'hex'))).equals(data)) bad++;
  t.equal(bad, 0, `${what}: every live block reads back`);
  const arenas = new Set((await store.arenaUsage()).map((a) => a.number));
  let dangling = 0;
  for await (const e of store.indexEntries()) if (!arenas.has(e.arena)) dangling++;
  t.equal(dangling, 0, `${what}: no index entry names a missing arena`);
}

t.test('compacting a sealed arena keeps the live blocks, drops the dead and deletes the file', async (t) => {
  const { store, dir, live, dead } = await filled(t);
  const before = await store.arenaUsage();
  t.same(before.map((a) => a.sealed), before.map((_, i) => i < before.length - 1), 'every arena but the last is sealed');
  const a0 = before[0]!;
  t.ok(a0.indexedBlocks > 0 && a0.indexedBytes > a0.indexedBlocks * 44, 'arena 0 holds indexed records');
  const stats0 = await store.stats();
  const inArena0 = new Set<string>();
  for await (const e of store.indexEntries()) if (e.arena === 0) inArena0.add(key(e.score));
  t.equal(inArena0.size, a0.indexedBlocks);

  const r = await store.compactArena(0, isLiveIn(live), fast);
  const liveIn0 = [...inArena0].filter((k) => live.has(k)).length;
  t.equal(r.movedBlocks, liveIn0, 'the live blocks of arena 0 moved');
  t.equal(r.droppedBlocks, inArena0.size - liveIn0, 'the rest were dropped');
  t.equal(r.movedBytes + r.droppedBytes, a0.indexedBytes, 'byte counts add up to what the index held there');
  t.equal(r.freedBytes, a0.fileBytes);
  await t.rejects(access(join(dir, 'arenas', arenaFileName(0))), 'the file is gone');
  const after = await store.arenaUsage();
  t.notOk(after.some((a) => a.number === 0), 'arena 0 is no longer listed');
  const st = await store.stats();
  t.equal(st.blocks, stats0.blocks - r.droppedBlocks, 'stats count the dropped blocks out');
  let kept = 0;
  for (const k of inArena0) if (dead.has(k) && (await store.has(Buffer.from(k, 'hex')))) kept++;
  t.equal(kept, 0, 'no dead block of arena 0 is still stored');
  await t.rejects(store.get(Buffer.from([...inArena0].find((k) => dead.has(k))!, 'hex')), { code: 'COLONY_NOT_FOUND' });
  await checkStore(t, store, live, 'after compaction');
  t.equal((await store.verify()).ok, true, 'verify finds nothing wrong');

  // Two more, then reopen and reindex: gaps in arena numbers are normal.
  await store.compactArena(2, isLiveIn(live), fast);
  await store.compactArena(1, isLiveIn(live), fast);
  const epoch = store.epoch;
  await store.close();
  let again = await BlockStore.open(dir, opts);
  t.equal(again.epoch, epoch, 'reopen keeps the epoch though arena 0 is gone');
  await checkStore(t, again, live, 'after reopen');
  let stored = 0;
  for (const k of [...live.keys(), ...dead.keys()]) if (await again.has(Buffer.from(k, 'hex'))) stored++;
  t.equal((await again.stats()).blocks, stored, 'the block count matches what is stored');
  await again.close();
  again = await BlockStore.reindex(dir, opts);
  t.equal(again.epoch, epoch, 'reindex keeps the epoch');
  await checkStore(t, again, live, 'after reindex');
  t.equal((await again.verify()).ok, true);
  await again.close();
});

t.test('only a sealed arena that exists is compacted', async (t) => {
  const { store } = await filled(t);
  const usage = await store.arenaUsage();
  const active = usage.at(-1)!.number;
  await t.rejects(store.compactArena(active, () => true), { code: 'COLONY_INVALID' }, 'not the active arena');
  await t.rejects(store.compactArena(99, () => true), { code: 'COLONY_INVALID' }, 'not a missing arena');
  await t.rejects(store.compactArena(0, () => true, { bytesPerSecond: 0 }), { code: 'COLONY_INVALID' }, 'not a zero rate');
  await store.compactArena(0, () => true, fast);
  await t.rejects(store.compactArena(0, () => true), { code: 'COLONY_INVALID' }, 'not twice');
});

t.test('an open collection keeps blocks put again and blocks written after it began', async (t) => {
  const { store, live, dead } = await filled(t);
  const inArena = async (n: number) => { const out: Score[] = []; for await (const e of store.indexEntries()) if (e.arena === n) out.push(e.score); return out; };
  const dead0 = (await inArena(0)).filter((s) => dead.has(key(s)));
  const gc = store.beginCollection();
  const touchedScore = dead0[0]!;
  t.equal(gc.touched(touchedScore), false);
  t.same(await store.put(1, dead.get(key(touchedScore))!), touchedScore, 'a dedup hit');
  await store.putVerified(1, dead.get(key(dead0[1]!))!, dead0[1]!);
  t.equal(gc.touched(touchedScore), true, 'the hit is remembered');
  // Written after the collection began, then sealed into an arena of its own.
  const fresh = new Map<string, Buffer>();
  const activeBefore = (await store.arenaUsage()).at(-1)!.number;
  while ((await store.arenaUsage()).at(-1)!.number === activeBefore) {
    const data = randomBytes(9000);
    fresh.set(key(await store.put(1, data)), data);
  }
  const r0 = await store.compactArena(0, isLiveIn(live), fast);
  t.ok(r0.droppedBlocks > 0, 'other dead blocks were dropped');
  t.same(await store.get(touchedScore), dead.get(key(touchedScore)), 'the block put again survived');
  t.ok(await store.has(dead0[1]!), 'the block putVerified again survived');
  t.equal(await store.has(dead0[2]!), false, 'an untouched dead block is gone');
  await store.compactArena(activeBefore, isLiveIn(live), fast);
  let freshLost = 0;
  for (const [k, data] of fresh) if (!(await store.get(Buffer.from(k, 'hex'))).equals(data)) freshLost++;
  t.equal(freshLost, 0, `all ${fresh.size} blocks written after the collection began survive`);
  gc.end();
  t.equal(gc.touched(touchedScore), true, 'what was remembered stays answerable');
  // Without an open collection nothing is kept but the live set.
  const dead1 = (await inArena(1)).filter((s) => dead.has(key(s)));
  await store.put(1, dead.get(key(dead1[0]!))!);
  await store.compactArena(1, isLiveIn(live), fast);
  t.equal(await store.has(dead1[0]!), false, 'after end() a dedup hit no longer protects');
});

t.test('a put of a dropped block during compaction writes it again and it survives', async (t) => {
  const { store, dir, live, dead } = await filled(t);
  const dead0: Score[] = [];
  for await (const e of store.indexEntries()) if (e.arena === 0 && dead.has(key(e.score))) dead0.push(e.score);
  const victim = dead0[0]!;
  const racing: Array<Promise<Score>> = [];
  let calls = 0;
  // isLive runs inside the write lock: a put started from it queues behind the decision.
  const isLive = (s: Score) => {
    calls++;
    if (calls === 5) racing.push(store.put(1, dead.get(key(victim))!));
    return live.has(key(s));
  };
  const gc = store.beginCollection();
  await store.compactArena(0, isLive, fast);
  gc.end();
  t.equal(racing.length, 1, 'the racing put ran');
  t.same(await racing[0], victim);
  t.ok(calls > 5, 'the victim was decided before the put reached the lock');
  t.same(await store.get(victim), dead.get(key(victim)), 'the put block reads back');
  await store.close();
  const again = await BlockStore.open(dir, opts);
  t.teardown(() => again.close());
  t.same(await again.get(victim), dead.get(key(victim)), 'and after reopen');
  await checkStore(t, again, live, 'after reopen');
});

t.test('puts and gets race with slow compactions and all succeed', async (t) => {
  const { store, dir, live, dead } = await filled(t);
  const usage = await store.arenaUsage();
  const liveKeys = [...live.keys()];
  const deadList = [...dead.entries()];
  const reput = new Map<string, Buffer>();
  let stop = false;
  // As a GC does: the collection is open before marking and while it compacts, so a dedup
  // hit before a decision keeps the block, and a put after it writes the block again.
  const gc = store.beginCollection();
  let gets = 0;
  const getter = (async () => {
    for (let i = 0; !stop; i++) {
      const k = liveKeys[i % liveKeys.length]!;
      const got = await store.get(Buffer.from(k, 'hex'));
      if (!got.equals(live.get(k)!)) throw new Error(`wrong bytes for ${k}`);
      gets++;
    }
  })();
  const putter = (async () => {
    for (let i = 0; !stop; i++) {
      const [k, data] = deadList[(i * 7) % deadList.length]!;
      await store.put(1, data);
      reput.set(k, data);
      if (i % 10 === 0) await store.sync();
      await new Promise((r) => setTimeout(r, 1));
    }
  })();
  for (const a of usage.filter((u) => u.sealed)) await store.compactArena(a.number, isLiveIn(live), { bytesPerSecond: 4 << 20 });
  stop = true;
  gc.end();
  await Promise.all([getter, putter]);
  t.ok(gets > 100, `${gets} gets ran alongside`);
  t.ok(reput.size > 10, `${reput.size} dead blocks were put again alongside`);
  let wrong = 0;
  for (const [k, data] of reput) if (!(await store.get(Buffer.from(k, 'hex'))).equals(data)) wrong++;
  t.equal(wrong, 0, 'every racing put reads back');
  await checkStore(t, store, live, 'after the race');
  await store.close();
  const again = await BlockStore.open(dir, opts);
  t.teardown(() => again.close());
  let lost = 0;
  for (const [k, data] of reput) if (!(await again.get(Buffer.from(k, 'hex')).catch(() => Buffer.alloc(0))).equals(data)) lost++;
  t.equal(lost, 0, 'every racing put survives reopen');
  await checkStore(t, again, live, 'after reopen');
});

t.test('the log walks continue across deleted arenas', async (t) => {
  const { store, live } = await filled(t);
  const page0 = await store.entriesSince(0, { limit: 3 });
  const inside = page0.next; // a cursor inside arena 0
  t.equal(arenaOf(inside), 0);
  await store.compactArena(0, isLiveIn(live), fast);
  await store.sync();
  const rest = await store.entriesSince(inside, { limit: 65536 });
  t.ok(rest.entries.length > 0);
  t.equal(arenaOf(rest.entries[0]!.pos), 1, 'the cursor continues at the next existing arena');
  const seen = new Set(rest.entries.map((e) => key(e.score)));
  const missed = [...live.keys()].filter((k) => !seen.has(k) && !page0.entries.some((e) => key(e.score) === k));
  t.same(missed, [], 'every live block is met again past the cursor');
  const fromZero = await store.entriesSince(0, { limit: 65536 });
  t.same(fromZero.entries, rest.entries, 'position 0 starts at the first existing arena');
  const blocks = [];
  for await (const b of store.iterate(inside)) blocks.push(b);
  t.ok(blocks.length > 0 && arenaOf(blocks[0]!.pos) === 1, 'iterate skips the gap too');
  t.ok(blocks.filter((b) => live.has(key(b.score))).length >= live.size - 3);
});

t.test('the epoch survives a crash between naming the next arena and deleting the first', async (t) => {
  const { store, dir } = await filled(t);
  const epoch = store.epoch;
  await store.close();
  const file = JSON.parse(await readFile(join(dir, 'epoch'), 'utf8')) as { epoch: string; firstArena: number; created: number };
  t.equal(file.firstArena, 0);
  const head = await readFile(join(dir, 'arenas', arenaFileName(1)));
  await writeFile(join(dir, 'epoch'), JSON.stringify({ epoch, firstArena: 1, created: head.readDoubleLE(16) }));
  let again = await BlockStore.open(dir, opts);
  t.equal(again.epoch, epoch, 'the file names arena 1, which exists: same log');
  await again.compactArena(0, () => true, fast);
  await again.compactArena(1, () => true, fast);
  await again.close();
  const moved = JSON.parse(await readFile(join(dir, 'epoch'), 'utf8')) as { firstArena: number };
  t.equal(moved.firstArena, 2, 'deleting the named arena names the next one first');
  again = await BlockStore.open(dir, opts);
  t.equal(again.epoch, epoch);
  await again.close();
  await writeFile(join(dir, 'epoch'), JSON.stringify({ epoch, firstArena: 2, created: 12345 }));
  again = await BlockStore.open(dir, opts);
  t.not(again.epoch, epoch, 'an arena with another creation time is another log');
  await again.close();
});

t.test('an abort stops between batches and leaves the arena and every block', async (t) => {
  const { store, dir, live } = await filled(t);
  const ac = new AbortController();
  const run = store.compactArena(0, () => true, { bytesPerSecond: 256 << 10, signal: ac.signal });
  setTimeout(() => ac.abort(), 100);
  await t.rejects(run, { name: 'AbortError' });
  await access(join(dir, 'arenas', arenaFileName(0)));
  t.pass('arena 0 is still there');
  await checkStore(t, store, live, 'after the abort');
  const r = await store.compactArena(0, isLiveIn(live), fast);
  t.ok(r.movedBlocks < (await store.arenaUsage()).length * 1000, 'the next compaction finishes the job');
  await checkStore(t, store, live, 'after finishing');
});

t.test('copying is throttled to bytesPerSecond', async (t) => {
  const { store } = await filled(t);
  const started = Date.now();
  const r = await store.compactArena(0, () => true, { bytesPerSecond: 2 << 20 });
  const ms = Date.now() - started;
  const floor = ((r.movedBytes - (1 << 20)) / (2 << 20)) * 1000; // the last batch may end before its wait
  t.ok(r.movedBytes > 800_000, `${r.movedBytes} bytes moved`);
  t.ok(ms >= floor, `${ms} ms for ${r.movedBytes} bytes at 2 MiB/s (at least ${Math.round(floor)} ms)`);
});

t.test('a live block that is corrupt stops compaction and keeps the arena', async (t) => {
  const { store, dir, live } = await filled(t);
  let victim: { score: Score } | undefined;
  for await (const e of store.indexEntries()) if (e.arena === 0 && live.has(key(e.score))) { victim = e; break; }
  const entries = await store.entriesSince(0, { limit: 65536 });
  const at = entries.entries.find((e) => e.score.equals(victim!.score))!;
  await store.close();
  const path = join(dir, 'arenas', arenaFileName(0));
  const bytes = await readFile(path);
  bytes[at.pos + 44 + 10]! ^= 0xff;
  await writeFile(path, bytes);
  const again = await BlockStore.open(dir, opts);
  t.teardown(() => again.close());
  const err = await again.compactArena(0, isLiveIn(live), fast).catch((e: unknown) => e);
  t.ok(isColonyError(err, 'COLONY_CORRUPT_BLOCK'), String(err));
  t.match(String(err), formatScore(victim!.score).slice(0, 12));
  await access(path);
  t.pass('the arena is kept');
  const r = await again.compactArena(0, (s) => live.has(key(s)) && !s.equals(victim!.score), fast);
  t.ok(r.droppedBlocks >= 1, 'once it is dead, the arena compacts');
});

t.test('a retired arena lets reads in flight finish and refuses later ones', async (t) => {
  const { store, dir } = await filled(t);
  await store.close();
  const arena = await Arena.open(join(dir, 'arenas'), 0, false);
  const inFlight = Array.from({ length: 64 }, (_, i) => arena.read(64 + i * 8192, 8192));
  arena.retire();
  const done = await Promise.allSettled(inFlight);
  t.same(done.filter((r) => r.status === 'rejected'), [], 'the reads already started complete');
  t.equal(arena.removed, true);
  await t.rejects(arena.read(64, 10), { code: 'COLONY_NOT_FOUND' }, 'a later read is told the arena is gone');
  await t.rejects(arena.fileSize(), { code: 'COLONY_NOT_FOUND' });
});
