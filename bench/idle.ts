// bench/idle: what an idle supervisor costs. Four real `colony serve` processes on loopback;
// the first is paired with the other three at the console (as docs/grid.md says), imports a
// small snapshot and spawns 5 environments from it. After a settle time nothing is asked of
// anyone, and the first supervisor's RSS (VmRSS), PSS (smaps_rollup), CPU (utime+stime) and
// wakeups (context switches of all its threads) are read over a window, beside an idle
// `node -e 'setInterval(()=>{},1000)'` measured over the same window. Goal (issue 20):
// < 80 MB RSS and < 1% of one core.
// Two configurations: the defaults (the unit's node flags), and a 1 GB-RAM profile (below).
// Then a diagnosis run (defaults, with bench/idle-timers.ts preloaded) names every timer that
// fired in the window by the file:line that armed it, and strace counts the syscalls.
// Usage: bench/idle.ts [--settle 20] [--window 60] [--tsx] [--no-diagnose | --diagnose-only]
//   [--bundle] (the single-file build, bench/bundle.mjs, instead of the tsc output)
//   [--profile NAME] [--a-env K=V]... [--a-flag=--node-flag]... (trials: env and flags on A alone)
// It runs a private compiled build of appliance/ (as an appliance does; --tsx: the sources).
import { spawn, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ConsoleSession, Lab, buildRuntime, colony, fromSources, type Runtime } from './grid-lab.js';
import { freePort } from '../test/helpers/colony-server.js';
import { tsLoader } from '../test/helpers/cli.js';
import { measure, residentByMapping, serveLoopback, straceDescriptors, straceFiles, straceSummary, type Served, type Window } from './idle-meter.js';

