// SIGKILL at random moments while collections mark and compact a store of real snapshots,
// with new garbage and new live names between kills: after every kill the store opens,
// every live name exports byte-exact, no index entry names a missing arena, and no block
// is corrupt. Rounds: COLONY_GC_CRASH_ROUNDS (default 50, in two lanes).
import { spawn } from 'node:child_process';
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { exportDirectory, importDirectory } from '../../../appliance/snapshot/index.js';
import { BlockStore, formatScore, type Score } from '../../../appliance/store/index.js';
import { childEnv, repoRoot, tsLoader } from '../../helpers/cli.js';
import { mulberry32 } from '../../helpers/random.js';
import { tmpDir } from '../../helpers/tmp.js';
import { GC_CRASH_STORE } from './gc-crash-child.js';

const rounds = Number(process.env.COLONY_GC_CRASH_ROUNDS ?? 50);
const child = fileURLToPath(new URL('./gc-crash-child.ts', import.meta.url));
const pattern = (n: number, seed: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed * 101 + Math.floor(i / 4096)) % 253));

/** A tree of 3 to 6 files of 100 to 300 KB, unique to `seed`. */
async function makeTree(t: Test, seed: number): Promise<string> {
  const rand = mulberry32(seed);
  const src = await tmpDir(t);
  await mkdir(join(src, 'd'));
  const files = 3 + Math.floor(rand() * 4);
  for (let i = 0; i < files; i++) await writeFile(join(src, 'd', `f${i}`), pattern(100_000 + Math.floor(rand() * 200_000), seed * 10 + i));
  return src;
}

function runAndKill(dir: string, rootsFile: string, killAfterMs: number): Promise<{ compacting: boolean; collected: number }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [...tsLoader, child, dir, rootsFile], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: childEnv() });
    let compacting = false;
    let collected = 0;
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    const guard = setTimeout(() => proc.kill('SIGKILL'), 30_000);
    proc.stderr.on('data', (b) => { stderr += b; });
    createInterface({ input: proc.stdout }).on('line', (line) => {
      if (line === 'ready') timer = setTimeout(() => proc.kill('SIGKILL'), killAfterMs);
      else if (line === 'compacting') compacting = true;
      else if (line === 'collected') { compacting = false; collected++; }
    });
    proc.on('error', reject);
    proc.on('close', (code, signal) => {
      clearTimeout(guard);
      clearTimeout(timer);
      if (signal !== 'SIGKILL') reject(new Error(`child exited with ${code}: ${stderr}`));
      else resolve({ compacting, collected });
    });
  });
}

async function sameTree(src: string, out: string): Promise<boolean> {
  for (let i = 0; ; i++) {
    const a = await readFile(join(src, 'd', `f${i}`)).catch(() => undefined);
    const b = await readFile(join(out, 'd', `f${i}`)).catch(() => undefined);
    if (!a && !b) return true;
    if (!a || !b || !a.equals(b)) return false;
  }
}

async function lane(t: Test, seed: number, rounds: number) {
  const rand = mulberry32(seed);
  const dir = await tmpDir(t, 'colony-gc-crash-');
  const rootsFile = join(await tmpDir(t), 'roots');
  await writeFile(rootsFile, '');
  const live: Array<{ root: Score; src: string }> = [];
  let inCompaction = 0;
  let collected = 0;
  for (let round = 0; round <= rounds; round++) {
    const store = await BlockStore.open(dir, GC_CRASH_STORE);
    try {
      let broken = 0;
      for (const { root, src } of live) {
        const out = join(await tmpDir(t), 'x');
        const ok = await exportDirectory(store, root, out).then(() => sameTree(src, out), () => false);
        if (!ok) broken++;
      }
      const arenas = new Set((await store.arenaUsage()).map((a) => a.number));
      let dangling = 0;
      for await (const e of store.indexEntries()) if (!arenas.has(e.arena)) dangling++;
      const report = await store.verify();
      if (broken || dangling || report.corrupt.length) {
        t.fail(`round ${round} (seed ${seed}): ${broken} of ${live.length} live names broken, ${dangling} entries in missing arenas, ${report.corrupt.length} corrupt`);
        break;
      }
      if (round === rounds) break;
      // New garbage every round (an import never named), a new live name every third.
      await importDirectory(store, await makeTree(t, seed * 1000 + round * 2), { xattrs: false });
      if (round % 3 === 0) {
        const src = await makeTree(t, seed * 1000 + round * 2 + 1);
        const { root } = await importDirectory(store, src, { xattrs: false });
        live.push({ root, src });
        await store.sync();
        await appendFile(rootsFile, `${formatScore(root)}\n`);
      }
      await store.sync();
    } finally {
      await store.close();
    }
    const run = await runAndKill(dir, rootsFile, 100 + Math.floor(rand() * 900));
    if (run.compacting) inCompaction++;
    collected += run.collected;
  }
  return { inCompaction, collected, names: live.length };
}

t.test(`${rounds} SIGKILLs while collections mark and compact`, async (t) => {
  const seed = Number(process.env.COLONY_CRASH_SEED ?? 20261207);
  const started = Date.now();
  const lanes = await Promise.all([lane(t, seed, Math.ceil(rounds / 2)), lane(t, seed + 1, Math.floor(rounds / 2))]);
  const sum = (k: 'inCompaction' | 'collected' | 'names') => lanes.reduce((n, l) => n + l[k], 0);
  t.pass(`${rounds} rounds in ${Date.now() - started} ms: ${sum('names')} live names checked each round, ${sum('collected')} collections finished, ${sum('inCompaction')} kills inside a compaction`);
  t.ok(sum('inCompaction') > 0, 'some kills landed inside a compaction');
  t.ok(sum('collected') > 0, 'some collections finished');
});
