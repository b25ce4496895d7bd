// bench/spawn: environments against what a user would do without Colony.
//   1. spawn latency (open a volume, stat and list its root) for 10 MiB, 1 GiB and 4 GiB
//      snapshots; the largest over the smallest must stay <= 1.5
//   2. save after a 1% change to the 1 GiB tree, against `cp -a` of that tree
//   3. lazy loading: bytes fetched from the store / bytes read by the client, reading 5%
//      of the 1 GiB tree; goal <= 1.2
// COLONY_BENCH_SCALE (default 1) scales every size down for a quick run.
import { execFileSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importDirectory } from '../appliance/snapshot/index.js';
import { BlockStore, type Score } from '../appliance/store/index.js';
import { ROOT_INO, Volume } from '../appliance/volume/index.js';

const scale = Number(process.env.COLONY_BENCH_SCALE ?? 1);
const MiB = 1 << 20;
const now = () => performance.now();
const root = { uid: 0, gid: 0 };

/** A tree of `bytes` in files of 1 MiB to 16 MiB under 16 directories, random content. */
async function makeTree(dir: string, bytes: number): Promise<number> {
  let left = bytes;
  let files = 0;
  const chunk = Buffer.allocUnsafe(16 * MiB);
  while (left > 0) {
    const size = Math.min(left, (1 + (files % 16)) * MiB);
    const sub = join(dir, `d${files % 16}`);
    await mkdir(sub, { recursive: true });
    randomFillSync(chunk, 0, size);
    await writeFile(join(sub, `f${files}`), chunk.subarray(0, size));
    left -= size;
    files++;
  }
  return files;
}

async function spawnOnce(store: BlockStore, score: Score): Promise<number> {
  const t0 = now();
  const v = await Volume.open(store, score);
  await v.getattr(ROOT_INO);
  await v.readdir(ROOT_INO, 0, 1000);
  const ms = now() - t0;
  v.close();
  return ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main() {
  const base = await mkdtemp(join(process.env.COLONY_BENCH_DIR ?? tmpdir(), 'colony-bench-spawn-'));
  try {
    const store = await BlockStore.open(join(base, 'store'));
    const sizes: Array<[string, number]> = [['10 MiB', 10 * MiB], ['1 GiB', 1024 * MiB], ['4 GiB', 4096 * MiB]];
    const roots = new Map<string, Score>();
    for (const [label, bytes] of sizes) {
      const src = join(base, `src-${label.replace(' ', '')}`);
      process.stderr.write(`making and importing the ${label} tree...\n`);
      await makeTree(src, Math.max(MiB, Math.floor(bytes * scale)));
      roots.set(label, (await importDirectory(store, src, { xattrs: false })).root);
      if (label !== '1 GiB') await rm(src, { recursive: true });
    }

    console.log(`\nbench/spawn (scale ${scale})`);
    console.log('1. spawn latency: open the volume, stat and list its root (median of 20, cold volume each time)');
    const lat = new Map<string, number>();
    for (const [label] of sizes) {
      const runs: number[] = [];
      for (let i = 0; i < 20; i++) runs.push(await spawnOnce(store, roots.get(label)!));
      lat.set(label, median(runs));
      console.log(`   ${label.padEnd(7)} ${median(runs).toFixed(2)} ms`);
    }
    const ratio = lat.get('4 GiB')! / lat.get('10 MiB')!;
    console.log(`   largest / smallest: ${ratio.toFixed(2)}  (goal <= 1.5: ${ratio <= 1.5 ? 'met' : 'NOT MET'})`);

    // 2. A 1% change, then save; against cp -a of the same tree.
    const src1g = join(base, 'src-1GiB');
    const v = await Volume.open(store, roots.get('1 GiB')!);
    const target = Math.floor(1024 * MiB * scale * 0.01);
    let changed = 0;
    for (let d = 0; d < 16 && changed < target; d++) {
      const dir = await v.lookup(root, ROOT_INO, `d${d}`);
      for (const e of await v.readdir(dir, 0, 1e6)) {
        if (changed >= target || e.kind !== 'file') continue;
        const n = Math.min(256 * 1024, target - changed);
        await v.write(root, e.ino, 4096, randomFillSync(Buffer.alloc(n)));
        changed += n;
      }
    }
    let t0 = now();
    await v.save({ comment: 'bench' });
    const saveMs = now() - t0;
    execFileSync('sync');
    t0 = now();
    execFileSync('cp', ['-a', src1g, join(base, 'copy')]);
    execFileSync('sync');
    const cpMs = now() - t0;
    console.log(`2. save after a ${(changed / MiB).toFixed(1)} MiB (1%) change to the 1 GiB tree`);
    console.log(`   colony save ${saveMs.toFixed(0)} ms   cp -a + sync ${cpMs.toFixed(0)} ms   ratio ${(saveMs / cpMs).toFixed(3)}`);
    v.close();

    // 3. Lazy loading: read 5% of the tree (whole files) from a fresh volume.
    const lazy = await Volume.open(store, roots.get('1 GiB')!);
    const want = 1024 * MiB * scale * 0.05;
    let read = 0;
    for (let d = 0; d < 16 && read < want; d += 3) {
      const dir = await lazy.lookup(root, ROOT_INO, `d${d}`);
      for (const e of await lazy.readdir(dir, 0, 1e6)) {
        if (read >= want || e.kind !== 'file') continue;
        const size = (await lazy.getattr(e.ino)).size;
        for (let off = 0; off < size; off += MiB) read += (await lazy.read(e.ino, off, MiB)).length;
      }
    }
    const s = lazy.stats();
    const eff = s.bytesFetched / s.bytesRead;
    console.log(`3. lazy loading: read ${(s.bytesRead / MiB).toFixed(1)} MiB (5%), fetched ${(s.bytesFetched / MiB).toFixed(1)} MiB from the store`);
    console.log(`   fetched / read = ${eff.toFixed(3)}  (goal <= 1.2: ${eff <= 1.2 ? 'met' : 'NOT MET'})`);
    lazy.close();
    await store.close();
  } finally {
    await rm(base, { recursive: true, force: true });
  }
}

await main();
