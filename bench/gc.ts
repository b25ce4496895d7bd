// bench/gc: reclaiming space, Colony's garbage collector against `restic forget --prune` on
// the same data in one run (issue 18).
//   A store of ~2 GiB: 16 trees of 128 MiB imported in turn, so every 512 MiB arena holds
//   two trees that stay named and two that are forgotten (garbage mixed into every arena).
//   restic backs up the same 16 trees as 16 snapshots and forgets the same 8.
// Figures: gc time against restic's forget --prune time; bytes the collector wrote against
// the live bytes it had to move (write amplification, from /proc's write_bytes of each
// process); the bytes reclaimed by each, as allocated disk blocks (du without
// --apparent-size: Colony frees garbage with holes, which keep a file's length).
// Goals: time ≤ 1.0× restic; bytes written ≤ 1.1× the live data moved.
// COLONY_BENCH_SCALE scales the trees (default 1); COLONY_BENCH_DIR the scratch directory.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectGarbage } from '../appliance/gc/index.js';
import { importDirectory } from '../appliance/snapshot/index.js';
import { BlockStore, type Score } from '../appliance/store/index.js';
import { silentLog } from '../appliance/log.js';
import { mulberry32 } from '../test/helpers/random.js';

const scale = Number(process.env.COLONY_BENCH_SCALE ?? 1);
const TREES = 16;
const TREE_BYTES = Math.round(128 * 2 ** 20 * scale);
const MiB = 2 ** 20;
const now = () => performance.now();

/** One tree of distinct, incompressible bytes: a few large files and a hundred small ones. */
async function makeTree(dir: string, seed: number): Promise<void> {
  const rand = mulberry32(seed);
  const fill = (b: Buffer) => { for (let i = 0; i + 4 <= b.length; i += 4) b.writeUInt32LE(Math.floor(rand() * 2 ** 32), i); return b; };
  await mkdir(join(dir, 'small'), { recursive: true });
  let left = TREE_BYTES;
  for (let i = 0; i < 100; i++) { const b = fill(Buffer.allocUnsafe(8192)); await writeFile(join(dir, 'small', `f${i}`), b); left -= b.length; }
  for (let i = 0; left > 0; i++) {
    const size = Math.min(left, 16 * MiB);
    await writeFile(join(dir, `big${i}.bin`), fill(Buffer.allocUnsafe(size)));
    left -= size;
  }
}

/** Bytes this process (and its reaped children) caused to be written to storage. */
const writeBytes = (io: string) => Number(/write_bytes: (\d+)/.exec(io)?.[1] ?? NaN);
/** Bytes the disk gives to `path` (allocated blocks: a punched hole takes none). */
const du = (path: string) => Number(execFileSync('du', ['-s', '--block-size=1', path]).toString().split('\t')[0]);

async function main(): Promise<void> {
  execFileSync(join(import.meta.dirname, '../scripts/ensure-apt.sh'), ['restic'], { stdio: 'inherit' });
  const dir = await mkdtemp(join(process.env.COLONY_BENCH_DIR ?? tmpdir(), 'colony-bench-gc-'));
  try {
    // Arenas of four trees (512 MiB at scale 1), so each holds kept and forgotten trees alike.
    const store = await BlockStore.open(join(dir, 'store'), { arenaBytes: Math.max(4 * MiB, Math.round(512 * MiB * scale)) });
    const repo = join(dir, 'restic');
    const env = { ...process.env, RESTIC_PASSWORD: 'colony-bench', RESTIC_REPOSITORY: repo, RESTIC_CACHE_DIR: join(dir, 'restic-cache') };
    execFileSync('restic', ['init'], { env, stdio: 'ignore' });
    const kept: Score[] = [];
    const resticForget: string[] = [];
    process.stderr.write(`bench/gc: ${TREES} trees of ${(TREE_BYTES / MiB).toFixed(0)} MiB into the store and into restic...\n`);
    for (let i = 0; i < TREES; i++) {
      const src = join(dir, `tree${i}`);
      await makeTree(src, 1000 + i);
      const { root } = await importDirectory(store, src);
      await store.sync();
      // Trees 1, 2 of every 4 are forgotten, so each arena of four trees is half garbage.
      const forget = i % 4 === 1 || i % 4 === 2;
      if (!forget) kept.push(root);
      const out = execFileSync('restic', ['backup', '--json', '--quiet', src], { env }).toString();
      const id = /"snapshot_id":"([0-9a-f]+)"/.exec(out)?.[1];
      if (!id) throw new Error(`restic backup gave no snapshot id: ${out.slice(0, 200)}`);
      if (forget) resticForget.push(id);
      await rm(src, { recursive: true });
    }
    const storeBefore = du(join(dir, 'store'));
    const repoBefore = du(repo);

    // Colony: mark from the kept roots, plan, compact (no I/O throttle: the bench measures the work).
    const io0 = readFileSync('/proc/self/io', 'utf8');
    const t0 = now();
    const report = await collectGarbage({ store, roots: async () => ({ roots: kept, scores: [] }), log: silentLog, dryRun: false, bytesPerSecond: Number.MAX_SAFE_INTEGER });
    const colonyMs = now() - t0;
    const colonyWritten = writeBytes(readFileSync('/proc/self/io', 'utf8')) - writeBytes(io0);
    await store.close();
    const storeAfter = du(join(dir, 'store'));

    // restic: forget the same trees and prune, under bash so its reaped I/O shows in bash's /proc entry.
    const t1 = now();
    const io = execFileSync('bash', ['-c', 'restic forget --prune "$@" >/dev/null; cat /proc/$$/io', 'restic', ...resticForget], { env, stdio: ['ignore', 'pipe', 'inherit'] }).toString();
    const resticMs = now() - t1;
    const resticWritten = writeBytes(io);
    const repoAfter = du(repo);

    const ratio = colonyMs / resticMs;
    // Live data copied is report.writtenBytes; holes move none, and then the goal is that the
    // collector writes next to nothing (its index and freed-ranges files: under 1 MiB).
    const moved = report.writtenBytes;
    const amplification = colonyWritten / Math.max(MiB, moved);
    const mib = (n: number) => `${(n / MiB).toFixed(1)} MiB`;
    console.log(`gc time            colony ${(colonyMs / 1000).toFixed(2).padStart(7)} s   restic forget --prune ${(resticMs / 1000).toFixed(2).padStart(7)} s   ratio ${ratio.toFixed(2)}× (goal ≤ 1.0×) ${ratio <= 1 ? 'ok' : 'MISSED'}`);
    console.log(`bytes written      colony ${mib(colonyWritten)} for ${mib(moved)} of live data moved (${moved ? '' : 'none: holes freed the garbage in place; '}ratio to max(moved, 1 MiB) ${amplification.toFixed(2)}×, goal ≤ 1.1×) ${amplification <= 1.1 ? 'ok' : 'MISSED'}   | restic wrote ${mib(resticWritten)}`);
    console.log(`reclaimed          colony ${mib(storeBefore - storeAfter)} (${mib(storeBefore)} → ${mib(storeAfter)} on disk; plan: ${report.rewrite.length} arenas freed in place, ${report.copied.length} of them copied, ${report.remove.length} removed)   restic ${mib(repoBefore - repoAfter)} (${mib(repoBefore)} → ${mib(repoAfter)})`);
    console.log(`summary gc: time ${ratio.toFixed(2)}× restic, write amplification ${amplification.toFixed(2)}×, reclaimed ${mib(storeBefore - storeAfter)} vs restic ${mib(repoBefore - repoAfter)}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