const { values } = parseArgs({ options: {
  settle: { type: 'string', default: '20' }, window: { type: 'string', default: '60' },
  tsx: { type: 'boolean', default: false }, 'no-diagnose': { type: 'boolean', default: false }, 'diagnose-only': { type: 'boolean', default: false },
  // Trials: one profile only, and environment variables or node flags given to A alone (MALLOC_ARENA_MAX=2…).
  bundle: { type: 'boolean', default: false }, profile: { type: 'string' }, 'a-env': { type: 'string', multiple: true, default: [] }, 'a-flag': { type: 'string', multiple: true, default: [] },
} });
const A_ENV = Object.fromEntries(values['a-env'].map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
const SETTLE = Number(values.settle);
const WINDOW = Number(values.window);
const GOAL_RSS = 80e6;
const GOAL_CPU = 1; // percent of one core
const MiB = 1 << 20;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MB = (b: number) => `${(b / 1e6).toFixed(1)} MB`;
const pct = (p: number) => `${p.toFixed(2)}%`;
const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}x` : 'n/a');
/** CPU against an anchor that may have used no clock tick at all (1/100 s) in the window. */
const cpuRatio = (a: number, b: number, seconds: number) => (b > 0 ? ratio(a, b) : `> ${(a / (100 / (seconds * 100))).toFixed(0)}x (anchor under one tick)`);

/**
 * Preloaded into A in the measured runs (a data: URL, so nothing else is loaded): on SIGUSR2 it
 * writes process.memoryUsage() and V8's heap spaces to $COLONY_IDLE_MEMORY. Idle until then.
 */
const MEMORY_PROBE = 'data:text/javascript,' + encodeURIComponent(
  "import{writeFileSync}from'node:fs';import{getHeapSpaceStatistics}from'node:v8';" +
  "process.on('SIGUSR2',()=>writeFileSync(process.env.COLONY_IDLE_MEMORY,JSON.stringify({memory:process.memoryUsage()," +
  "spaces:getHeapSpaceStatistics().map((h)=>({space:h.space_name,used:h.space_used_size,committed:h.physical_space_size}))})));");

/** The flags the systemd unit passes (image/systemd/colony.service). */
const UNIT_FLAGS = ['--initial-old-space-size=64', '--max-semi-space-size=2'];

interface Profile { name: string; nodeFlags: string[]; config: Record<string, unknown> }
const PROFILES: Profile[] = [
  { name: 'defaults', nodeFlags: UNIT_FLAGS, config: {} },
  {
    // A 1 GiB board: heapFraction 0.5 bounds what the caches may promise at 512 MiB. With the
    // defaults, 64 MiB + 5 × 100 MiB = 564 MiB, so the 5th `spawn` would be refused there;
    // 32 MiB of block cache + 5 × 64 MiB of ram caches = 352 MiB fits, leaving the kernel,
    // sshd, avahi, the page cache and the environments' own processes the other half. The V8
    // old-space limit (384 MiB) sits above that promise plus the idle heap (~30 MB), so the
    // grid's heap policy refuses a spawn before V8 would abort, and a runaway heap fails the
    // supervisor (systemd restarts it) before the kernel's OOM killer picks a process.
    name: '1 GB board',
    nodeFlags: [...UNIT_FLAGS, '--max-old-space-size=384'],
    config: { store: { cacheBytes: 32 * MiB }, environments: { ramCacheBytes: 64 * MiB, diskHeapBytes: 16 * MiB, heapFraction: 0.5 } },
  },
];

/** A small snapshot: 200 files of 1–16 KiB in 10 directories (~1.7 MB). */
async function makeSeed(dir: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const d = join(dir, `d${i % 10}`);
    await mkdir(d, { recursive: true });
    await writeFile(join(d, `f${i}.txt`), `${i} `.repeat(256 + ((i * 37) % 2000)));
  }
}

/** The Lab of the run under way, so Ctrl-C stops its processes too. */
let current: Lab | undefined;
process.once('SIGINT', () => { void (current?.cleanup() ?? Promise.resolve()).finally(() => process.exit(130)); });

interface Setup { lab: Lab; a: Served; peers: Served[]; anchor: number }

/** Four supervisors, A paired with B, C and D, 5 environments spawned on A; an idle anchor process. */
async function setUp(rt: Runtime, dir: string, p: Profile, extraA: { flags: string[]; env: NodeJS.ProcessEnv }): Promise<Setup> {
  const lab = new Lab();
  current = lab;
  const config = join(dir, 'colony.json');
  await writeFile(config, JSON.stringify(p.config));
  const seed = join(dir, 'seed');
  await makeSeed(seed);
  const dataA = join(dir, 'a');
  await colony(rt, ['import', seed, 'seed', '--comment', 'bench/idle'], dataA, 600_000);
  const nodes: Served[] = [];
  for (const name of ['a', 'b', 'c', 'd']) {
    const extra = name === 'a' ? extraA : { flags: [], env: {} };
    nodes.push(await serveLoopback(lab, rt, {
      name, data: join(dir, name), peerPort: await freePort(), config, nodeFlags: [...p.nodeFlags, ...extra.flags], env: extra.env,
    }));
  }
  const [a, ...peers] = nodes as [Served, ...Served[]];
  const cons = nodes.map((n) => ConsoleSession.open(lab, rt, n.data));
  const ids = await Promise.all(cons.map(async (c) => ((await c.ask('node')).result as { id: string }).id));
  for (let i = 1; i < 4; i++) {
    await cons[0]!.ask(`pair ${ids[i]} ${nodes[i]!.peer}`);
    await cons[i]!.ask(`pair ${ids[0]} ${a.peer}`);
  }
  for (let i = 0; ; i++) {
    const rows = (await cons[0]!.ask('peers')).result as Array<{ id: string; state: string }>;
    if (ids.slice(1).every((id) => rows.some((r) => r.id === id && r.state === 'connected'))) break;
    if (i > 300) throw new Error(`A's peers never all connected: ${JSON.stringify(rows)}`);
    await sleep(200);
  }
  // The catalogs merge the four first admins: sessions opened before may be ended; open afresh.
  await Promise.all(cons.map((c) => c.close()));
  await sleep(2000);
  const conA = ConsoleSession.open(lab, rt, a.data);
  for (let i = 1; i <= 5; i++) await conA.ask(`spawn seed as idle${i}`, 120_000);
  const envs = (await conA.ask('status')).output ?? '';
  await conA.close();
  // The anchor: the least a Node process that waits on a timer costs.
  const anchorChild = spawn(process.execPath, ['-e', 'setInterval(()=>{},1000)'], { stdio: 'ignore' });
  lab.teardown(() => { anchorChild.kill('SIGKILL'); });
  process.stderr.write(`  ${p.name}: 4 supervisors up, A paired with 3, 5 environments spawned on A (status:\n${envs.trim().split('\n').map((l) => `    ${l}`).join('\n')})\n`);
  return { lab, a, peers, anchor: anchorChild.pid! };
}

