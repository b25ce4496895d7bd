// Compressed records through the whole store: round trips, old (flags 0) stores, damaged
// streams, torn tails, compaction, replication entries and reindex.
import { randomBytes } from 'node:crypto';
import { open, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { BlockStore, type Score } from '../../../appliance/store/index.js';
import { ARENA_HEADER_BYTES, RECORD_HEADER_BYTES } from '../../../appliance/store/record.js';
import { tmpDir, tmpStore } from '../../helpers/tmp.js';

const MAX = 1 << 20;
const text = (n: number, seed = 0) => Buffer.from(Array.from({ length: Math.ceil(n / 16) + 1 }, (_, i) => `line ${seed}:${i} of some text, `).join('')).subarray(0, n);
const arenaFile = (dir: string, n = 0) => join(dir, 'arenas', `arena-${String(n).padStart(6, '0')}.dat`);

/** Every record of an arena file: offset, flags, stored length. */
async function records(file: string): Promise<Array<{ offset: number; flags: number; length: number }>> {
  const buf = await readFile(file);
  const out = [];
  for (let o = ARENA_HEADER_BYTES; o + RECORD_HEADER_BYTES <= buf.length;) {
    const length = buf.readUInt32LE(o + 8);
    out.push({ offset: o, flags: buf[o + 5]!, length });
    o += RECORD_HEADER_BYTES + length;
  }
  return out;
}

t.test('compressible, incompressible, empty and maximal blocks round-trip; disk holds less than the blocks', async (t) => {
  const { store, dir } = await tmpStore(t);
  const blocks = [text(64 << 10, 1), randomBytes(64 << 10), Buffer.alloc(0), text(MAX, 2), randomBytes(MAX), Buffer.from('abc'.repeat(300)), Buffer.from('tiny')];
  const scores: Score[] = [];
  for (const b of blocks) scores.push(await store.put(2, b));
  for (const [i, s] of scores.entries()) t.same(await store.get(s), blocks[i], `block ${i} from the write buffer`);
  await store.sync();
  let st = await store.stats();
  const logical = blocks.reduce((n, b) => n + b.length, 0);
  t.equal(st.bytes, logical, 'stats().bytes is the logical size');
  const incompressible = (64 << 10) + MAX;
  t.ok(st.diskBytes - incompressible < (logical - incompressible) / 4, `disk ${st.diskBytes}, logical ${logical}`);
  t.equal(st.compression, 'deflate-raw');
  await store.close();
  const flags = (await records(arenaFile(dir))).map((r) => r.flags);
  t.same(flags, [0x10, 0, 0, 0x10, 0, 0x10, 0], 'only the blocks that shrink are compressed');

  const again = await BlockStore.open(dir);
  t.teardown(() => again.close());
  for (const [i, s] of scores.entries()) t.same(await again.get(s), blocks[i], `block ${i} from disk`);
  st = await again.stats();
  t.equal(st.bytes, logical);
  const report = await again.verify();
  t.ok(report.ok);
  t.equal(report.bytes, logical, 'verify counts logical bytes');
  const seen = new Map<string, Buffer>();
  for await (const b of again.iterate()) seen.set(b.score.toString('hex'), b.data);
  for (const [i, s] of scores.entries()) t.same(seen.get(s.toString('hex')), blocks[i], `iterate gives block ${i} uncompressed`);
  const page = await again.entriesSince(0);
  t.same(page.entries.map((e) => e.size), blocks.map((b) => b.length), 'log entries carry logical sizes');
  const stored = page.entries.map((e) => e.end - e.pos - RECORD_HEADER_BYTES);
  t.ok(stored[0]! < blocks[0]!.length / 4, 'and span the stored record');
  const peerBlock = text(200_000, 9);
  const other = await (await import('../../../appliance/store/index.js')).loadHash();
  t.same(await again.get(await again.putVerified(4, peerBlock, other.hash(peerBlock))), peerBlock, 'putVerified stores and reads a compressed block');
  for await (const e of again.indexEntries()) if (e.score.equals(scores[3]!)) t.ok(e.bytes < MAX / 4, 'indexEntries counts stored bytes (what GC frees)');
});

t.test("compress: 'off' writes v1 records; a v1 store opens and reads unchanged, then takes compressed blocks beside them", async (t) => {
  const dir = await tmpDir(t);
  const old = await BlockStore.open(dir, { compress: 'off' });
  const oldBlocks = [text(64 << 10, 4), randomBytes(1000), text(MAX, 5)];
  const oldScores = [];
  for (const b of oldBlocks) oldScores.push(await old.put(1, b));
  t.equal((await old.stats()).compression, 'none');
  await old.close();
  t.same((await records(arenaFile(dir))).map((r) => r.flags), [0, 0, 0], 'the old code path: flags 0, data as is');
  const sizeBefore = (await stat(arenaFile(dir))).size;
  t.equal(sizeBefore, ARENA_HEADER_BYTES + oldBlocks.reduce((n, b) => n + RECORD_HEADER_BYTES + b.length, 0));

  let store = await BlockStore.open(dir);
  for (const [i, s] of oldScores.entries()) t.same(await store.get(s), oldBlocks[i], `old block ${i}`);
  const fresh = text(64 << 10, 6);
  const freshScore = await store.put(1, fresh);
  t.same(await store.put(1, oldBlocks[0]!), oldScores[0], 'an old block is a dedup hit, not rewritten compressed');
  await store.close();
  t.same((await records(arenaFile(dir))).map((r) => r.flags), [0, 0, 0, 0x10]);

  store = await BlockStore.reindex(dir);
  t.teardown(() => store.close());
  t.ok((await store.verify()).ok);
  t.equal((await store.stats()).bytes, oldBlocks.reduce((n, b) => n + b.length, 0) + fresh.length, 'reindex counts logical bytes');
  for (const [i, s] of oldScores.entries()) t.same(await store.get(s), oldBlocks[i]);
  t.same(await store.get(freshScore), fresh);
});

t.test('a damaged compressed record is COLONY_CORRUPT_BLOCK, in get, verify and after recovery', async (t) => {
  const dir = await tmpDir(t);
  let store = await BlockStore.open(dir);
  const a = text(64 << 10, 7), b = text(64 << 10, 8), c = text(64 << 10, 10);
  const [sa, sb, sc] = [await store.put(1, a), await store.put(1, b), await store.put(1, c)];
  await store.close();
  const recs = await records(arenaFile(dir));
  t.equal(recs[0]!.flags, 0x10);
  const fh = await open(arenaFile(dir), 'r+');
  // a: garbage in the middle of the deflate stream; b: a prefix naming a size over the limit.
  await fh.write(Buffer.alloc(64, 0xa5), 0, 64, recs[0]!.offset + RECORD_HEADER_BYTES + 4 + (recs[0]!.length >> 1));
  const huge = Buffer.alloc(4); huge.writeUInt32LE(MAX * 8, 0);
  await fh.write(huge, 0, 4, recs[1]!.offset + RECORD_HEADER_BYTES);
  await fh.close();

  store = await BlockStore.open(dir);
  t.teardown(() => store.close());
  await t.rejects(store.get(sa), { code: 'COLONY_CORRUPT_BLOCK' });
  await t.rejects(store.get(sb), { code: 'COLONY_CORRUPT_BLOCK' });
  t.same(await store.get(sc), c, 'the record after them still reads');
  const report = await store.verify();
  t.equal(report.corrupt.length, 2);
  t.same(report.damaged, [], 'a bad stream is a corrupt block, not a broken log');
  await t.rejects(store.get(sa), { code: 'COLONY_CORRUPT_BLOCK' }, 'still, from a reopened cache');

  // The same damage found by recovery (no index): indexed as corrupt, reads report it.
  await store.close();
  await rm(join(dir, 'index'), { recursive: true });
  store = await BlockStore.open(dir);
  await t.rejects(store.get(sa), { code: 'COLONY_CORRUPT_BLOCK' });
  t.same(await store.get(sc), c);
});

t.test('recovery cuts a torn compressed tail and keeps what came before', async (t) => {
  for (const how of ['truncated', 'garbled'] as const) {
    const dir = await tmpDir(t);
    let store = await BlockStore.open(dir);
    const blocks = [text(64 << 10, 11), randomBytes(4000), text(200_000, 12)];
    const scores = [];
    for (const b of blocks) scores.push(await store.put(1, b));
    await store.close();
    const last = (await records(arenaFile(dir))).at(-1)!;
    t.equal(last.flags, 0x10);
    const file = arenaFile(dir);
    if (how === 'truncated') await truncate(file, last.offset + RECORD_HEADER_BYTES + (last.length >> 1));
    else {
      const buf = await readFile(file);
      buf.fill(0x5a, last.offset + RECORD_HEADER_BYTES + 8, last.offset + RECORD_HEADER_BYTES + 200);
      await writeFile(file, buf);
    }
    await rm(join(dir, 'index'), { recursive: true }); // as after a crash before the index commit
    store = await BlockStore.open(dir);
    t.equal((await stat(file)).size, last.offset, `${how}: cut at the start of the torn record`);
    t.same(await store.get(scores[0]!), blocks[0]);
    t.same(await store.get(scores[1]!), blocks[1]);
    await t.rejects(store.get(scores[2]!), { code: 'COLONY_NOT_FOUND' });
    t.equal((await store.stats()).bytes, blocks[0]!.length + blocks[1]!.length);
    t.same(await store.get(await store.put(1, blocks[2]!)), blocks[2], 'and writing resumes');
    t.ok((await store.verify()).ok);
    await store.close();
  }
});

t.test('compaction copies compressed records as they are', async (t) => {
  const { store } = await tmpStore(t, { arenaBytes: 4 << 20 });
  // Blocks of 256 KiB of text compress ~5x: fill a few arenas.
  const blocks = Array.from({ length: 120 }, (_, i) => (i % 5 === 4 ? randomBytes(256 << 10) : text(256 << 10, 100 + i)));
  const scores = [];
  for (const b of blocks) scores.push(await store.put(1, b));
  await store.sync();
  const usage = await store.arenaUsage();
  t.ok(usage.length >= 2, `${usage.length} arenas`);
  const target = usage[0]!;
  const live = new Set(scores.filter((_, i) => i % 2 === 0).map((s) => s.toString('hex')));
  const before = await store.stats();
  const result = await store.compactArena(target.number, (s) => live.has(s.toString('hex')), { bytesPerSecond: Infinity });
  t.ok(result.movedBlocks > 0 && result.droppedBlocks > 0, `moved ${result.movedBlocks}, dropped ${result.droppedBlocks}`);
  t.ok(result.movedBytes < result.movedBlocks * (256 << 10) * 0.6, 'moved bytes are stored (compressed) bytes');
  const after = await store.stats();
  const droppedLogical = before.bytes - after.bytes;
  t.equal(droppedLogical, result.droppedBlocks * (256 << 10), 'stats().bytes drops by the logical size of dropped blocks');
  let missing = 0;
  for (const [i, s] of scores.entries()) {
    if (live.has(s.toString('hex')) || !(await store.has(s))) {
      if (await store.has(s)) t.same(await store.get(s), blocks[i]); else missing++;
    } else t.same(await store.get(s), blocks[i]);
  }
  t.equal(missing, result.droppedBlocks, 'only dropped blocks are gone');
  const report = await store.verify();
  t.ok(report.ok, 'verify after compaction');
  let moved = 0;
  const active = (await store.arenaUsage()).at(-1)!;
  for (const r of await records(arenaFile(store.dir, active.number))) if (r.flags === 0x10) moved++;
  t.ok(moved > 0, 'the copies in the active arena are still compressed');
});
