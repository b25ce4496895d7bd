// bench/import: `colony import` against restic, the tool a user would otherwise pick, on
// the same generated tree in one run.
//   1. first import of a fresh tree              vs  restic backup into a fresh local repository
//   2. re-import of the unchanged tree            vs  restic's second backup (it has a parent snapshot)
//   3. bytes on disk: the Colony store            vs  the restic repository
// Goals: first ≤ 0.7× restic, re-import ≤ 0.25× restic's second. Besides the process's CPU it
// prints the main thread's (what the event loop itself spent) and the final sync's time, so
// a figure shows whether the import waited on the main thread, the pool or the disk.
// COLONY_BENCH_SCALE scales the tree (default 1: ~1 GiB, ~20k files); COLONY_BENCH_DIR the scratch directory.
import { execFileSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importDirectory } from '../appliance/snapshot/index.js';
import { BlockStore } from '../appliance/store/index.js';
import { mulberry32 } from '../test/helpers/random.js';

const scale = Number(process.env.COLONY_BENCH_SCALE ?? 1);
const now = () => performance.now();


const WORDS = 'the of and to in is that for it as with was on be by this are from at or an which have not but all were can will one more their has been other would so'.split(' ');

/** ~20k files like a source tree or a rootfs: most small, some medium, a few large; a third of them text. */
async function generate(dir: string): Promise<{ files: number; bytes: number }> {
  const rand = mulberry32(2024);
  const files = Math.round(20_000 * scale);
  const pool = Buffer.allocUnsafe(64 << 20);
  randomFillSync(pool);
  const text = Buffer.from(Array.from({ length: 200_000 }, () => WORDS[Math.floor(rand() * WORDS.length)]).join(' '));
  let bytes = 0;
  for (let i = 0; i < files; i++) {
    const r = rand();
    const size = r < 0.45 ? Math.floor(rand() * 4096) : r < 0.8 ? 4096 + Math.floor(rand() * 28_672) : r < 0.97 ? 32_768 + Math.floor(rand() * 229_376) : 262_144 + Math.floor(rand() * 1_835_008);
    const d = join(dir, `d${i % 97}`, `s${(i * 7) % 13}`);
    await mkdir(d, { recursive: true });
    const isText = rand() < 0.33 && size <= text.length;
    const at = Math.floor(rand() * ((isText ? text.length : pool.length) - size));
    await writeFile(join(d, `f${i}.${isText ? 'txt' : 'bin'}`), (isText ? text : pool).subarray(at, at + size));
    bytes += size;
  }
  // A few large files fill the tree to ~1 GiB.
  const large = Math.max(0, Math.round((1 << 30) * scale) - bytes);
  await mkdir(join(dir, 'large'), { recursive: true });
  for (let i = 0; i < 4; i++) {
    const size = Math.floor(large / 4);
    const buf = Buffer.allocUnsafe(size);
    randomFillSync(buf);
    await writeFile(join(dir, 'large', `big${i}.img`), buf);
    bytes += size;
  }
  return { files: files + 4, bytes };
}

function duBytes(path: string): number {
  return Number(execFileSync('du', ['-sb', path]).toString().split('\t')[0]);
}