function line(what: string, w: Window, anchor: Window): string[] {
  return [
    `  ${what} RSS ${MB(w.mem.rss)} (peak in window ${MB(w.maxRss)}; anon ${MB(w.mem.anon)}, file ${MB(w.mem.file)})  anchor ${MB(anchor.mem.rss)} (anon ${MB(anchor.mem.anon)})  ratio ${ratio(w.mem.rss, anchor.mem.rss)}  goal < ${MB(GOAL_RSS)}: ${w.mem.rss < GOAL_RSS ? 'ok' : 'MISSED'}`,
    `  ${what} PSS ${MB(w.mem.pss)}  anchor ${MB(anchor.mem.pss)}  ratio ${ratio(w.mem.pss, anchor.mem.pss)}; threads ${w.mem.threads} (anchor ${anchor.mem.threads})`,
    `  ${what} CPU ${pct(w.cpuPercent)} of one core over ${w.seconds.toFixed(0)} s  anchor ${pct(anchor.cpuPercent)}  ratio ${cpuRatio(w.cpuPercent, anchor.cpuPercent, w.seconds)}  goal < ${pct(GOAL_CPU)}: ${w.cpuPercent < GOAL_CPU ? 'ok' : 'MISSED'}`,
    `  ${what} wakeups ${w.wakeupsPerSecond.toFixed(1)}/s (context switches, all threads)  anchor ${anchor.wakeupsPerSecond.toFixed(1)}/s  ratio ${ratio(w.wakeupsPerSecond, anchor.wakeupsPerSecond)}`,
  ];
}

interface Diagnosis {
  rows: Array<{ site: string; armed: number; fired: number; seconds: number }>;
  memory?: NodeJS.MemoryUsage;
  spaces?: Array<{ space: string; used: number; committed: number }>;
}

/** What A said about its own memory (the probe's or the timer counter's JSON). */
function memoryLines(got: Partial<Diagnosis>): string[] {
  const m = got.memory;
  if (!m) return ['  A\'s memory from inside: not reported'];
  return [
    `  A from inside: rss ${MB(m.rss)}, V8 heap used ${MB(m.heapUsed)} of ${MB(m.heapTotal)} committed, external ${MB(m.external)} (array buffers ${MB(m.arrayBuffers)})`,
    `  A heap spaces (used/committed): ${(got.spaces ?? []).filter((h) => h.committed > 0).map((h) => `${h.space} ${MB(h.used)}/${MB(h.committed)}`).join(', ')}`,
  ];
}

interface Result { profile: Profile; a: Window; b: Window; anchor: Window }

