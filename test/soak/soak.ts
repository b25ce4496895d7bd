// `npm run soak`: a supervisor with 5 environments (2 ram, 3 disk) under 9P writes and
// reads and SSH saves for --minutes, SIGKILLed at random moments and started again; after
// each restart every acknowledged save and every fsynced file of a disk environment is
// checked (the new ones all, older ones by sample; all of them after the last kill), and the
// supervisor's RSS is sampled throughout. Not part of CI; see test/soak/README.md.
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot, runCli } from '../helpers/cli.js';
import { mulberry32 } from '../helpers/random.js';
import { Gate, Load, type Env } from './load.js';
import { SOAK_USER, SoakServer, sleep } from './server.js';
import { SEED_HELLO, sample, Verifier } from './verify.js';

const { values: opt } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    seed: { type: 'string' },
    data: { type: 'string' },
    keep: { type: 'boolean', default: false },
    'kill-min': { type: 'string', default: '30' },
    'kill-max': { type: 'string', default: '120' },
    'rss-limit-mib': { type: 'string', default: '1536' },
    'max-file-kib': { type: 'string', default: '64' },
    'files-per-env': { type: 'string', default: '200' },
    'self-test': { type: 'boolean', default: false },
  },
});
const minutes = Number(opt.minutes);
const seed = opt.seed !== undefined ? Number(opt.seed) : Math.floor(Math.random() * 2 ** 31);
const rssLimit = Number(opt['rss-limit-mib']) * 2 ** 20;
// A short run still sees several kills: the longest gap is at most a third of it.
const killMax = Math.min(Number(opt['kill-max']), (minutes * 60) / 3);
const killMin = Math.min(Number(opt['kill-min']), killMax);
if (!(minutes > 0) || !Number.isInteger(seed) || !(killMin > 0)) throw new Error('usage: npm run soak -- [--minutes N] [--seed N] [--data DIR] [--keep] [--kill-min S] [--kill-max S] [--rss-limit-mib N] [--max-file-kib N] [--files-per-env N] [--self-test]');

const t0 = Date.now();
const say = (s: string) => console.log(`[soak ${((Date.now() - t0) / 1000).toFixed(0).padStart(5)}s] ${s}`);
const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;