/** CPU seconds (user + system, all threads) besides wall time: this VM is often shared, and CPU time is what contention distorts least. */
const cpuOf = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1e6;
/** The main thread's CPU seconds (utime + stime of its task; Linux ticks are 1/100 s). */
function mainCpu(): number {
  const f = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

const importCacheOf = (storeDir: string) => `${storeDir}-import-cache`;

async function colonyImport(storeDir: string, src: string) {
  const t0 = now();
  const c0 = process.cpuUsage();
  const m0 = mainCpu();
  const store = await BlockStore.open(storeDir);
  // The import cache plays the part of restic's parent snapshot: unchanged files are not read.
  // It lives beside the store, as DATA/import-cache does, and, like restic's cache, is not
  // counted as the store's bytes.
  const { stats } = await importDirectory(store, src, { cache: importCacheOf(storeDir) });
  const t1 = now();
  await store.close(); // syncs: the import is durable when the time stops
  return { ms: now() - t0, cpu: cpuOf(process.cpuUsage(c0)), main: mainCpu() - m0, closeMs: now() - t1, stats };
}

/** Runs restic under bash, whose `times` reports the CPU its children used. */
function restic(args: string[], env: NodeJS.ProcessEnv): { ms: number; cpu: number } {
  const t0 = now();
  const out = execFileSync('bash', ['-c', 'restic "$@" >/dev/null; times', 'restic', ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] }).toString();
  const ms = now() - t0;
  const secs = [...(out.trim().split('\n')[1] ?? '').matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  return { ms, cpu: secs.reduce((a, b) => a + b, 0) };
}

async function main() {
  execFileSync(join(import.meta.dirname, '../scripts/ensure-apt.sh'), ['restic', 'attr'], { stdio: 'inherit' });
  const dir = await mkdtemp(join(process.env.COLONY_BENCH_DIR ?? tmpdir(), 'colony-bench-import-'));
  try {
    const src = join(dir, 'tree');
    process.stderr.write(`generating the tree (scale ${scale})...\n`);
    const tree = await generate(src);
    execFileSync('sync');
    const storeDir = join(dir, 'store');
    const repo = join(dir, 'restic');
    const env = { ...process.env, RESTIC_PASSWORD: 'colony-bench', RESTIC_REPOSITORY: repo, RESTIC_CACHE_DIR: join(dir, 'restic-cache') };

    process.stderr.write('colony import (first, then again)...\n');
    const first = await colonyImport(storeDir, src);
    const second = await colonyImport(storeDir, src);
    process.stderr.write('restic backup (first, then again)...\n');
    execFileSync('restic', ['init'], { env, stdio: 'ignore' });
    const r1 = restic(['backup', '--quiet', src], env);
    const r2 = restic(['backup', '--quiet', src], env);

    const gib = tree.bytes / 2 ** 30;
    const row = (what: string, ours: { ms: number; cpu: number }, anchor: { ms: number; cpu: number }, goal: number) => {
      const ratio = ours.ms / anchor.ms;
      return `${what.padEnd(22)} colony ${(ours.ms / 1000).toFixed(2).padStart(7)} s   restic ${(anchor.ms / 1000).toFixed(2).padStart(7)} s   ratio ${ratio.toFixed(2)}× (goal ≤ ${goal}×) ${ratio <= goal ? 'ok' : 'MISSED'}`
        + `   | cpu: colony ${ours.cpu.toFixed(2)} s, restic ${anchor.cpu.toFixed(2)} s (${(ours.cpu / anchor.cpu).toFixed(2)}×)`;
    };
    console.log(`load average at the end: ${execFileSync('cat', ['/proc/loadavg']).toString().split(' ').slice(0, 3).join(' ')} on ${execFileSync('nproc').toString().trim()} CPUs`);
    console.log(`tree: ${tree.files} files, ${gib.toFixed(2)} GiB; colony wrote ${first.stats.blocksWritten} blocks, then ${second.stats.blocksWritten} (re-import read ${second.stats.files - second.stats.reused} of ${second.stats.files} files)`);
    console.log(row('first import', first, r1, 0.7));
    console.log(row('re-import (unchanged)', second, r2, 0.25));
    for (const [what, r] of [['first', first], ['re-import', second]] as const) {
      console.log(`colony ${what}: main thread ${r.main.toFixed(2)} s of ${(r.ms / 1000).toFixed(2)} s; the closing sync ${(r.closeMs / 1000).toFixed(2)} s`);
    }
    console.log(`throughput: colony first ${(tree.bytes / 1e6 / (first.ms / 1000)).toFixed(0)} MB/s, re-import ${(tree.bytes / 1e6 / (second.ms / 1000)).toFixed(0)} MB/s`);
    const storeBytes = duBytes(storeDir);
    const repoBytes = duBytes(repo);
    const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;
    console.log(`bytes on disk: colony store ${mib(storeBytes)} (arenas ${mib(duBytes(join(storeDir, 'arenas')))}, index ${mib(duBytes(join(storeDir, 'index')))}; the import cache beside it ${mib(duBytes(importCacheOf(storeDir)))}, restic's cache ${mib(duBytes(join(dir, 'restic-cache')))}, neither counted), restic repository ${mib(repoBytes)} (data ${mib(duBytes(join(repo, 'data')))}, index ${mib(duBytes(join(repo, 'index')))}, snapshots and trees in data) (${(storeBytes / repoBytes).toFixed(2)}×)`);
    const x = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
    console.log(`summary import: first ${x(first.ms, r1.ms)} restic (goal ≤ 0.7×), re-import ${x(second.ms, r2.ms)} restic's second (goal ≤ 0.25×), disk ${x(storeBytes, repoBytes)} restic's repository (goal ≤ 1.0×); scale ${scale}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
