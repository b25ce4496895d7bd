// SIGKILL at random points: whatever a completed sync() acknowledged must survive, and
// the store must reopen without manual repair. Rounds: COLONY_CRASH_ROUNDS (default 50).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import t from 'tap';
import { MemoryLog } from '../../../appliance/log.js';
import { BlockStore, loadHash } from '../../../appliance/store/index.js';
import { repoRoot, tsLoader, childEnv } from '../../helpers/cli.js';
import { tmpDir } from '../../helpers/tmp.js';
import { crashBlock, mulberry32 } from '../../fixtures/store-crash-data.js';

const rounds = Number(process.env.COLONY_CRASH_ROUNDS ?? 50);
const child = join(repoRoot, 'test/fixtures/store-crash-child.ts');

/** Runs the child until a random moment, kills it, and returns the last acknowledged count. */
function runAndKill(dir: string, seed: number, killAfterMs: number): Promise<{ acked: number; killed: boolean }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [...tsLoader, child, dir, String(seed)], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: childEnv() });
    let acked = 0;
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    const guard = setTimeout(() => proc.kill('SIGKILL'), 60_000);
    proc.stderr.on('data', (b) => { stderr += b; });
    createInterface({ input: proc.stdout }).on('line', (line) => {
      if (line === 'ready') timer = setTimeout(() => proc.kill('SIGKILL'), killAfterMs);
      const m = /^synced (\d+)$/.exec(line);
      if (m) acked = Number(m[1]);
    });
    proc.on('error', reject);
    proc.on('close', (code, signal) => {
      clearTimeout(guard);
      clearTimeout(timer);
      if (signal !== 'SIGKILL') reject(new Error(`child exited with ${code}: ${stderr}`));
      else resolve({ acked, killed: true });
    });
  });
}

t.test(`${rounds} rounds of SIGKILL during puts and syncs`, async (t) => {
  const { hash } = await loadHash();
  const rand = mulberry32(Number(process.env.COLONY_CRASH_SEED ?? 20261121));
  let totalAcked = 0;
  let repairs = 0;
  for (let round = 0; round < rounds; round++) {
    const dir = await tmpDir(t, 'colony-crash-');
    const seed = Math.floor(rand() * 1e9);
    // Two kills per directory: the second lands on a store that already recovered once.
    let acked = 0;
    for (const kill of [Math.floor(rand() * 400), Math.floor(rand() * 400)]) {
      acked = Math.max(acked, (await runAndKill(dir, seed, kill)).acked);
    }
    const log = new MemoryLog();
    const store = await BlockStore.open(dir, { arenaBytes: 4 << 20, log });
    try {
      let missing = 0;
      for (let i = 0; i < acked; i++) {
        const block = crashBlock(seed, i);
        const got = await store.get(hash(block)).catch(() => undefined);
        if (!got || !got.equals(block)) missing++;
      }
      if (missing) t.fail(`round ${round} (seed ${seed}): ${missing} of ${acked} acknowledged blocks missing`);
      const report = await store.verify();
      if (!report.ok) t.fail(`round ${round} (seed ${seed}): verify after recovery: ${JSON.stringify(report)}`);
      if (log.lines.some((l) => l.level === 'warn' || l.level === 'error')) repairs++;
      totalAcked += acked;
    } finally {
      await store.close();
    }
  }
  t.pass(`${rounds} rounds, ${totalAcked} acknowledged blocks checked, ${repairs} opens repaired a torn tail or similar`);
  t.ok(totalAcked > 0, 'the children acknowledged some syncs (the test exercised something)');
});
