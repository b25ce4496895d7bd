import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { BlockStore, formatScore } from '../../../appliance/store/index.js';
import { repoRoot, tsLoader, childEnv } from '../../helpers/cli.js';
import { tmpDir, tmpStore } from '../../helpers/tmp.js';

t.test('blocks survive close and reopen, with stats counted', async (t) => {
  const dir = await tmpDir(t);
  let store = await BlockStore.open(dir);
  const blocks = Array.from({ length: 50 }, (_, i) => randomBytes(1000 + i));
  const scores = [];
  for (const b of blocks) scores.push(await store.put(2, b));
  await store.close();
  store = await BlockStore.open(dir);
  t.teardown(() => store.close());
  for (const [i, s] of scores.entries()) t.same(await store.get(s), blocks[i]);
  const st = await store.stats();
  t.equal(st.blocks, 50);
  t.equal(st.bytes, blocks.reduce((n, b) => n + b.length, 0));
  t.equal(st.unsyncedBlocks, 0);
  t.equal(st.durablePosition, st.logPosition);
});

t.test('full arenas are sealed and reads span all arenas', async (t) => {
  const { store, dir } = await tmpStore(t, { arenaBytes: 4 << 20 });
  const blocks = Array.from({ length: 100 }, () => randomBytes(100_000));
  const scores = await Promise.all(blocks.map((b) => store.put(1, b)));
  await store.sync();
  const st = await store.stats();
  t.ok(st.arenas >= 3, `${st.arenas} arenas`);
  t.equal(st.sealedArenas, st.arenas - 1);
  for (const [i, s] of scores.entries()) t.same(await store.get(s), blocks[i]);
  const report = await store.verify();
  t.equal(report.ok, true);
  t.equal(report.records, 100);
  t.ok(dir);
});

t.test('iterate walks durable blocks in log order and resumes from a log position', async (t) => {
  const { store } = await tmpStore(t, { arenaBytes: 4 << 20 });
  const blocks = Array.from({ length: 60 }, (_, i) => Buffer.alloc(200_000, i));
  const scores = [];
  for (const b of blocks) scores.push(await store.put(1, b));
  const unsynced = await store.put(1, Buffer.from('not yet durable'));
  await store.sync();
  const late = await store.put(1, Buffer.from('after the sync'));
  const seen: Array<{ pos: number; score: Buffer }> = [];
  for await (const b of store.iterate()) seen.push(b);
  t.same(seen.map((b) => formatScore(b.score)), [...scores, unsynced].map(formatScore), 'durable blocks, in order, none after the sync');
  t.notOk(seen.some((b) => b.score.equals(late)));
  t.ok(seen.every((b, i) => i === 0 || b.pos > seen[i - 1]!.pos), 'positions increase');
  const cursor = seen[40]!.pos;
  const rest = [];
  for await (const b of store.iterate(cursor)) rest.push(b.score);
  t.same(rest.map(formatScore), seen.slice(40).map((b) => formatScore(b.score)));
});

t.test('the cache serves repeated reads and stays within its budget', async (t) => {
  const { store } = await tmpStore(t, { cacheBytes: 300_000 });
  const scores = await Promise.all([0, 1, 2, 3, 4].map((i) => store.put(1, Buffer.alloc(100_000, i))));
  await store.sync();
  for (const s of scores) await store.get(s);
  t.equal((await store.stats()).cache.blocks, 0, 'a block read once is not cached (admitted on its second read)');
  for (const s of scores) await store.get(s);
  await store.get(scores[4]!);
  const { cache } = await store.stats();
  t.ok(cache.bytes <= 300_000);
  t.ok(cache.hits >= 1);
});

t.test('a closed store refuses use with COLONY_CLOSED', async (t) => {
  const dir = await tmpDir(t);
  const store = await BlockStore.open(dir);
  await store.close();
  await store.close();
  await t.rejects(store.put(1, Buffer.from('x')), { code: 'COLONY_CLOSED' });
  await t.rejects(store.get(Buffer.alloc(32)), { code: 'COLONY_CLOSED' });
});

t.test('a second opener gets COLONY_LOCKED', async (t) => {
  const { dir } = await tmpStore(t);
  await t.rejects(BlockStore.open(dir), { code: 'COLONY_LOCKED' });
});

t.test('bad options are refused', async (t) => {
  const dir = await tmpDir(t);
  await t.rejects(BlockStore.open(dir, { maxBlockBytes: 64 << 20 }), { code: 'COLONY_INVALID' });
  await t.rejects(BlockStore.open(dir, { arenaBytes: 1 << 20 }), { code: 'COLONY_INVALID' });
});

t.test('the wasm fallback computes the same scores as the native backend', async (t) => {
  const script = `
    import { loadHash } from './appliance/store/hash.ts';
    const h = await loadHash();
    const out = [h.name];
    for (const n of [0, 1, 1024, 65536, 1 << 20]) out.push(h.hash(Buffer.alloc(n, 0x5a)).toString('hex'));
    console.log(JSON.stringify(out));`;
  const run = (env: Record<string, string>) => {
    const r = spawnSync(process.execPath, [...tsLoader, '--input-type=module', '-e', script], { cwd: repoRoot, env: childEnv(env), encoding: 'utf8' });
    t.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as string[];
  };
  const wasm = run({ COLONY_HASH: 'wasm' });
  const native = run({});
  t.equal(wasm[0], 'wasm');
  t.equal(native[0], 'native', 'the native addon built at install');
  t.same(wasm.slice(1), native.slice(1));
});

t.test('the write buffer is made at the first put and let go once puts stop', async (t) => {
  const { store } = await tmpStore(t, { writeBufferIdleMs: 50 });
  t.equal((await store.stats()).writeBufferBytes, 0, 'a store opened and not written holds none');
  const score = await store.put(1, Buffer.alloc(1000, 7));
  t.ok((await store.stats()).writeBufferBytes >= 4 << 20, 'a put makes it');
  t.same(await store.get(score), Buffer.alloc(1000, 7), 'an unsynced block reads from it');
  await store.sync();
  for (let i = 0; i < 100 && (await store.stats()).writeBufferBytes > 0; i++) await new Promise((r) => setTimeout(r, 20));
  t.equal((await store.stats()).writeBufferBytes, 0, 'let go after the idle time');
  t.same(await store.get(score), Buffer.alloc(1000, 7), 'and the block reads from its arena');
  const again = await store.put(1, Buffer.alloc(2000, 8));
  await store.sync();
  t.same(await store.get(again), Buffer.alloc(2000, 8), 'a later put makes a new one');
});