async function runProfile(rt: Runtime, root: string, p: Profile): Promise<Result> {
  const dir = await mkdtemp(join(root, 'profile-'));
  const probe = join(dir, 'memory.json');
  const s = await setUp(rt, dir, p, { flags: [...values['a-flag'], '--import', MEMORY_PROBE], env: { ...A_ENV, COLONY_IDLE_MEMORY: probe } });
  try {
    process.stderr.write(`  settling ${SETTLE} s, then measuring ${WINDOW} s\n`);
    await sleep(SETTLE * 1000);
    const [a, b, anchor] = await measure([s.a.pid, s.peers[0]!.pid, s.anchor], WINDOW);
    const trial = [...values['a-flag'], ...values['a-env']];
    console.log(`${p.name}: node flags ${p.nodeFlags.join(' ')}; config ${JSON.stringify(p.config)}${trial.length ? `; A alone: ${trial.join(' ')}` : ''}`);
    for (const l of [...line('A (3 peers, 5 envs)', a!, anchor!), ...line('B (1 peer, no envs)', b!, anchor!)]) console.log(l);
    const maps = (pid: number) => residentByMapping(pid).map((m) => `${m.what.replace(/^.*\/node_modules\//, '')} ${MB(m.rss)}`).join(', ');
    console.log(`  A resident by mapping: ${maps(s.a.pid)}`);
    console.log(`  anchor resident by mapping: ${maps(s.anchor)}`);
    process.kill(s.a.pid, 'SIGUSR2');
    await sleep(500);
    const got = JSON.parse(await readFile(probe, 'utf8').catch(() => '{}')) as Partial<Diagnosis>;
    for (const l of memoryLines(got)) console.log(l);
    return { profile: p, a: a!, b: b!, anchor: anchor! };
  } finally {
    await s.lab.cleanup();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Defaults again, A with the timer counter preloaded: which timers fire, and the syscalls. */
async function diagnose(rt: Runtime, root: string): Promise<void> {
  const dir = await mkdtemp(join(root, 'diagnose-'));
  const out = join(dir, 'timers.json');
  const flags = [...(rt === fromSources ? [] : tsLoader), '--enable-source-maps', '--import', join(import.meta.dirname, 'idle-timers.ts')];
  const s = await setUp(rt, dir, PROFILES[0]!, { flags, env: { COLONY_IDLE_TIMERS: out } });
  try {
    await sleep(SETTLE * 1000);
    process.kill(s.a.pid, 'SIGUSR2');
    await sleep(WINDOW * 1000);
    process.kill(s.a.pid, 'SIGUSR2');
    await sleep(500);
    const got = JSON.parse(await readFile(out, 'utf8').catch(() => '{"rows":[]}')) as Diagnosis;
    const rows = got.rows;
    rows.sort((x, y) => y.fired - x.fired);
    console.log(`timers that fired on A in ${WINDOW} s idle (defaults; kind, where it was armed, delay ms: fired/s):`);
    for (const r of rows.filter((r) => r.fired > 0).slice(0, 25)) console.log(`  ${r.site}: ${(r.fired / r.seconds).toFixed(2)}/s (armed ${r.armed})`);
    const strace = (await straceSummary(s.a.pid, 20)).split('\n').filter((l) => l.trim() && !l.startsWith('strace: Process'));
    console.log(`strace -f -c -p A for 20 s (top rows):\n${strace.slice(0, 14).map((l) => `  ${l}`).join('\n')}`);
    const files = await straceFiles(s.a.pid, 30);
    console.log(`files A wrote, renamed or synced in 30 s idle (strace; digits folded to N):${files.length ? '' : ' none'}`);
    for (const f of files.slice(0, 15)) console.log(`  ${f.count} × ${f.what.replace(s.a.data, 'DATA')}`);
    const fds = await straceDescriptors(s.a.pid, 20, ['ioctl', 'getsockname', 'getsockopt', 'fstat', 'write', 'read']);
    console.log('descriptors A polled or wrote in 20 s idle (strace -y; call, descriptor: count):');
    for (const f of fds.slice(0, 15)) console.log(`  ${f.what}: ${f.count}`);
    const logged = s.a.log().split('\n').filter(Boolean);
    console.log(`A logged ${logged.length} lines at ${process.env.COLONY_LOG_LEVEL ?? 'warn'} since it started; the last: ${logged.slice(-3).map((l) => l.slice(0, 200)).join(' | ')}`);
  } finally {
    await s.lab.cleanup();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Points `rt` at the single-file build of its dist (bench/bundle.mjs), a trial: the product runs dist/ as tsc wrote it. */
function bundled(rt: Runtime): void {
  const dist = join(rt.entry[0]!, '..', '..', '..');
  const r = spawnSync(process.execPath, [join(import.meta.dirname, 'bundle.mjs'), dist], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`bench/bundle.mjs failed: ${r.stderr}`);
  rt.entry = [join(dist, 'appliance/cli/colony.mjs')];
  rt.what += ', bundled';
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(process.env.COLONY_BENCH_DIR ?? tmpdir(), 'colony-bench-idle-'));
  try {
    const rt = values.tsx ? fromSources : await buildRuntime(root);
    if (values.bundle && rt !== fromSources) bundled(rt);
    console.log(`bench/idle: 4 supervisors on loopback (${rt.what}), A paired with 3, 5 environments on A; settle ${SETTLE} s, window ${WINDOW} s; ${(await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ')} load`);
    const results: Result[] = [];
    const profiles = PROFILES.filter((p) => values.profile === undefined || p.name === values.profile);
    if (!profiles.length) throw new Error(`no profile '${values.profile}': ${PROFILES.map((p) => p.name).join(', ')}`);
    if (!values['diagnose-only']) for (const p of profiles) results.push(await runProfile(rt, root, p));
    const cpuMissed = results.some((r) => r.a.cpuPercent >= GOAL_CPU);
    if (!values['no-diagnose']) await diagnose(rt, root);
    if (!results.length) return;
    const parts = results.map((r) => `${r.profile.name} RSS ${MB(r.a.mem.rss)} (${ratio(r.a.mem.rss, r.anchor.mem.rss)} anchor) CPU ${pct(r.a.cpuPercent)} (anchor ${pct(r.anchor.cpuPercent)})`);
    const ok = results.every((r) => r.a.mem.rss < GOAL_RSS && r.a.cpuPercent < GOAL_CPU);
    const trial = [...(values.bundle ? ['bundled'] : []), ...values['a-flag'], ...values['a-env']];
    console.log(`summary idle${trial.length ? ` (trial: ${trial.join(' ')})` : ''}: ${parts.join('; ')}; goal < 80 MB, < 1%: ${ok ? 'met' : 'MISSED'}${cpuMissed ? ' (CPU)' : ''}`);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

await main();
