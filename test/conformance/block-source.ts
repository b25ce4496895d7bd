// The contract every BlockSource (appliance/store/block-source.ts) keeps: the local store,
// the in-memory source, and later a cache in front of the store and a peer over the
// network. test/integration/store/block-sources.test.ts runs it against each of them.
import { randomBytes } from 'node:crypto';
import type { Test } from 'tap';
import { formatScore, type BlockSource } from '../../appliance/store/index.js';

export type { BlockSource };

export function blockSourceSuite(t: Test, make: (t: Test) => Promise<BlockSource>): void {
  t.test('put returns the BLAKE3 score and get returns the same bytes', async (t) => {
    const src = await make(t);
    const data = Buffer.from('hello\n');
    const score = await src.put(3, data);
    // BLAKE3("hello\n"), as printed by `echo hello | b3sum`.
    t.equal(formatScore(score), 'b3:8e4c7c1b99dbfd50e7a95185fead5ee1448fa904a2fdd778eaf5f2dbfd629a99');
    t.same(await src.get(score), data);
    t.same(await src.getBlock(score), { type: 3, data });
  });

  t.test('blocks of every size up to the limit round-trip, before and after sync', async (t) => {
    const src = await make(t);
    const sizes = [0, 1, 43, 44, 4095, 65536, 65537, src.maxBlockBytes];
    const blocks = sizes.map((n) => randomBytes(n));
    const scores = await Promise.all(blocks.map((b) => src.put(1, b)));
    for (const [i, s] of scores.entries()) t.same(await src.get(s), blocks[i], `size ${sizes[i]} before sync`);
    await src.sync();
    for (const [i, s] of scores.entries()) t.same(await src.get(s), blocks[i], `size ${sizes[i]} after sync`);
  });

  t.test('putting the same bytes twice gives the same score', async (t) => {
    const src = await make(t);
    const b = randomBytes(1000);
    const [a, c] = await Promise.all([src.put(1, b), src.put(1, Buffer.from(b))]);
    t.same(a, c);
    t.same(await src.put(1, b), a);
  });

  t.test('has and hasMany know exactly what was put', async (t) => {
    const src = await make(t);
    const known = await src.put(1, Buffer.from('known'));
    const unknown = Buffer.alloc(32, 7);
    t.equal(await src.has(known), true);
    t.equal(await src.has(unknown), false);
    await src.sync();
    t.same(await src.hasMany([unknown, known, known, unknown]), [false, true, true, false]);
    t.same(await src.hasMany([]), []);
  });

  t.test('an unknown score is COLONY_NOT_FOUND', async (t) => {
    const src = await make(t);
    await t.rejects(src.get(Buffer.alloc(32, 1)), { code: 'COLONY_NOT_FOUND' });
  });

  t.test('an oversized block is refused with COLONY_TOO_LARGE and stores nothing', async (t) => {
    const src = await make(t);
    const big = Buffer.alloc(src.maxBlockBytes + 1, 1);
    await t.rejects(src.put(1, big), { code: 'COLONY_TOO_LARGE', message: /over the limit/ });
    t.same(await src.hasMany([Buffer.alloc(32)]), [false]);
  });

  t.test('a block type outside 0..254 is COLONY_INVALID', async (t) => {
    const src = await make(t);
    await t.rejects(src.put(255, Buffer.from('x')), { code: 'COLONY_INVALID' });
    await t.rejects(src.put(-1, Buffer.from('x')), { code: 'COLONY_INVALID' });
  });

  t.test('put copies the bytes: the caller may reuse its buffer at once', async (t) => {
    const src = await make(t);
    const buf = Buffer.from('first contents');
    const score = await src.put(2, buf);
    buf.fill(0x21);
    t.same(await src.get(score), Buffer.from('first contents'));
  });

  t.test('concurrent puts and gets of the same blocks agree', async (t) => {
    const src = await make(t);
    const blocks = Array.from({ length: 20 }, (_, i) => randomBytes(100 + i));
    const scores = await Promise.all([...blocks, ...blocks].map((b) => src.put(1, b)));
    t.same(scores.slice(0, 20), scores.slice(20), 'the same bytes, the same score, whichever put won');
    const got = await Promise.all(scores.map((s) => src.get(s)));
    got.forEach((g, i) => t.same(g, blocks[i % 20]));
    t.same(await src.hasMany(scores), scores.map(() => true));
  });
}
