// The store's replication primitives: the epoch id, the durable head, index entries read
// from the log, append notifications after sync, and verified puts.
import { randomBytes } from 'node:crypto';
import { readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { Arena } from '../../../appliance/store/arena.js';
import { BlockStore, formatScore, loadHash, type AppendEvent, type LogEntry } from '../../../appliance/store/index.js';
import { RECORD_HEADER_BYTES } from '../../../appliance/store/record.js';
import { tmpDir, tmpStore } from '../../helpers/tmp.js';

const hex = (e: { score: Buffer }) => formatScore(e.score);

/** Every entry from `from`, page by page; also counts the pages. */
async function readAll(store: BlockStore, from = 0, limit = 1000): Promise<{ entries: LogEntry[]; pages: number }> {
  const entries: LogEntry[] = [];
  let pos = from;
  for (let pages = 1; pages < 10_000; pages++) {
    const page = await store.entriesSince(pos, { limit });
    entries.push(...page.entries);
    if (page.next === page.head) return { entries, pages };
    if (page.next <= pos) throw new Error(`a page did not move forward from ${pos}`);
    pos = page.next;
  }
  throw new Error('the log did not end');
}

t.test('the epoch id is made with the store, kept on reopen and reindex, and new for a replaced log', async (t) => {
  const dir = await tmpDir(t);
  let store = await BlockStore.open(dir);
  const epoch = store.epoch;
  t.match(epoch, /^[0-9a-f]{32}$/);
  await store.put(1, Buffer.from('a block'));
  await store.close();
  store = await BlockStore.open(dir);
  t.equal(store.epoch, epoch, 'kept on reopen');
  await store.close();
  store = await BlockStore.reindex(dir);
  t.equal(store.epoch, epoch, 'kept by reindex: the log and its positions are the same');
  await store.close();

  // A store from before epochs: it gets one on first open, and keeps it.
  await rm(join(dir, 'epoch'));
  store = await BlockStore.open(dir);
  const given = store.epoch;
  t.not(given, epoch);
  await store.close();
  store = await BlockStore.open(dir);
  t.equal(store.epoch, given);
  await store.close();

  // The arenas replaced by a new log, with the old epoch file left behind.
  const other = await tmpDir(t);
  const fresh = await BlockStore.open(other);
  await fresh.close();
  await rm(join(other, 'epoch'));
  await writeFile(join(other, 'epoch'), await readFile(join(dir, 'epoch')));
  store = await BlockStore.open(other);
  t.not(store.epoch, given, 'another log never takes the epoch of the file left beside it');
  await store.close();
});

t.test('a log cut below its checkpoint gets a new epoch: its positions will be reused', async (t) => {
  const dir = await tmpDir(t);
  let store = await BlockStore.open(dir, { compress: 'off' }); // the test cuts the log at raw record offsets
  for (let i = 0; i < 10; i++) await store.put(1, Buffer.alloc(1000, i));
  await store.sync();
  const epoch = store.epoch;
  await store.close();
  const arena = join(dir, 'arenas', 'arena-000000.dat');
  await truncate(arena, (await stat(arena)).size - 1500);
  store = await BlockStore.open(dir);
  t.teardown(() => store.close());
  t.not(store.epoch, epoch);
  t.equal((await readAll(store)).entries.length, 8);
});

t.test('logHead is the durable head: a put does not move it, a sync does', async (t) => {
  const { store } = await tmpStore(t);
  const h0 = store.logHead();
  await store.put(1, Buffer.from('one'));
  t.equal(store.logHead(), h0, 'not before the sync');
  await store.sync();
  const h1 = store.logHead();
  t.equal(h1, (await store.stats()).durablePosition);
  t.ok(h1 > h0);
});

t.test('entriesSince pages through the durable log in order, across arenas', async (t) => {
  const { store } = await tmpStore(t, { arenaBytes: 4 << 20, compress: 'off' }); // filled blocks must fill arenas
  const blocks = Array.from({ length: 90 }, (_, i) => Buffer.alloc(100_000 + i, i));
  const scores = [];
  for (const [i, b] of blocks.entries()) scores.push(await store.put(i % 3, b));
  await store.put(1, scores[0]!); // a small block too
  await store.put(1, blocks[5]!); // a duplicate: not stored again, not an entry again
  await store.sync();
  const late = await store.put(1, Buffer.from('not synced'));
  const { stats } = { stats: await store.stats() };
  t.ok(stats.arenas >= 3, `${stats.arenas} arenas`);

  const all = (await readAll(store, 0, 1000)).entries;
  const paged = await readAll(store, 0, 7);
  t.same(paged.entries.map(hex), all.map(hex), 'pages of 7 give the same entries');
  t.ok(paged.pages >= 13);
  const iterated = [];
  for await (const b of store.iterate()) iterated.push({ pos: b.pos, score: b.score, type: b.type, size: b.data.length });
  t.same(all.map(({ pos, score, type, size }) => ({ pos, score, type, size })), iterated, 'the same records iterate walks');
  t.equal(all.length, 91);
  t.same(all.slice(0, 90).map((e) => [e.type, e.size]), blocks.map((b, i) => [i % 3, b.length]));
  t.notOk(all.some((e) => e.score.equals(late)), 'nothing past the durable head');
  for (const [i, e] of all.entries()) {
    t.equal(e.end, e.pos + RECORD_HEADER_BYTES + e.size);
    if (i > 0) t.ok(e.pos >= all[i - 1]!.end);
  }
  // Every entry's pos and end is a position to resume from.
  for (const i of [0, 1, 30, 44, 45, 89, 90]) {
    t.same((await readAll(store, all[i]!.pos)).entries.map(hex), all.slice(i).map(hex));
    t.same((await readAll(store, all[i]!.end)).entries.map(hex), all.slice(i + 1).map(hex));
  }
  const head = store.logHead();
  t.same(await store.entriesSince(head), { entries: [], next: head, head });
});

t.test('a position inside a record, a header or past the head is COLONY_INVALID', async (t) => {
  const { store } = await tmpStore(t);
  // Data that holds a well-formed record of its own must not pass for a record start.
  const inner = Buffer.from('inner block');
  const { hash } = await loadHash();
  const nested = Buffer.concat([Buffer.alloc(8), (await import('../../../appliance/store/record.js')).encodeRecordHeader(1, inner.length, hash(inner)), inner]);
  await store.put(1, Buffer.from('first'));
  await store.put(1, nested);
  await store.put(1, Buffer.from('last'));
  await store.sync();
  const { entries } = await store.entriesSince(0);
  t.equal(entries.length, 3);
  const n = entries[1]!;
  await t.rejects(store.entriesSince(n.pos + 1), { code: 'COLONY_INVALID', message: /not the start of a record/ });
  await t.rejects(store.entriesSince(n.pos + RECORD_HEADER_BYTES + 8), { code: 'COLONY_INVALID', message: /not the start of a record/ }, 'the record nested in the data');
  await t.rejects(store.entriesSince(10), { code: 'COLONY_INVALID', message: /header/ });
  await t.rejects(store.entriesSince(store.logHead() + 1), { code: 'COLONY_INVALID', message: /beyond the durable head/ });
  await t.rejects(store.entriesSince(-1), { code: 'COLONY_INVALID' });
  await t.rejects(store.entriesSince(0, { limit: 0 }), { code: 'COLONY_INVALID' });
  await t.rejects(store.entriesSince(2 ** 40), { code: 'COLONY_INVALID' });
});

t.test('entriesSince near the head reads only the tail of the log', async (t) => {
  const { store } = await tmpStore(t, { arenaBytes: 64 << 20, compress: 'off' });
  for (let i = 0; i < 300; i++) await store.put(1, randomBytes(256 << 10)); // 75 MiB, two arenas
  await store.sync();
  const mark = store.logHead();
  const tail = [];
  for (let i = 0; i < 5; i++) tail.push(await store.put(2, randomBytes(64 << 10)));
  await store.sync();
  const read = Arena.prototype.read;
  let bytes = 0;
  Arena.prototype.read = function (offset: number, length: number) { bytes += length; return read.call(this, offset, length); };
  t.teardown(() => { Arena.prototype.read = read; });
  const page = await store.entriesSince(mark);
  t.same(page.entries.map(hex), tail.map(formatScore));
  t.ok(bytes <= 5 * 16 * 1024 + 1024, `read ${bytes} bytes for 5 entries after a 75 MiB log`);
  bytes = 0;
  await store.entriesSince(page.entries[2]!.pos); // a position that must prove it is a record start
  t.ok(bytes <= 3 * 16 * 1024 + 100_000, `read ${bytes} bytes from a mid-log cursor`);
});

t.test('onAppend fires after each sync that moved the head, never after a put alone', async (t) => {
  const { store } = await tmpStore(t, { autoSyncBytes: 300_000, compress: 'off' }); // the automatic sync counts raw bytes
  const events: AppendEvent[] = [];
  const reads: Array<Promise<string[]>> = [];
  const off = store.onAppend((e) => {
    events.push(e);
    t.equal(store.logHead(), e.head, 'the head is already visible to the listener');
    reads.push(store.entriesSince(e.from).then((p) => p.entries.map(hex)));
  });
  store.onAppend(() => { throw new Error('a careless listener'); });
  const a = await store.put(1, Buffer.from('a'));
  t.equal(events.length, 0, 'a put alone does not notify');
  await store.sync();
  t.equal(events.length, 1);
  await store.sync();
  t.equal(events.length, 1, 'a sync with nothing new does not notify');
  const big = [];
  for (let i = 0; i < 4; i++) big.push(await store.put(1, Buffer.alloc(100_000, i))); // the 3rd put syncs on its own
  t.equal(events.length, 2, 'the automatic sync notifies');
  await store.sync();
  t.equal(events.length, 3);
  t.same(events.map((e) => e.from).slice(1), events.map((e) => e.head).slice(0, -1), 'each event starts where the last ended');
  t.same(await Promise.all(reads), [[formatScore(a)], big.slice(0, 3).map(formatScore), [formatScore(big[3]!)]]);
  off();
  await store.put(1, Buffer.from('b'));
  await store.sync();
  t.equal(events.length, 3, 'unsubscribed');
});

t.test('putVerified stores bytes that hash to the expected score and refuses others', async (t) => {
  const { store } = await tmpStore(t);
  const { hash } = await loadHash();
  const good = Buffer.from('the real block');
  t.same(await store.putVerified(3, good, hash(good)), hash(good));
  t.same(await store.getBlock(hash(good)), { type: 3, data: good });
  const claimed = hash(Buffer.from('what the peer said it was'));
  await t.rejects(store.putVerified(3, Buffer.from('a lie'), claimed), { code: 'COLONY_CORRUPT_BLOCK' });
  t.equal(await store.has(claimed), false);
  t.equal(await store.has(hash(Buffer.from('a lie'))), false, 'the lying bytes are not stored under their own score either');
  t.equal((await store.stats()).blocks, 1);
  await t.rejects(store.putVerified(3, good, Buffer.alloc(5)), { code: 'COLONY_INVALID' });
});

t.test('a reader following onAppend sees every entry once, in order, while puts, syncs and arena rolls go on', async (t) => {
  const { store } = await tmpStore(t, { arenaBytes: 4 << 20, autoSyncBytes: 1 << 20, compress: 'off' });
  const got: string[] = [];
  let cursor = 0;
  let head = 0;
  let reading: Promise<void> | undefined;
  const follow = async () => {
    for (let i = 0; i < 10_000 && cursor < head; i++) {
      const page = await store.entriesSince(cursor, { limit: 5 });
      got.push(...page.entries.map(hex));
      cursor = page.next;
    }
  };
  store.onAppend((e) => { head = e.head; reading ??= follow().finally(() => { reading = undefined; }); });
  const put: string[] = [];
  for (let i = 0; i < 400; i++) {
    put.push(formatScore(await store.put(1, Buffer.alloc(30_000, i % 256).fill(i >> 8, 0, 1))));
    if (i % 37 === 0) await store.sync();
  }
  await store.sync();
  for (let i = 0; i < 100 && (reading || cursor < head); i++) await (reading ?? follow());
  t.ok((await store.stats()).arenas >= 3);
  t.equal(cursor, store.logHead());
  t.same(got, put);
});
