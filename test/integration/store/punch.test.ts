// Freeing garbage in place (punchArena) on a real store on a real filesystem: the holes give
// the disk back, live blocks stay where they were and read back, dead ones are gone, and
// every walk of the log (verify, reopen, reindex, entriesSince, iterate, compaction) steps
// over the freed ranges. Also: a racing put, a damaged freed-ranges file, no fallocate.
import { randomBytes } from 'node:crypto';
import { access, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { collectGarbage } from '../../../appliance/gc/index.js';
import { MemoryLog } from '../../../appliance/log.js';
import { freedFileName, MIN_PUNCH_BYTES } from '../../../appliance/store/freed.js';
import { BlockStore, type Score } from '../../../appliance/store/index.js';
import { tmpDir } from '../../helpers/tmp.js';

// compress 'off': the tests reason about which records sit where in an arena.
const opts = { arenaBytes: 4 << 20, maxBlockBytes: 64 << 10, cacheBytes: 0, compress: 'off' as const };
const key = (s: Score) => s.toString('hex');

/** Blocks by fate; `tail` holds those in the active arena, which is never freed. */
interface Filled { store: BlockStore; dir: string; live: Map<string, Buffer>; dead: Map<string, Buffer>; small: Map<string, Buffer>; tail: Map<string, Buffer> }

/**
 * Three sealed arenas or more of 64 KiB blocks: in each cycle of 16, blocks 0-3 are live,
 * 4-11 dead (a 512 KiB run, worth a hole), 12 live, 13 dead alone (too small to punch), 14-15 live.
 */
async function filled(t: Test): Promise<Filled> {
  const dir = await tmpDir(t);
  const store = await BlockStore.open(dir, opts);
  t.teardown(() => store.close().catch(() => {}));
  const live = new Map<string, Buffer>();
  const dead = new Map<string, Buffer>();
  const small = new Map<string, Buffer>();
  for (let i = 0; (await store.stats()).arenas < 4; i++) {
    const data = randomBytes(64 << 10);
    const s = await store.put(1, data);
    const c = i % 16;
    (c >= 4 && c <= 11 ? dead : c === 13 ? small : live).set(key(s), data);
  }
  await store.sync();
  const tail = new Map<string, Buffer>();
  const active = (await store.stats()).arenas - 1;
  for await (const e of store.indexEntries()) {
    if (e.arena !== active) continue;
    const k = key(e.score);
    for (const m of [live, dead, small]) if (m.has(k)) { tail.set(k, m.get(k)!); m.delete(k); }
  }
  return { store, dir, live, dead, small, tail };
}

const liveIn = (live: Map<string, Buffer>) => (s: Score) => live.has(key(s));

async function readsBack(t: Test, store: BlockStore, f: Filled, what: string): Promise<void> {
  let bad = 0;
  for (const [k, data] of f.live) if (!(await store.get(Buffer.from(k, 'hex')).catch(() => Buffer.alloc(0))).equals(data)) bad++;
  t.equal(bad, 0, `${what}: every live block reads back`);
  let found = 0;
  for (const k of [...f.dead.keys(), ...f.small.keys()]) if (await store.has(Buffer.from(k, 'hex'))) found++;
  t.equal(found, 0, `${what}: no dead block is found`);
}

async function punchAll(store: BlockStore, isLive: (s: Score) => boolean) {
  return store.punchArenas((await store.arenaFiles()).filter((a) => a.sealed).map((a) => a.number), isLive);
}

t.test('holes free the dead runs in place; live blocks stay and read back; verify is clean', async (t) => {
  const f = await filled(t);
  const { store, dir } = f;
  const before = await store.arenaUsage();
  const statsBefore = await store.stats();
  const results = await punchAll(store, liveIn(f.live));
  const after = await store.arenaUsage();
  const sealed = before.filter((a) => a.sealed).length;
  t.equal(results.length, sealed);
  t.same(after.map((a) => a.number), before.map((a) => a.number), 'no arena was deleted');
  t.same(after.map((a) => a.fileBytes), before.map((a) => a.fileBytes), 'the files keep their size');
  const freed = results.reduce((n, r) => n + r.freedBytes, 0);
  const deadBytes = f.dead.size * (64 << 10);
  t.ok(freed >= deadBytes * 0.8 && freed <= deadBytes + (f.small.size << 16), `the holes gave back ${freed} bytes of ${deadBytes} in dead runs (single dead blocks are not punched)`);
  t.ok(results.every((r) => r.holes > 0 && r.ranges >= r.holes), 'every sealed arena got holes and recorded its ranges');
  for (const [i, a] of after.entries()) {
    if (!a.sealed) continue;
    t.ok(a.diskBytes < before[i]!.diskBytes - MIN_PUNCH_BYTES, `arena ${a.number} takes less disk: ${before[i]!.diskBytes} → ${a.diskBytes}`);
    await access(join(dir, 'arenas', freedFileName(a.number)));
  }
  const statsAfter = await store.stats();
  t.ok(statsAfter.diskBytes <= statsBefore.diskBytes - freed * 0.9, `stats().diskBytes follows: ${statsBefore.diskBytes} → ${statsAfter.diskBytes}`);
  await readsBack(t, store, f, 'after the holes');
  const report = await store.verify();
  t.same({ ok: report.ok, unindexed: report.unindexed, damaged: report.damaged, dangling: report.dangling }, { ok: true, unindexed: 0, damaged: [], dangling: [] }, 'verify walks over the freed ranges and finds nothing amiss');
  t.equal(report.records, f.live.size + f.tail.size, 'verify saw the live records (and the active arena) only');

  // The log walks: replication reads every live entry once, in order, and nothing else.
  const seen: string[] = [];
  for (let pos = 0, head = store.logHead(); pos < head;) {
    const page = await store.entriesSince(pos, { limit: 100 });
    seen.push(...page.entries.map((e) => key(e.score)));
    pos = page.next;
  }
  t.same(new Set(seen), new Set([...f.live.keys(), ...f.tail.keys()]), 'entriesSince yields exactly the live blocks (and the active arena)');
  t.equal(seen.length, f.live.size + f.tail.size, 'each once');

  // A second run finds nothing new and frees nothing more.
  const again = await punchAll(store, liveIn(f.live));
  t.same(again.map((r) => r.droppedBlocks), again.map(() => 0), 'nothing is dropped twice');
  t.ok(again.every((r) => r.freedBytes < 64 << 10), 'and nothing more is freed');
});

t.test('a cursor on a record that was freed goes on after its range', async (t) => {
  const f = await filled(t);
  const { store } = f;
  const first = await store.entriesSince(0, { limit: 65536 });
  const deadEntry = first.entries.find((e) => f.dead.has(key(e.score)))!;
  const liveEntry = first.entries.find((e) => f.live.has(key(e.score)))!;
  const liveAfter = first.entries.filter((e) => e.pos > deadEntry.pos && f.live.has(key(e.score))).map((e) => key(e.score));
  await punchAll(store, liveIn(f.live));
  const page = await store.entriesSince(deadEntry.pos, { limit: 65536 });
  const keys = page.entries.map((e) => key(e.score));
  t.same(keys.slice(0, liveAfter.length), liveAfter, 'the walk resumes at the next live record');
  await t.rejects(store.entriesSince(liveEntry.pos + 1), { code: 'COLONY_INVALID' }, 'a position inside a record that was not freed is still refused');
});

t.test('reopen and reindex walk over the holes', async (t) => {
  const f = await filled(t);
  await punchAll(f.store, liveIn(f.live));
  await f.store.close();
  const reopened = await BlockStore.open(f.dir, opts);
  await readsBack(t, reopened, f, 'reopened');
  await reopened.close();
  const rebuilt = await BlockStore.reindex(f.dir, opts);
  t.teardown(() => rebuilt.close().catch(() => {}));
  await readsBack(t, rebuilt, f, 'reindexed');
  t.equal((await rebuilt.stats()).blocks, f.live.size + f.tail.size, 'the rebuilt index holds the live blocks (and the active arena) only');
  const report = await rebuilt.verify();
  t.same({ ok: report.ok, damaged: report.damaged }, { ok: true, damaged: [] }, 'and verifies');
  let iterated = 0;
  for await (const b of rebuilt.iterate()) if (f.live.has(key(b.score))) iterated++;
  t.equal(iterated, f.live.size, 'iterate yields every live block');
});

t.test('compacting a punched arena moves the live blocks and deletes the arena and its ranges', async (t) => {
  const f = await filled(t);
  await punchAll(f.store, liveIn(f.live));
  const r = await f.store.compactArena(0, liveIn(f.live), { bytesPerSecond: Number.POSITIVE_INFINITY });
  t.ok(r.movedBlocks > 0 && r.droppedBlocks === 0, `moved ${r.movedBlocks}, dropped ${r.droppedBlocks}`);
  await t.rejects(access(join(f.dir, 'arenas', freedFileName(0))), { code: 'ENOENT' }, 'the freed-ranges file went with the arena');
  await readsBack(t, f.store, f, 'after compaction');
});

t.test('puts racing the decisions: one before is kept (the collection saw it), one after is written again', async (t) => {
  const f = await filled(t);
  const dead0: Score[] = [];
  for await (const e of f.store.indexEntries()) if (e.arena === 0 && f.dead.has(key(e.score))) dead0.push(e.score);
  const [early, late] = [dead0[0]!, dead0.at(-1)!];
  const gc = f.store.beginCollection();
  t.same(await f.store.put(1, f.dead.get(key(early))!), early, 'a dedup hit before the run');
  const racing: Array<Promise<Score>> = [];
  let calls = 0;
  // isLive runs inside the write lock: a put started from it queues behind the decision.
  const isLive = (s: Score) => {
    if (++calls === 3) racing.push(f.store.put(1, f.dead.get(key(late))!));
    return f.live.has(key(s));
  };
  await f.store.punchArenas([0], isLive);
  gc.end();
  t.equal(racing.length, 1, 'the racing put ran');
  t.same(await racing[0], late);
  await f.store.sync();
  t.same(await f.store.get(early), f.dead.get(key(early)), 'the block put before the run was kept');
  t.same(await f.store.get(late), f.dead.get(key(late)), 'the block put during the run reads back');
  await f.store.close();
  const again = await BlockStore.open(f.dir, opts);
  t.teardown(() => again.close());
  t.same(await again.get(late), f.dead.get(key(late)), 'and after reopen');
  t.same((await again.verify()).dangling, [], 'no index entry points into a hole');
});

t.test('a damaged freed-ranges file stops the open with a clear error', async (t) => {
  const f = await filled(t);
  await punchAll(f.store, liveIn(f.live));
  await f.store.close();
  const file = join(f.dir, 'arenas', freedFileName(0));
  await writeFile(file, (await readFile(file, 'utf8')).slice(0, 20));
  await t.rejects(BlockStore.open(f.dir, opts), { code: 'COLONY_CORRUPT_DATA', message: /freed ranges; the store cannot walk that arena without it/ });
});

t.test('without fallocate, freeing in place is COLONY_UNSUPPORTED and gc compacts instead', async (t) => {
  const f = await filled(t);
  const empty = join(await tmpDir(t), 'bin');
  await mkdir(empty);
  const path = process.env.PATH;
  process.env.PATH = empty;
  t.teardown(() => { process.env.PATH = path; });
  await t.rejects(f.store.punchArenas([0], liveIn(f.live)), { code: 'COLONY_UNSUPPORTED', message: /install the util-linux package/ });
  const log = new MemoryLog();
  const report = await collectGarbage({ store: f.store, log, bytesPerSecond: Number.POSITIVE_INFINITY, roots: async () => ({ roots: [], scores: [...f.live.keys()].map((k) => Buffer.from(k, 'hex')) }) });
  process.env.PATH = path;
  t.ok(report.copied.length > 0 && report.writtenBytes > 0, `gc copied arenas ${report.copied} instead (${report.writtenBytes} bytes)`);
  t.ok(log.lines.some((l) => /cannot free arenas in place/.test(l.msg)), 'and said why');
  await readsBack(t, f.store, f, 'after gc');
  t.same((await f.store.verify()).ok, true);
  await rm(empty, { recursive: true });
});
