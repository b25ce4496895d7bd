// bench/grid: replication between two real supervisors in network namespaces against rsync,
// in one run over the same veth link (test/helpers/netns.ts: A and B on a private bridge).
//   1. initial replication: `colony import` of the tree on A until B lists the name in
//      `scores` (every block local)                 vs  `rsync -a` of the tree to B's daemon
//   2. a 1% change made the product's way: spawn the name on A, write the change into the
//      environment through Colony's 9P client over DATA/9p.sock, `save` it as a new name. The
//      clock starts when save returns (the name exists on A) and stops when B lists it
//      complete (polled every 50 ms on an open console). Bytes on the wire vs the new unique
//      block bytes the save stored (A's store stats before/after; goal ≤ 1.05×); time until
//      spawnable on B (goal < 2 s, and ≤ 0.5× rsync's time for the identical change applied
//      to its source copy). For comparison, the old way: `colony import` of the changed tree
//      (its blocks are on B by then, so that line is the import and the name alone).
//   3. replication RSS of B's `colony serve`: the peak during phase 1 (goal ≤ 150 MB) beside
//      B's idle RSS just before it
// Bytes on the wire: A's eth0 rx+tx (/proc/net/dev in A's namespace), before and after each
// phase, so Ethernet/IP/TCP overhead counts for both tools alike.
// Usage: bench/grid.ts [--size 256M] [--tsx] (default 1G, or COLONY_BENCH_SCALE × 1 GiB); it runs a
// private compiled build of appliance/ (as an appliance does; --tsx: the sources through tsx).
// --profile: both supervisors run with --cpu-prof, and where their CPU went is printed at the
// end. COLONY_BENCH_DIR sets the scratch directory.
// Needs root and iproute2; installs rsync with scripts/ensure-apt.sh.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createLan, lanUnavailable } from '../test/helpers/netns.js';
import { summarizeProfiles, threadSampler } from './grid-profile.js';
import { NinepClient } from '../appliance/ninep/client.js';
import { applyOverNinep } from './grid-ninep.js';
import { applyLocal, generateTree, parseSize, planChange } from './grid-tree.js';
import {
  ConsoleSession, Lab, PEER_PORT, colony, cpuOf, rssOf, rssSampler, rsyncTo, startRsyncDaemon, startServe, wireBytes,
  buildRuntime, fromSources, type Runtime, type ServeNode,
} from './grid-lab.js';

const { values } = parseArgs({ options: { size: { type: 'string' }, tsx: { type: 'boolean', default: false }, profile: { type: 'boolean', default: false } } });
// --size, else COLONY_BENCH_SCALE × 1 GiB as the other benches take it (`npm run bench -- grid` passes no flags).
const size = parseSize(values.size ?? `${Math.round(Number(process.env.COLONY_BENCH_SCALE ?? 1) * 1024)}M`);
const now = () => performance.now();
const MiB = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
const MB = (b: number) => `${(b / 1e6).toFixed(1)} MB`;
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const verdict = (ok: boolean) => (ok ? 'ok' : 'MISSED');
const loadavg = () => execFileSync('cat', ['/proc/loadavg']).toString().split(' ').slice(0, 3).join(' ');

interface Row { name: string; pending?: unknown }

/**
 * Polls B's `scores` every `everyMs` until `name` is listed complete; returns when
 * (performance.now()). `listed.at` is set when the name is first seen at all (pending or not).
 */
