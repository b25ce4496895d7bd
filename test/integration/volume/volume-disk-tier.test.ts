// A disk environment's cache tier on a real directory: blocks by score in fixed slots,
// bounded, least recently used out, a slot journal that brings the map back on reopen,
// and no wrong byte ever returned (a torn journal or a scribbled slot is a miss).
import { randomBytes } from 'node:crypto';
import { appendFile, open, readFile, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { loadHash } from '../../../appliance/store/index.js';
import { DiskTier } from '../../../appliance/volume/index.js';
import { HEADER_BYTES, RECORD_BYTES, replayJournal } from '../../../appliance/volume/tier-journal.js';
import { tmpDir } from '../../helpers/tmp.js';

const SLOT = 4096;
const { hash } = await loadHash();
const block = (n: number) => { const data = randomBytes(n); return { data, score: hash(data) }; };

async function filled(dir: string, blocks: Array<{ data: Buffer; score: Buffer }>, capacityBytes = 64 * SLOT): Promise<DiskTier> {
  const tier = await DiskTier.open(dir, { capacityBytes, slotBytes: SLOT });
  for (const b of blocks) tier.admit(1, b.data, b.score);
  await tier.sync();
  return tier;
}

t.test('blocks come back by score, checked; unknown scores miss', async (t) => {
  const dir = await tmpDir(t);
  const blocks = [block(SLOT), block(100), block(1)];
  const tier = await filled(dir, blocks);
  t.teardown(() => tier.close());
  for (const b of blocks) t.same(await tier.get(b.score), { type: 1, data: b.data });
  t.equal(await tier.get(block(10).score), undefined);
  tier.admit(1, randomBytes(SLOT + 1));
  await tier.sync();
  t.same((({ usedSlots, hits, misses, written }) => ({ usedSlots, hits, misses, written }))(tier.stats()), { usedSlots: 3, hits: 3, misses: 1, written: 3 }, 'a block bigger than a slot is not cached');
});

t.test('bounded: past capacity the least recently used block leaves; the file never grows past it', async (t) => {
  const dir = await tmpDir(t);
  const blocks = Array.from({ length: 8 }, () => block(SLOT));
  const tier = await filled(dir, blocks.slice(0, 4), 4 * SLOT);
  t.teardown(() => tier.close());
  t.ok(await tier.get(blocks[0]!.score), 'block 0 is used again, so block 1 is the oldest');
  for (const b of blocks.slice(4, 6)) tier.admit(1, b.data, b.score);
  await tier.sync();
  t.same(await Promise.all(blocks.slice(0, 6).map(async (b) => !!(await tier.get(b.score)))), [true, false, false, true, true, true]);
  t.equal(tier.stats().usedSlots, 4);
  t.equal(tier.stats().bytes, 4 * SLOT);
  t.ok((await stat(join(dir, 'cache.slots'))).size <= 4 * SLOT);
});

t.test('reopened, the tier has every block it had; a journal much longer than its map is compacted', async (t) => {
  const dir = await tmpDir(t);
  const blocks = Array.from({ length: 40 }, () => block(SLOT));
  let tier = await filled(dir, blocks, 8 * SLOT);
  await tier.close();
  const before = (await stat(join(dir, 'cache.journal'))).size;
  t.equal(before, HEADER_BYTES + 40 * RECORD_BYTES, 'one record per write');
  tier = await DiskTier.open(dir, { capacityBytes: 8 * SLOT, slotBytes: SLOT });
  t.teardown(() => tier.close());
  t.equal(tier.stats().restored, 8);
  const present = await Promise.all(blocks.map(async (b) => !!(await tier.get(b.score))));
  t.same(present, [...Array(32).fill(false), ...Array(8).fill(true)], 'the newest 8 are back');
  await tier.close();
  // 40 records for 8 live blocks is not long enough to compact (2 × 8 + 1024); force it with many.
  tier = await filled(dir, Array.from({ length: 1100 }, () => block(16)), 8 * SLOT);
  await tier.close();
  t.equal((await stat(join(dir, 'cache.journal'))).size, HEADER_BYTES + 8 * RECORD_BYTES, 'compacted to one record per slot');
  tier = await DiskTier.open(dir, { capacityBytes: 8 * SLOT, slotBytes: SLOT });
  t.equal(tier.stats().restored, 8);
});

t.test('a torn journal tail is cut off; a scribbled slot is a miss, never wrong bytes', async (t) => {
  const dir = await tmpDir(t);
  const blocks = Array.from({ length: 4 }, () => block(SLOT));
  let tier = await filled(dir, blocks);
  await tier.close();
  const journal = join(dir, 'cache.journal');
  await appendFile(journal, randomBytes(RECORD_BYTES - 5)); // a record half written at the crash
  const fh = await open(join(dir, 'cache.slots'), 'r+');
  await fh.write(Buffer.alloc(10, 0xee), 0, 10, 2 * SLOT + 7); // block 2's slot changed under it
  await fh.close();
  tier = await DiskTier.open(dir, { capacityBytes: 64 * SLOT, slotBytes: SLOT });
  t.teardown(() => tier.close());
  t.equal((await stat(journal)).size, HEADER_BYTES + 4 * RECORD_BYTES, 'the torn record is gone');
  t.same(await Promise.all(blocks.map(async (b) => (await tier.get(b.score))?.data.equals(b.data) ?? 'miss')), [true, true, 'miss', true]);
  t.equal(tier.stats().corrupt, 1);
  t.equal(await tier.get(blocks[2]!.score), undefined, 'and it stays a miss');
});

t.test('a journal from another slot size or no journal at all starts empty', async (t) => {
  const dir = await tmpDir(t);
  let tier = await filled(dir, [block(100)]);
  await tier.close();
  tier = await DiskTier.open(dir, { capacityBytes: 64 * 8192, slotBytes: 8192 });
  t.equal(tier.stats().restored, 0);
  await tier.close();
  await truncate(join(dir, 'cache.journal'), 3);
  tier = await DiskTier.open(dir, { capacityBytes: 64 * 8192, slotBytes: 8192 });
  t.equal(tier.stats().restored, 0);
  await tier.close();
  t.equal((await readFile(join(dir, 'cache.journal'))).length, HEADER_BYTES);
});

t.test('the journal replay as data: later writes win, frees and out-of-range slots drop', async (t) => {
  const { encodeHeader, encodeRecord, OP_FREE, OP_PUT } = await import('../../../appliance/volume/tier-journal.js');
  const s = (n: number) => Buffer.alloc(32, n);
  const buf = Buffer.concat([
    encodeHeader(SLOT),
    encodeRecord(OP_PUT, { slot: 0, score: s(1), type: 1, length: 10 }),
    encodeRecord(OP_PUT, { slot: 1, score: s(2), type: 1, length: 10 }),
    encodeRecord(OP_PUT, { slot: 0, score: s(3), type: 2, length: 20 }), // slot 0 reused
    encodeRecord(OP_PUT, { slot: 9, score: s(4), type: 1, length: 10 }), // past capacity
    encodeRecord(OP_FREE, { slot: 1, score: s(0), type: 0, length: 0 }),
    encodeRecord(OP_PUT, { slot: 2, score: s(3), type: 2, length: 20 }), // same block again: slot 2 wins
  ]);
  const r = replayJournal(buf, SLOT, 4);
  t.same(r.entries.map((e) => [e.slot, e.score[0], e.type, e.length]), [[2, 3, 2, 20]]);
  t.equal(r.validBytes, buf.length);
  t.equal(r.records, 6);
  const bad = Buffer.from(buf);
  bad[HEADER_BYTES + RECORD_BYTES + 3]! ^= 1; // the second record's crc fails
  t.equal(replayJournal(bad, SLOT, 4).validBytes, HEADER_BYTES + RECORD_BYTES);
});

t.test('blocks that arrive while a sync compacts the journal keep their records', async (t) => {
  const dir = await tmpDir(t);
  const tier = await DiskTier.open(dir, { capacityBytes: 512 * SLOT, slotBytes: SLOT, maxPendingBytes: 1 << 30 });
  t.teardown(() => tier.close());
  for (let i = 0; i < 2100; i++) tier.admit(1, randomBytes(32));
  const compacting = tier.sync(); // 2100 records for 512 slots, past 1024 + 2 × 512: this one compacts
  for (let i = 0; i < 600; i++) tier.admit(1, randomBytes(32)); // all of these stay cached (512 newest)
  await compacting;
  await tier.sync();
  // The journal on disk, as a crash now would leave it, names every block the tier holds.
  const file = await readFile(join(dir, 'cache.journal'));
  const replay = replayJournal(file, SLOT, 512);
  t.equal(replay.validBytes, file.length, 'the journal replays to its end');
  t.equal(replay.entries.length, tier.stats().usedSlots, `${replay.entries.length} blocks in the journal, ${tier.stats().usedSlots} in the tier`);
  const readable = await Promise.all(replay.entries.map(async (e) => !!(await tier.get(e.score))));
  t.equal(readable.filter((x) => !x).length, 0, 'and each one reads back');
});
