// bench/store: the block store against its anchors, measured on the same bytes in one run.
//   1. unique write of N bytes of 64 KiB blocks, then sync   vs  raw sequential write + fsync
//   2. reopen, random-order read of every block (cold block cache, verified)  vs  b3sum --num-threads 1
//   3. the same puts again (the dedup path)                  vs  a fixed goal of 1 GB/s
//   4. a mixed tree (files of /usr cut into 64 KiB blocks), compression off and on: ingest,
//      random verified read (vs the same two anchors) and bytes on disk against the tree's bytes
// COLONY_BENCH_BYTES sets N (default 1 GiB); COLONY_BENCH_MIXED_BYTES the mixed tree (default
// 256 MiB, from COLONY_BENCH_TREE or /usr); COLONY_BENCH_DIR the scratch directory.
import { execFileSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { mkdtemp, open, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlockStore, type Score } from '../appliance/store/index.js';

const BLOCK = 64 << 10;
const total = Number(process.env.COLONY_BENCH_BYTES ?? 1 << 30);
const count = Math.floor(total / BLOCK);
const bytes = count * BLOCK;
const mbs = (n: number, ms: number) => n / 1e6 / (ms / 1000);
const now = () => performance.now();

/** Files of a real tree, whole, until `limit` bytes: binaries, libraries, text, already-compressed data. */
async function mixedTree(root: string, limit: number): Promise<Buffer[]> {
  const out: Buffer[] = [];
  let have = 0;
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (have >= limit) return;
      const path = join(dir, e.name);
      if (e.isDirectory()) await walk(path);
      else if (e.isFile()) {
        const data = await readFile(path).catch(() => undefined);
        if (!data || data.length === 0) continue;
        for (let off = 0; off < data.length && have < limit; off += BLOCK) { const b = data.subarray(off, off + BLOCK); out.push(b); have += b.length; }
      }
    }
  };
  await walk(root);
  return out;
}

/** Puts every block and syncs, then reopens (cold cache) and reads them all in random order, 16 in flight. */
async function ingestAndRead(dir: string, blocks: Buffer[], compress: 'auto' | 'off') {
  let store = await BlockStore.open(dir, { compress });
  let t0 = now();
  const scores: Score[] = [];
  for (const b of blocks) scores.push(await store.put(3, b));
  await store.sync();
  const writeMs = now() - t0;
  const st = await store.stats();
  await store.close();
  store = await BlockStore.open(dir, { compress });
  const order = shuffle([...new Set(scores.map((s) => s.toString('hex')))].map((h) => Buffer.from(h, 'hex')));
  let next = 0;
  t0 = now();
  await Promise.all(Array.from({ length: 16 }, async () => { while (next < order.length) await store.get(order[next++]!); }));
  const readMs = now() - t0;
  await store.close();
  return { writeMs, readMs, logical: st.bytes, disk: st.diskBytes, codec: st.compression };
}

function shuffle<T>(a: T[]): T[] {
  for (let i = a.length - 1; i > 0; i--) { const j = Math.floor(Math.random() * (i + 1)); [a[i], a[j]] = [a[j]!, a[i]!]; }
  return a;
}