async function untilVisible(con: ConsoleSession, name: string, deadlineMs: number, progress = false, everyMs = 100, listed: { at?: number } = {}): Promise<number> {
  let last = 0;
  for (let i = 0; ; i++) {
    const rows = (await con.ask('scores')).result as Row[];
    const row = rows.find((r) => r.name === name);
    if (row) listed.at ??= now();
    if (row && row.pending === undefined) return now();
    if (progress && row && now() - last > 5000) { last = now(); process.stderr.write(`  B: ${name} pending ${JSON.stringify(row.pending)}\n`); }
    if (now() > deadlineMs || i > 1_000_000) throw new Error(`${name} never became visible on B`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

const storeBytes = async (rt: Runtime, data: string) => (JSON.parse(await colony(rt, ['store', 'stats', '--json'], data)) as { bytes: number }).bytes;

/** CPU seconds of A's and B's supervisors over a phase: the cheap profile. */
function cpuMeter(a: ServeNode, b: ServeNode) {
  const a0 = cpuOf(a.pid), b0 = cpuOf(b.pid), t0 = now();
  return () => {
    const wall = (now() - t0) / 1000;
    const ca = cpuOf(a.pid) - a0, cb = cpuOf(b.pid) - b0;
    return `cpu over ${wall.toFixed(1)} s: A's supervisor ${ca.toFixed(1)} s (${(100 * ca / wall).toFixed(0)}%), B's ${cb.toFixed(1)} s (${(100 * cb / wall).toFixed(0)}%)`;
  };
}

async function main(lab: Lab): Promise<void> {
  const why = lanUnavailable();
  if (why) { console.log(`bench/grid: skipped (${why})`); return; }
  execFileSync(join(import.meta.dirname, '../scripts/ensure-apt.sh'), ['rsync'], { stdio: 'inherit' });
  const dir = await mkdtemp(join(process.env.COLONY_BENCH_DIR ?? tmpdir(), 'colony-bench-grid-'));
  lab.teardown(() => rm(dir, { recursive: true, force: true }));
  process.stderr.write(values.tsx ? 'running the sources through tsx\n' : 'compiling the build...\n');
  const rt = values.tsx ? fromSources : await buildRuntime(dir);
  const src = join(dir, 'tree');
  process.stderr.write(`load average at the start: ${loadavg()}; generating ${MiB(size)}...\n`);
  const tree = await generateTree(src, size);
  execFileSync('sync');

  let t0: number;
  const lan = await createLan(lab, ['a', 'b']);
  const profiles = (n: string) => (values.profile ? join(dir, 'profiles', n) : undefined);
  const a = await startServe(lab, rt, lan, 'a', join(dir, 'a'), profiles('a'));
  const b = await startServe(lab, rt, lan, 'b', join(dir, 'b'), profiles('b'));
  nodes.push(a, b);
  let conA = ConsoleSession.open(lab, rt, a.data);
  let conB = ConsoleSession.open(lab, rt, b.data);
  const idOf = async (c: ConsoleSession) => ((await c.ask('node')).result as { id: string }).id;
  const [idA, idB] = [await idOf(conA), await idOf(conB)];
  await conA.ask(`pair ${idB} ${b.address}:${PEER_PORT}`);
  await conB.ask(`pair ${idA} ${a.address}:${PEER_PORT}`);
  const rsyncDir = join(dir, 'rsync-dest');
  await mkdir(rsyncDir);
  const { url } = await startRsyncDaemon(lab, lan, 'b', rsyncDir, dir);
  // Let pairing, the first catalog exchange and the JIT settle before anything is measured.
  for (let i = 0; i < 100; i++) {
    const peers = (await conA.ask('peers')).result as Array<{ id: string; state: string }>;
    if (peers.some((p) => p.id === idB && p.state === 'connected')) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  await new Promise((r) => setTimeout(r, 3000));
  // Both nodes made a first admin 'admin'; once the catalogs merge, a session opened before as
  // the losing record is ended ("the account 'admin' was removed"): open fresh ones.
  conA.close();
  conB.close();
  conA = ConsoleSession.open(lab, rt, a.data);
  conB = ConsoleSession.open(lab, rt, b.data);
  const user = ((await conA.ask('whoami')).result as { user: string }).user;
  await conB.ask('whoami');

  // What any `colony` command costs before it does anything: node start-up, loading, the
  // console socket. Part of every import time below.
  t0 = now();
  await storeBytes(rt, a.data);
  const cliMs = now() - t0;

  // Phase 1: initial replication.
  const idle = rssOf(b.pid);
  process.stderr.write(`phase 1: colony import ${tree.files} files, ${MiB(tree.bytes)} on A, until B lists it...\n`);
  let wire0 = wireBytes(lan, 'a');
  const rss = rssSampler(b.pid);
  const threads = values.profile ? [threadSampler(a.pid), threadSampler(b.pid)] : [];
  const cpu1 = cpuMeter(a, b);
  t0 = now();
  await colony(rt, ['import', src, 'tree'], a.data);
  const imported1 = now() - t0;
  const visible1 = (await untilVisible(conB, 'tree', now() + 3_600_000, true)) - t0;
  const colonyWire1 = wireBytes(lan, 'a') - wire0;
  const rss1 = rss.stop();
  const threadLines = threads.map((s) => s.stop());
  const cpuLine1 = cpu1();
  process.stderr.write('phase 1: rsync -a of the tree to B...\n');
  wire0 = wireBytes(lan, 'a');
  const rsync1 = await rsyncTo(lan, 'a', src, url);
  const rsyncWire1 = wireBytes(lan, 'a') - wire0;

  // Phase 2: a 1% change, planned once and applied alike to both tools' copies.
  const plan = planChange(tree);
  process.stderr.write(`phase 2: ${MiB(plan.bytesWritten)} rewritten in ${plan.filesTouched} files + ${plan.newFiles} new; spawn tree on A, write over 9P, save as tree2...\n`);
  const spawned = (await conA.ask('spawn tree')).result as { env: { name: string } };
  const env = spawned.env.name;
  // The owner's attach on the unix socket (uid 0 in the tree), as `colony mount` would make it.
  const nc = await NinepClient.connect(join(a.data, '9p.sock'), { msize: 1 << 20 });
  let writeMs: number;
  let written: number;
  try {
    const root = await nc.attach(`env/${env}`, user);
    t0 = now();
    written = await applyOverNinep(nc, root.fid, plan);
    writeMs = now() - t0;
  } finally { nc.close(); }
  const unique0 = await storeBytes(rt, a.data);
  wire0 = wireBytes(lan, 'a');
  const cpu2 = cpuMeter(a, b);
  t0 = now();
  await conA.ask(`save ${env} tree2`, 600_000);
  const saved = now();
  const saveMs = saved - t0;
  const listed2: { at?: number } = {};
  const visible2 = (await untilVisible(conB, 'tree2', now() + 600_000, false, 50, listed2)) - saved;
  const colonyWire2 = wireBytes(lan, 'a') - wire0;
  const cpuLine2 = cpu2();
  const unique = (await storeBytes(rt, a.data)) - unique0;
  await applyLocal(src, plan);
  execFileSync('sync');
  wire0 = wireBytes(lan, 'a');
  const rsync2 = await rsyncTo(lan, 'a', src, url);
  const rsyncWire2 = wireBytes(lan, 'a') - wire0;
  // The old way, for comparison: import the changed tree as a name of its own.
  t0 = now();
  await colony(rt, ['import', src, 'tree3'], a.data);
  const imported3 = now() - t0;
  const visible3 = (await untilVisible(conB, 'tree3', now() + 600_000, false, 50)) - t0;

  const r = (x: number, y: number) => `${(x / y).toFixed(2)}×`;
  console.log(`load average at the end: ${loadavg()} on ${execFileSync('nproc').toString().trim()} CPUs`);
  console.log(`colony ran as ${rt.what}; a forwarded no-op command (store stats) took ${secs(cliMs)} (start-up, part of each import time)`);
  console.log(`tree: ${tree.files} files (${tree.small.length} of 1–16 KiB, ${tree.large.length} large), ${MiB(tree.bytes)}; link: veth through a bridge, A ${a.address} → B ${b.address}`);
  console.log(`initial replication   colony ${secs(visible1).padStart(9)}   rsync ${secs(rsync1).padStart(9)}   ratio ${r(visible1, rsync1)}   (colony: import on A ${secs(imported1)}, then ${secs(visible1 - imported1)} until B lists it)`);
  console.log(`  bytes on the wire   colony ${MB(colonyWire1).padStart(9)}   rsync ${MB(rsyncWire1).padStart(9)}   ratio ${r(colonyWire1, rsyncWire1)}   (tree ${MB(tree.bytes)}: colony ${r(colonyWire1, tree.bytes)}, rsync ${r(rsyncWire1, tree.bytes)})`);
  console.log(`  ${cpuLine1}`);
  console.log(`1% change             ${MiB(plan.bytesWritten)} rewritten in ${plan.filesTouched} files + ${plan.newFiles} new files, written into env ${env} on A over 9P (${MiB(written)} in ${secs(writeMs)}); new unique block bytes the save stored ${MB(unique)}`);
  console.log(`  save on A           ${secs(saveMs).padStart(9)}   (save tree2 on the console, until it returned)`);
  console.log(`  bytes on the wire   colony ${MB(colonyWire2).padStart(9)}   new unique blocks ${MB(unique)}   ratio ${(colonyWire2 / unique).toFixed(3)}× (goal ≤ 1.05×) ${verdict(colonyWire2 <= 1.05 * unique)}   | rsync ${MB(rsyncWire2)} (${r(rsyncWire2, unique)})`);
  console.log(`  spawnable on B      colony ${secs(visible2).padStart(9)}   (goal < 2 s) ${verdict(visible2 < 2000)}   rsync ${secs(rsync2)}   ratio ${r(visible2, rsync2)} (goal ≤ 0.5×) ${verdict(visible2 <= 0.5 * rsync2)}   (from save's return until B lists tree2 complete; first listed, blocks pending or not, after ${secs(listed2.at! - saved)}; save + that ${secs(saveMs + visible2)}, ${r(saveMs + visible2, rsync2)} of rsync)`);
  console.log(`  the old way         colony import of the changed tree as tree3 ${secs(imported3)}, until B lists it ${secs(visible3)} (its blocks already on B: the import and the name alone)`);
  console.log(`  ${cpuLine2}`);
  console.log(`replication RSS on B  peak ${MB(rss1.peak).padStart(9)}   idle before ${MB(idle.rss)}   ratio ${r(rss1.peak, idle.rss)}   (goal ≤ 150 MB) ${verdict(rss1.peak <= 150e6)}   (VmHWM since start ${MB(rss1.hwm)}; at the peak ${rss1.atPeak}; ${rss1.samples} samples)`);
  if (values.profile) {
    // The profiles are written when the supervisors exit cleanly: they cover their whole life.
    await a.stop();
    await b.stop();
    console.log('threads of the supervisors during phase 1 (other threads: only when not idle in epoll/futex):');
    threadLines.forEach((l, i) => console.log(`  ${i ? 'B' : 'A'}'s supervisor:\n${l.join('\n')}`));
    console.log('cpu profiles of the supervisors (whole run: start, pairing, both phases):');
    for (const n of ['a', 'b']) console.log(summarizeProfiles(profiles(n)!, `${n.toUpperCase()}'s supervisor`).join('\n'));
  }
}

const lab = new Lab();
const nodes: ServeNode[] = [];
const onSignal = (sig: NodeJS.Signals) => {
  process.stderr.write(`\nbench/grid: ${sig}, cleaning up...\n`);
  void lab.cleanup().finally(() => process.exit(130));
};
process.once('SIGINT', onSignal);
process.once('SIGTERM', onSignal);
try {
  await main(lab);
} catch (err) {
  process.exitCode = 1;
  process.stderr.write(`bench/grid failed: ${(err as Error).stack ?? err}\n`);
  for (const n of nodes) process.stderr.write(`--- ${n.name}'s supervisor log (tail):\n${n.log().slice(-3000)}\n`);
} finally {
  await lab.cleanup();
  // Nothing of ours is left; a stray timer or pipe must not keep the bench alive.
  process.exit();
}
