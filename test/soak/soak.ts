// `npm run soak`: a supervisor with 5 environments (2 ram, 3 disk) under 9P writes and
// reads and SSH saves for --minutes, SIGKILLed at random moments and started again; after
// each restart every acknowledged save and every fsynced file of a disk environment is
// checked (the new ones all, older ones by sample; all of them after the last kill), and the
// supervisor's RSS is sampled throughout. Not part of CI; see test/soak/README.md.
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot, runCli } from '../helpers/cli.js';
import { mulberry32 } from '../helpers/random.js';
import { Gate, Load, type Env } from './load.js';
import { SoakServer, sleep } from './server.js';
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
    'self-test': { type: 'boolean', default: false },
  },
});
const minutes = Number(opt.minutes);
const seed = opt.seed !== undefined ? Number(opt.seed) : Math.floor(Math.random() * 2 ** 31);
const rssLimit = Number(opt['rss-limit-mib']) * 2 ** 20;
// A short run still sees several kills: the longest gap is at most a third of it.
const killMax = Math.min(Number(opt['kill-max']), (minutes * 60) / 3);
const killMin = Math.min(Number(opt['kill-min']), killMax);
if (!(minutes > 0) || !Number.isInteger(seed) || !(killMin > 0)) throw new Error('usage: npm run soak -- [--minutes N] [--seed N] [--data DIR] [--keep] [--kill-min S] [--kill-max S] [--rss-limit-mib N] [--max-file-kib N] [--self-test]');

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
  const imported = await runCli(['import', seedDir, 'base', '--data', data], { timeoutMs: 120_000, env: { COLONY_LOG_LEVEL: 'warn' } });
  if (imported.code !== 0) throw new Error(`colony import failed: ${imported.stderr}`);
  const key = join(work, 'id_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'colony-soak', '-f', key]);

  const server = await SoakServer.create(data, key);
  const gate = new Gate();
  const verifier = new Verifier(server, seed, work, opt['self-test']);
  const envs: Env[] = [0, 1, 2, 3, 4].map((i) => ({ name: `e${i}`, disk: i >= 2, aname: '', files: [], next: 0 }));
  const load = new Load(server, envs, gate, seed, Number(opt['max-file-kib']) * 1024);
  let kills = 0;
  let loadDone: Promise<unknown> = Promise.resolve();
  try {
    await server.start();
    await server.ctl(`keys add ${(await readFile(`${key}.pub`, 'utf8')).trim()}`);
    for (const e of envs) await spawnEnv(server, e, kills);
    say(`supervisor pid ${server.pid} ready; environments ${envs.map((e) => `${e.name}(${e.disk ? 'disk' : 'ram'})`).join(' ')}`);
    gate.open = true;
    loadDone = load.run();

    const deadline = t0 + minutes * 60_000;
    // Verified so far: how many files of each disk environment, how many saves.
    const seen = new Map<string, number>();
    let savesSeen = 0;
    for (let round = 0; round < 100_000; round++) {
      const last = Date.now() + killMin * 1000 >= deadline;
      const wait = last ? Math.max(0, deadline - Date.now()) : (killMin + rand() * (killMax - killMin)) * 1000;
      await sleep(Math.min(wait, Math.max(0, deadline - Date.now())));
      gate.close();
      await server.kill();
      kills++;
      await gate.drained();
      const pidBefore = server.pid;
      await server.start();
      // After the last kill everything is checked; before, the new and a sample of the old.
      for (const e of envs.filter((x) => x.disk)) {
        const from = seen.get(e.name) ?? 0;
        const recs = last ? e.files : [...sample(e.files.slice(0, from), 50, rand), ...e.files.slice(from)];
        await verifier.diskFiles(e, recs);
        seen.set(e.name, e.files.length);
      }
      const saves = last ? load.saves : [...sample(load.saves.slice(0, savesSeen), 2, rand), ...load.saves.slice(savesSeen)];
      savesSeen = load.saves.length;
      for (const s of saves) await verifier.save(s);
      for (const e of envs.filter((x) => !x.disk)) { e.files = []; await spawnEnv(server, e, kills); }
      const v = verifier.tally;
      say(`kill ${kills} (pid ${pidBefore} → ${server.pid}): verified ${v.saves} saves, ${v.files} files, ${mib(v.bytes)}; ` +
        `written ${load.c.writes} files, ${load.c.saves} saves; peak RSS ${mib(server.peakRss)}; losses ${v.losses.length + load.c.losses.length}, errors ${load.c.errors.length}`);
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
  const held = (Date.now() - t0) / 3_600_000;
  console.log('\nsoak summary');
  console.log(`  seed              ${seed}`);
  console.log(`  hours held        ${held.toFixed(3)} (${(held * 60).toFixed(1)} min)`);
  console.log(`  kills survived    ${kills}`);
  console.log(`  saves verified    ${v.saves} (of ${load.saves.length} acknowledged, each export compared at least once)`);
  console.log(`  files verified    ${v.files} (fsynced in disk environments and inside saves)`);
  console.log(`  bytes verified    ${v.bytes} (${mib(v.bytes)}); live reads ${load.c.liveReads} (${mib(load.c.liveBytes)})`);
  console.log(`  written           ${load.c.writes} files, ${mib(load.c.bytesWritten)}; ${load.c.consoleLines} other SSH lines`);
  console.log(`  peak RSS          ${mib(server.peakRss)} (limit ${mib(rssLimit)}, ${server.samples} samples)${rssOk ? '' : '  EXCEEDED'}`);
  console.log(`  unexpected errors ${load.c.errors.length}`);
  for (const e of load.c.errors.slice(0, 20)) console.log(`    ${e}`);
  console.log(`  losses            ${losses.length}`);
  for (const l of losses.slice(0, 50)) console.log(`    ${l}`);
  const ok = losses.length === 0 && rssOk && load.c.errors.length === 0;
  console.log(ok ? 'PASS' : 'FAIL');
  return ok ? 0 : 1;
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
