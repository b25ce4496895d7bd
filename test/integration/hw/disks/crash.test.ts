// A power cut at every step: the colony process is SIGKILLed right after each step
// (COLONY_DISK_STOP_AFTER, a test-only hook), or its whole process group at a random moment;
// a rerun finishes the job, the filesystem checks clean and the files are kept.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { childEnv, cliEntry, repoRoot } from '../../../helpers/cli.js';
import { bench, cannotRun, disk, fsck, GiB, MiB, PATH, sh, sha256, type Bench } from './helpers.js';

const why = cannotRun();

async function finishAndCheck(t: Parameters<typeof bench>[0], b: Bench, dev: string, cmd: string[]) {
  const rerun = await disk([...cmd, '--data', b.data, '--unit-dir', b.units]);
  t.equal(rerun.code, 0, rerun.stderr);
  const after = await disk([...cmd, '--dry-run', '--json', '--data', b.data, '--unit-dir', b.units]);
  t.same(JSON.parse(after.stdout).plan, [], 'complete: nothing left to do');
  sh('umount', [b.data]);
  t.equal(fsck(`${dev}p1`).code, 0, 'clean e2fsck');
}

for (const step of ['partition', 'mkfs', 'check', 'mount', 'unit']) {
  t.test(`provision killed after ${step}, then rerun`, { skip: why ?? false }, async (t) => {
    const b = await bench(t, GiB);
    const dev = b.attach();
    const cut = await disk(['provision', dev, '--data', b.data, '--unit-dir', b.units], { COLONY_DISK_STOP_AFTER: step });
    t.equal(cut.signal, 'SIGKILL', cut.stderr);
    await finishAndCheck(t, b, dev, ['provision', dev]);
  });
}

for (const step of ['grow-partition', 'check', 'resize', 'mount']) {
  t.test(`grow killed after ${step}, then rerun; files kept`, { skip: why ?? false }, async (t) => {
    const b = await bench(t, GiB);
    let dev = b.attach();
    t.equal((await disk(['provision', dev, '--data', b.data, '--unit-dir', b.units])).code, 0);
    const f = join(b.data, 'arena');
    await writeFile(f, randomBytes(5 * MiB));
    const sum = await sha256(f);
    sh('umount', [b.data]);
    b.detach(dev);
    await b.sizeTo(GiB + 300 * MiB);
    dev = b.attach();
    const cut = await disk(['grow', dev, '--data', b.data, '--unit-dir', b.units], { COLONY_DISK_STOP_AFTER: step });
    t.equal(cut.signal, 'SIGKILL', cut.stderr);
    const rerun = await disk(['grow', dev, '--data', b.data, '--unit-dir', b.units]);
    t.equal(rerun.code, 0, rerun.stderr);
    t.equal(await sha256(f), sum, 'file kept');
    await finishAndCheck(t, b, dev, ['grow', dev]);
    t.match(sh('sfdisk', ['--verify', dev]), /No errors detected/);
  });
}

/** Kills the command's whole process group (its tools too, as a power cut would) after `ms`. */
function killAfter(args: string[], ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', cliEntry, 'disk', ...args],
      { cwd: repoRoot, env: childEnv({ PATH }), stdio: 'ignore', detached: true });
    const timer = setTimeout(() => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* already done */ } }, ms);
    child.on('error', reject);
    child.on('close', () => { clearTimeout(timer); resolve(); });
  });
}

t.test('provision killed with its tools at random moments, then rerun', { skip: why ?? false }, async (t) => {
  const seed = Number(process.env.COLONY_TEST_SEED ?? Date.now() % 100000);
  t.comment(`seed ${seed} (COLONY_TEST_SEED replays it)`);
  let x = seed;
  const next = () => { x = (x * 1103515245 + 12345) % 2147483648; return x / 2147483648; };
  for (let i = 0; i < 3; i++) {
    const b = await bench(t, GiB);
    const dev = b.attach();
    await killAfter(['provision', dev, '--data', b.data, '--unit-dir', b.units], Math.floor(next() * 3000));
    await finishAndCheck(t, b, dev, ['provision', dev]);
  }
});