async function main(): Promise<number> {
  execFileSync(join(repoRoot, 'scripts/ensure-apt.sh'), ['openssh-client'], { stdio: 'inherit', timeout: 300_000 });
  const work = await mkdtemp(join(tmpdir(), 'colony-soak-'));
  const data = opt.data ?? join(work, 'data');
  say(`seed ${seed}, ${minutes} min, kills every ${killMin}-${killMax} s, data ${data}`);
  const rand = mulberry32(seed);

  const seedDir = join(work, 'seed');
  await mkdir(seedDir, { mode: 0o755 });
  await chmod(seedDir, 0o755);
  await writeFile(join(seedDir, 'hello'), SEED_HELLO);
  const key = join(work, 'id_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'colony-soak', '-f', key]);
  // The first import makes the first admin (whose one-time password SSH would make us
  // replace first); the soak works as its own admin `soak`, with a key and no password.
  const cli = async (args: string[]) => {
    const r = await runCli([...args, '--data', data], { timeoutMs: 120_000, env: { COLONY_LOG_LEVEL: 'warn' } });
    if (r.code !== 0) throw new Error(`colony ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  };
  await cli(['import', seedDir, 'first', '--comment', 'makes the first admin']);
  await cli(['users', 'add', SOAK_USER, '--admin', '--key', `${key}.pub`]);
  await cli(['import', seedDir, 'base', '--user', SOAK_USER, '--comment', 'the soak base']);

  const server = await SoakServer.create(data, key);
  const gate = new Gate();
  const verifier = new Verifier(server, seed, work, opt['self-test']);
  const envs: Env[] = [0, 1, 2, 3, 4].map((i) => ({ name: `e${i}`, disk: i >= 2, aname: '', files: [], next: 0 }));
  const load = new Load(server, envs, gate, seed, Number(opt['max-file-kib']) * 1024, Number(opt['files-per-env']));
  let kills = 0;
  let loadStart = Date.now();
  let loadDone: Promise<unknown> = Promise.resolve();
  try {
    await server.start();
    for (const e of envs) await spawnEnv(server, e, kills);
    say(`supervisor pid ${server.pid} ready; environments ${envs.map((e) => `${e.name}(${e.disk ? 'disk' : 'ram'})`).join(' ')}`);
    gate.open = true;
    loadStart = Date.now();
    loadDone = load.run();

    const deadline = t0 + minutes * 60_000;
    let savesSeen = 0;
    for (let round = 0; round < 100_000; round++) {
      // The last kill comes at the deadline, when the next would not fit before it.
      const left = Math.max(0, deadline - Date.now());
      const gap = (killMin + rand() * (killMax - killMin)) * 1000;
      const last = gap + killMin * 1000 >= left;
      await sleep(last ? left : gap);
      gate.close();
      await server.kill();
      kills++;
      await gate.drained();
      const pidBefore = server.pid;
      const lifeRss = server.lifePeakRss;
      await server.start();
      // Every fsynced file a disk environment holds (at most --files-per-env each). Saves:
      // the new ones and a sample of the old; after the last kill, every one.
      for (const e of envs.filter((x) => x.disk)) await verifier.diskFiles(e, e.files);
      const saves = last ? load.saves : [...sample(load.saves.slice(0, savesSeen), 2, rand), ...load.saves.slice(savesSeen)];
      savesSeen = load.saves.length;
      if (last) say(`last kill: checking all ${saves.length} saves`);
      await inParallel(saves, 2, (s) => verifier.save(s));
      for (const e of envs.filter((x) => !x.disk)) { e.files = []; await spawnEnv(server, e, kills); }
      const v = verifier.tally;
      say(`kill ${kills} (pid ${pidBefore} → ${server.pid}): verified ${v.saves} saves, ${v.files} files, ${mib(v.bytes)}; ` +
        `written ${load.c.writes} files, ${load.c.saves} saves; RSS peak of that run ${mib(lifeRss)}, overall ${mib(server.peakRss)}; losses ${v.losses.length + load.c.losses.length}, errors ${load.c.errors.length}`);
      if (last) break;
      gate.open = true;
    }
  } finally {
    gate.stopping = true;
    await loadDone;
    await server.stop();
    if (!opt.keep) await rm(work, { recursive: true, force: true });
    else say(`kept ${work}`);
  }

  const v = verifier.tally;
  const losses = [...v.losses, ...load.c.losses];
  const rssOk = server.peakRss <= rssLimit;
  // Held: from the load's start to the end of the last check.
  const held = (Date.now() - loadStart) / 3_600_000;
  console.log('\nsoak summary');
  console.log(`  seed              ${seed}`);
  console.log(`  hours held        ${held.toFixed(3)} (${(held * 60).toFixed(1)} min)`);
  console.log(`  kills survived    ${kills}`);
  console.log(`  saves verified    ${v.saves} checks of ${load.saves.length} acknowledged saves (each exported and compared at least once)`);
  console.log(`  files verified    ${v.files} checks (fsynced files of disk environments, and files inside saves)`);
  console.log(`  bytes verified    ${v.bytes} (${mib(v.bytes)}); live reads ${load.c.liveReads} (${mib(load.c.liveBytes)})`);
  console.log(`  written           ${load.c.writes} files, ${mib(load.c.bytesWritten)}; ${load.c.removes} removed; ${load.c.consoleLines} other SSH lines`);
  console.log(`  peak RSS          ${mib(server.peakRss)} (limit ${mib(rssLimit)}, ${server.samples} samples)${rssOk ? '' : '  EXCEEDED'}`);
  console.log(`  unexpected errors ${load.c.errors.length}`);
  for (const e of load.c.errors.slice(0, 20)) console.log(`    ${e}`);
  console.log(`  losses            ${losses.length}`);
  for (const l of losses.slice(0, 50)) console.log(`    ${l}`);
  const ok = losses.length === 0 && rssOk && load.c.errors.length === 0;
  console.log(ok ? 'PASS' : 'FAIL');
  return ok ? 0 : 1;
}

/** Runs `f` over `xs`, `width` at a time. */
async function inParallel<T>(xs: T[], width: number, f: (x: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => { while (next < xs.length) await f(xs[next++]!); }));
}

/** Spawns (ram) or spawndisk (disk) `base` as the environment; SSH for some, ctl for others. */
async function spawnEnv(server: SoakServer, e: Env, kills: number): Promise<void> {
  const line = `${e.disk ? 'spawndisk' : 'spawn'} base as ${e.name}`;
  let out: string;
  if ((Number(e.name.slice(1)) + kills) % 2 === 0) {
    const r = await server.ssh(line);
    if (r.code !== 0) throw new Error(`ssh ${line} exited ${r.code}: ${r.stdout}${r.stderr}`);
    out = r.stdout;
  } else {
    out = await server.ctl(line);
  }
  const aname = /^aname: (\S+)$/m.exec(out)?.[1];
  if (!aname) throw new Error(`${line} printed no aname: ${out}`);
  e.aname = aname;
}

main().then((code) => process.exit(code), (err) => {
  console.error(`soak failed: ${(err as Error).stack ?? err}`);
  process.exit(2);
});
