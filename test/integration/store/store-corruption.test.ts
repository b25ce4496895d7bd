// Damage done to a store's files from outside: each case must give a clear error or a
// clean recovery on reopen, and never return bytes that do not match their score.
import { randomBytes } from 'node:crypto';
import { appendFile, open, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { MemoryLog } from '../../../appliance/log.js';
import { BlockStore, formatScore, loadHash, offsetOf, type Score } from '../../../appliance/store/index.js';
import { encodeRecordHeader } from '../../../appliance/store/record.js';
import { tmpDir } from '../../helpers/tmp.js';

async function filled(t: Test, n = 20, size = 5000) {
  const dir = await tmpDir(t);
  const store = await BlockStore.open(dir);
  const blocks = Array.from({ length: n }, () => randomBytes(size));
  const scores: Score[] = [];
  for (const b of blocks) scores.push(await store.put(1, b));
  await store.close();
  const arena = join(dir, 'arenas', (await readdir(join(dir, 'arenas')))[0]!);
  return { dir, blocks, scores, arena };
}

async function reopen(t: Test, dir: string) {
  const log = new MemoryLog();
  const store = await BlockStore.open(dir, { log });
  t.teardown(() => store.close());
  return { store, log };
}

/** The arena offset of a block's record, found by asking the index through iterate(). */
async function offsetOfBlock(dir: string, score: Score): Promise<number> {
  const store = await BlockStore.open(dir);
  try {
    for await (const b of store.iterate()) if (b.score.equals(score)) return offsetOf(b.pos);
  } finally { await store.close(); }
  throw new Error('block not in the log');
}

async function flipByte(path: string, offset: number) {
  const fh = await open(path, 'r+');
  const b = Buffer.alloc(1);
  await fh.read(b, 0, 1, offset);
  b[0] = b[0]! ^ 0xff;
  await fh.write(b, 0, 1, offset);
  await fh.close();
}

t.test('a flipped byte inside a block: get fails with COLONY_CORRUPT_BLOCK and verify names it', async (t) => {
  const { dir, blocks, scores, arena } = await filled(t);
  const victim = scores[7]!;
  await flipByte(arena, (await offsetOfBlock(dir, victim)) + 44 + 100);
  const { store } = await reopen(t, dir);
  await t.rejects(store.get(victim), { code: 'COLONY_CORRUPT_BLOCK', message: new RegExp(formatScore(victim)) });
  t.same(await store.get(scores[8]!), blocks[8], 'neighbours still read');
  const report = await store.verify();
  t.equal(report.ok, false);
  t.same(report.corrupt.map((c) => c.score), [formatScore(victim)]);
  t.same(report.dangling, [], 'the corrupt block is reported once, as corrupt');
});

t.test('a corrupt block in the middle of an unindexed log is kept and reported, not treated as a torn tail', async (t) => {
  const { dir, blocks, scores, arena } = await filled(t);
  await flipByte(arena, (await offsetOfBlock(dir, scores[5]!)) + 44 + 1);
  await rm(join(dir, 'index'), { recursive: true });
  const { store, log } = await reopen(t, dir);
  t.same(await store.get(scores[19]!), blocks[19], 'later blocks survive the rebuild');
  await t.rejects(store.get(scores[5]!), { code: 'COLONY_CORRUPT_BLOCK' });
  t.ok(log.lines.some((l) => l.level === 'error' && /corrupt block/.test(l.msg)));
});

t.test('a truncated arena tail is cut off on open and the log says so', async (t) => {
  const { dir, blocks, scores, arena } = await filled(t);
  const size = (await stat(arena)).size;
  await truncate(arena, size - 1234); // tears the last record
  // The index still names the torn block: it must be dropped, not returned.
  const { store, log } = await reopen(t, dir);
  t.ok(log.lines.some((l) => l.msg === 'cut a torn tail off the log'), 'logged the cut');
  t.ok(log.lines.some((l) => /dropped index entries/.test(l.msg)), 'dropped the dangling entry');
  await t.rejects(store.get(scores[19]!), { code: 'COLONY_NOT_FOUND' });
  for (let i = 0; i < 19; i++) t.same(await store.get(scores[i]!), blocks[i]);
  t.equal((await store.stats()).blocks, 19);
  t.equal((await store.verify()).ok, true);
  const again = await store.put(1, blocks[19]!);
  t.same(again, scores[19], 'the lost block can be stored again');
});

t.test('garbage appended to an arena is cut off on open', async (t) => {
  const { dir, blocks, scores, arena } = await filled(t);
  const size = (await stat(arena)).size;
  await appendFile(arena, randomBytes(777));
  const { store, log } = await reopen(t, dir);
  t.equal((await stat(arena)).size, size);
  t.ok(log.lines.some((l) => l.msg === 'cut a torn tail off the log' && l.bytes === 777));
  for (const [i, s] of scores.entries()) t.same(await store.get(s), blocks[i]);
});

t.test('a plausible but torn final record (valid header, bad data) is cut off', async (t) => {
  const { dir, scores, arena } = await filled(t);
  const size = (await stat(arena)).size;
  await flipByte(arena, size - 10);
  await rm(join(dir, 'index'), { recursive: true }); // force a scan of the whole log
  const { store } = await reopen(t, dir);
  t.equal((await stat(arena)).size, size - 44 - 5000);
  await t.rejects(store.get(scores[19]!), { code: 'COLONY_NOT_FOUND' });
});

t.test('a deleted index is rebuilt from the arenas on open', async (t) => {
  const { dir, blocks, scores } = await filled(t, 30);
  await rm(join(dir, 'index'), { recursive: true });
  const { store, log } = await reopen(t, dir);
  t.ok(log.lines.some((l) => /no index/.test(l.msg)));
  for (const [i, s] of scores.entries()) t.same(await store.get(s), blocks[i]);
  t.equal((await store.stats()).blocks, 30);
});

t.test('reindex rebuilds an index that lost entries', async (t) => {
  const { dir, blocks, scores } = await filled(t, 10);
  const store = await BlockStore.reindex(dir);
  t.teardown(() => store.close());
  for (const [i, s] of scores.entries()) t.same(await store.get(s), blocks[i]);
  const st = await store.stats();
  t.equal(st.blocks, 10);
  t.equal((await store.verify()).ok, true);
});

t.test('whole records after the checkpoint that the index lacks are indexed on open', async (t) => {
  // A process killed after its bytes reached the arena but before sync() committed the
  // index leaves exactly this: valid records past the checkpoint.
  const { dir, arena } = await filled(t, 3);
  const extra = randomBytes(3000);
  const score = (await loadHash()).hash(extra);
  await appendFile(arena, Buffer.concat([encodeRecordHeader(9, extra.length, score), extra]));
  const { store, log } = await reopen(t, dir);
  t.same(await store.getBlock(score), { type: 9, data: extra });
  t.ok(log.lines.some((l) => /indexed records found after the checkpoint/.test(l.msg)));
  t.equal((await store.stats()).blocks, 4);
});

t.test('a new arena torn while being created is removed, and the sealed one before it is never written again', async (t) => {
  const dir = await tmpDir(t);
  let store = await BlockStore.open(dir, { arenaBytes: 4 << 20 });
  const blocks = Array.from({ length: 70 }, () => randomBytes(100_000)); // fills arena 0 and part of 1
  const scores: Score[] = [];
  for (const b of blocks) scores.push(await store.put(1, b));
  await store.close();
  const arenaDir = join(dir, 'arenas');
  const sealedSize = (await stat(join(arenaDir, 'arena-000001.dat'))).size;
  // Seal arena 1 the way the store does, then leave a torn arena 2 behind.
  store = await BlockStore.open(dir, { arenaBytes: 4 << 20 });
  while ((await readdir(arenaDir)).length < 3) await store.put(1, randomBytes(100_000));
  await store.close();
  await writeFile(join(arenaDir, 'arena-000003.dat'), Buffer.from('COLONY')); // created, header torn
  const { store: again, log } = await reopen(t, dir);
  t.ok(log.lines.some((l) => /torn while being created/.test(l.msg)));
  const sizes = await Promise.all((await readdir(arenaDir)).sort().map(async (n) => (await stat(join(arenaDir, n))).size));
  const fresh = await again.put(1, randomBytes(5000));
  await again.sync();
  t.same(await Promise.all((await readdir(arenaDir)).sort().slice(0, 3).map(async (n) => (await stat(join(arenaDir, n))).size)), sizes.slice(0, 3), 'sealed arenas keep their size');
  t.ok((await again.get(fresh)).length === 5000, 'new writes go to a new arena');
  for (const [i, s] of scores.entries()) t.same(await again.get(s), blocks[i]);
  t.equal((await again.verify()).ok, true);
  t.ok(sealedSize > 0);
});

t.test('a sealed arena whose successor was never created gets a new one', async (t) => {
  const dir = await tmpDir(t);
  const store = await BlockStore.open(dir, { arenaBytes: 4 << 20 });
  const arenaDir = join(dir, 'arenas');
  const blocks: Array<[Score, Buffer]> = [];
  while ((await readdir(arenaDir)).length < 2) { const b = randomBytes(100_000); blocks.push([await store.put(1, b), b]); }
  const last = blocks.pop()!; // this one went into arena 1
  await store.close();
  // Drop arena 1, as if the process died after sealing arena 0 and before creating arena 1.
  await rm(join(arenaDir, 'arena-000001.dat'));
  const { store: again } = await reopen(t, dir);
  const size0 = (await stat(join(arenaDir, 'arena-000000.dat'))).size;
  await again.put(1, randomBytes(3000));
  await again.sync();
  t.equal((await stat(join(arenaDir, 'arena-000000.dat'))).size, size0, 'the sealed arena is not appended to');
  for (const [s, b] of blocks) t.same(await again.get(s), b);
  await t.rejects(again.get(last[0]), { code: 'COLONY_NOT_FOUND' }, 'the block in the lost arena is gone, not wrong');
  t.equal((await again.verify()).ok, true);
});