async function main() {
  execFileSync(join(import.meta.dirname, '../scripts/ensure-apt.sh'), ['b3sum'], { stdio: 'inherit' });
  const dir = await mkdtemp(join(process.env.COLONY_BENCH_DIR ?? tmpdir(), 'colony-bench-store-'));
  try {
    process.stderr.write(`generating ${count} unique blocks of 64 KiB (${(bytes / 2 ** 30).toFixed(2)} GiB) in memory...\n`);
    const data = Buffer.allocUnsafe(bytes);
    for (let off = 0; off < bytes; off += 64 << 20) randomFillSync(data, off, Math.min(64 << 20, bytes - off));
    const blocks = Array.from({ length: count }, (_, i) => data.subarray(i * BLOCK, (i + 1) * BLOCK));

    // Anchor 1: the disk itself, sequential 4 MiB writes then one fsync.
    const raw = join(dir, 'raw.bin');
    let t0 = now();
    const fh = await open(raw, 'w');
    for (let off = 0; off < bytes; off += 4 << 20) await fh.write(data, off, Math.min(4 << 20, bytes - off), off);
    await fh.sync();
    await fh.close();
    const rawMs = now() - t0;

    // Anchor 2: b3sum on one thread over the same bytes (warm in the page cache, as ours are).
    t0 = now();
    execFileSync('b3sum', ['--num-threads', '1', raw]);
    const b3Ms = now() - t0;
    await rm(raw);

    // 1. Unique writes.
    let store = await BlockStore.open(join(dir, 'store'));
    const scores: Score[] = new Array(count);
    t0 = now();
    for (let i = 0; i < count; i++) scores[i] = await store.put(3, blocks[i]!);
    await store.sync();
    const writeMs = now() - t0;
    await store.close();

    // 2. Reopen with a cold block cache and read everything back in random order, 16 reads in flight.
    store = await BlockStore.open(join(dir, 'store'));
    const order = shuffle([...scores]);
    let next = 0;
    t0 = now();
    await Promise.all(Array.from({ length: 16 }, async () => {
      while (next < order.length) await store.get(order[next++]!);
    }));
    const readMs = now() - t0;

    // 3. Duplicate writes.
    t0 = now();
    for (let i = 0; i < count; i++) await store.put(3, blocks[i]!);
    await store.sync();
    const dupMs = now() - t0;
    const st = await store.stats();
    await store.close();

    const rawMBs = mbs(bytes, rawMs);
    const b3MBs = mbs(bytes, b3Ms);
    const rows: Array<[string, number, string, number, number]> = [
      ['unique write + sync', mbs(bytes, writeMs), 'raw write + fsync', rawMBs, 0.5],
      ['random read (verified)', mbs(bytes, readMs), 'b3sum --num-threads 1', b3MBs, 0.5],
      ['duplicate write', mbs(bytes, dupMs), 'goal 1 GB/s', 1000, 1.0],
    ];
    console.log(`\nbench/store: ${count} blocks of 64 KiB, ${(bytes / 2 ** 30).toFixed(2)} GiB, hash backend ${st.hash}`);
    console.log('step                      colony MB/s   anchor                  anchor MB/s   ratio   goal');
    for (const [name, ours, anchor, theirs, goal] of rows) {
      const ratio = ours / theirs;
      console.log(`${name.padEnd(25)} ${ours.toFixed(0).padStart(11)}   ${anchor.padEnd(22)} ${theirs.toFixed(0).padStart(11)}   ${ratio.toFixed(2).padStart(5)}   >= ${goal.toFixed(1)} ${ratio >= goal ? 'met' : 'NOT MET'}`);
    }
    console.log(`store on disk: ${(st.diskBytes / 2 ** 20).toFixed(0)} MiB in ${st.arenas} arenas for ${(st.bytes / 2 ** 20).toFixed(0)} MiB of blocks (random data: compression ${st.compression} skips it)`);

    // 4. A mixed tree, compression off then on, on the same blocks.
    const mixedLimit = Number(process.env.COLONY_BENCH_MIXED_BYTES ?? 256 << 20);
    const tree = process.env.COLONY_BENCH_TREE ?? '/usr';
    const mixed = await mixedTree(tree, mixedLimit);
    const mixedBytes = mixed.reduce((n, b) => n + b.length, 0);
    const off = await ingestAndRead(join(dir, 'mixed-off'), mixed, 'off');
    const on = await ingestAndRead(join(dir, 'mixed-on'), mixed, 'auto');
    console.log(`\nmixed tree: ${mixed.length} blocks, ${(mixedBytes / 2 ** 20).toFixed(0)} MiB from ${tree} (stored once: ${(on.logical / 2 ** 20).toFixed(0)} MiB)`);
    console.log('compression    write MB/s  vs raw   read MB/s  vs b3sum   on disk MiB   disk/logical');
    for (const [name, r] of [['off', off], [`on (${on.codec})`, on]] as const) {
      const w = mbs(mixedBytes, r.writeMs), rd = mbs(r.logical, r.readMs);
      console.log(`${name.padEnd(14)} ${w.toFixed(0).padStart(10)}  ${(w / rawMBs).toFixed(2).padStart(6)}  ${rd.toFixed(0).padStart(10)}  ${(rd / b3MBs).toFixed(2).padStart(8)}  ${(r.disk / 2 ** 20).toFixed(0).padStart(12)}  ${(r.disk / r.logical).toFixed(3).padStart(13)}`);
    }
    const saved = 1 - on.disk / off.disk;
    console.log(`compression saves ${(saved * 100).toFixed(1)}% of the disk; costs ${((1 - off.writeMs / on.writeMs) * 100).toFixed(0)}% of ingest and ${((1 - off.readMs / on.readMs) * 100).toFixed(0)}% of read throughput`);
    const readRatio = mbs(bytes, readMs) / b3MBs;
    console.log(`summary store: random read ${readRatio.toFixed(2)}x b3sum (goal 0.5); mixed tree on disk ${(on.disk / on.logical).toFixed(3)} of its bytes with ${on.codec} (${(off.disk / off.logical).toFixed(3)} off), ingest ${(mbs(mixedBytes, on.writeMs) / mbs(mixedBytes, off.writeMs)).toFixed(2)}x and read ${(off.readMs / on.readMs).toFixed(2)}x of uncompressed`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
