// Colony's 9P server against diod through the real Linux client, on the product path: a real
// `colony serve` (test/helpers/colony-server.ts startSupervisor) with a RAM environment (`spawn`)
// and a disk one (`spawndisk`) of a snapshot imported from the very directory diod exports.
// One QEMU guest per (msize, environment): Colony over trans=tcp with the line `spawn` printed,
// diod beside it in the same guest, also over trans=tcp (QEMU's user network, restrict=on), so
// both have the same transport, cache mode and data. diod caps msize at 65536: at a larger
// msize diod still negotiates 65536, and Colony at that msize is compared with diod at its best.
// scripts/vm/guest/ninep-bench.sh measures sequential write and read of a SEQ_MIB file
// (and, if FILES or TREE is set, a metadata workload); the reads in READS rounds alternating
// between the servers, each figure their median (this host is shared and its load swings).
// Prints MB/s for both, Colony's ratio to diod, and one `summary ninep:` line.
// Goals: read >= 1.0x, write >= 0.8x, metadata >= 0.5x.
// usage: node --import tsx bench/ninep.ts
//   env: SEQ_MIB=128 READS=3 MSIZES=65536,262144 ENVS=ram,disk CACHE=none FILES=0 TREE=0
//        PROFILE=DIR  CPU-profiles the `colony serve` process (DIR/serve-PID.cpuprofile, at exit)
//   Under TCG on a loaded 2-core host a default run (4 guests) takes about 4-5 minutes;
//   metadata runs at about a hundred ops/s, so FILES=1000 TREE=2000 adds minutes a guest.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { guestScripts, guestTcpHost, mountOptionString, runGuest, vmAvailable, vmScripts, type MountOptions } from '../test/helpers/vm.js';
import { freePort, guestMountLine, startSupervisor } from '../test/helpers/colony-server.js';

const seqMib = Number(process.env.SEQ_MIB ?? 128);
const files = Number(process.env.FILES ?? 0);
const tree = Number(process.env.TREE ?? 0);
const reads = Number(process.env.READS ?? 3);
const cache = (process.env.CACHE ?? 'none') as MountOptions['cache'];
const msizes = (process.env.MSIZES ?? '65536,262144').split(',').map(Number);
const envKinds = (process.env.ENVS ?? 'ram,disk').split(',') as Array<'ram' | 'disk'>;
const profileDir = process.env.PROFILE;
const diodMaxMsize = 65536;
const goals: Record<string, number> = { 'seq-read': 1.0, 'seq-write': 0.8, create: 0.5, stat: 0.5, unlink: 0.5, 'ls-lR': 0.5 };

const cleanups: Array<() => unknown> = [];
const teardown = { teardown: (fn: () => unknown) => { cleanups.push(fn); } };

/** diod on 127.0.0.1:PORT (the same transport as Colony's), -N so mounts need uname=root. */
async function startDiodTcp(exportDir: string): Promise<number> {
  if (!existsSync('/usr/sbin/diod')) execFileSync('bash', [join(vmScripts, 'build.sh'), '--packages'], { stdio: 'inherit', timeout: 600_000 });
  const port = await freePort();
  const child = spawn('/usr/sbin/diod', ['-f', '-n', '-N', '-c', '/dev/null', '-L', 'stderr', '-l', `127.0.0.1:${port}`, '-e', exportDir], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s: string) => { log = (log + s).slice(-20_000); });
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid) process.kill(child.pid, 'SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (child.exitCode === null && child.signalCode === null && child.pid) process.kill(child.pid, 'SIGKILL');
  });
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => { s.destroy(); resolve(true); });
      s.on('error', () => resolve(false));
    });
    if (ok) return port;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`diod did not listen on 127.0.0.1:${port}: ${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A module that, in a `colony serve` process, samples the CPU until exit and writes DIR/serve-PID.cpuprofile. */
function cpuProfPreload(out: string): string {
  return `import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';
if (process.argv.includes('serve')) {
  const s = new Session();
  s.connect();
  s.post('Profiler.enable');
  s.post('Profiler.start');
  // A same-thread session answers synchronously, so this works inside 'exit'.
  process.on('exit', () => s.post('Profiler.stop', (err, r) => { if (!err) writeFileSync(${JSON.stringify(out)} + '/serve-' + process.pid + '.cpuprofile', JSON.stringify(r.profile)); }));
}
`;
}

/** The run with the median time (the lower middle one of an even count). */
function median(xs: Row[]): Row | undefined {
  return [...xs].sort((a, b) => a.secs - b.secs)[Math.floor((xs.length - 1) / 2)];
}

interface Row { msize: number; env: string; server: string; phase: string; ops: number; bytes: number; secs: number }
const rows: Row[] = [];
const dir = await mkdtemp(join(tmpdir(), 'colony-bench-9p-'));
try {
  const vm = await vmAvailable();
  if (!vm.ok) throw new Error(`the v9fs harness cannot run here: ${vm.reason}`);
  await chmod(dir, 0o755);
  const exportDir = join(dir, 'export');
  await mkdir(join(exportDir, 'etc'), { recursive: true });
  await writeFile(join(exportDir, 'etc/motd'), 'the same tree for both servers\n');
  const diodPort = await startDiodTcp(exportDir);
  if (profileDir) {
    // Node refuses --cpu-prof in NODE_OPTIONS, and startSupervisor takes no node flags: a
    // preload (allowed there) profiles the `serve` process alone through the inspector.
    await mkdir(profileDir, { recursive: true });
    const preload = join(dir, 'cpu-prof.mjs');
    await writeFile(preload, cpuProfPreload(profileDir));
    process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --import=${preload}`.trim();
  }
  const colony = await startSupervisor(teardown, { seed: exportDir });
  if (profileDir) delete process.env.NODE_OPTIONS;
  const spawned: Record<string, string> = {};
  for (const kind of envKinds) spawned[kind] = (await colony.spawn({ as: `bench-${kind}`, disk: kind === 'disk', via: 'ctl' })).mount;

  const env = `SEQ_MIB=${seqMib} READS=${reads} FILES=${files} TREE=${tree}`;
  for (const msize of msizes) {
    for (const kind of envKinds) {
      const mount: MountOptions = { msize, cache, access: 'user', uname: 'root' };
      const command = guestMountLine(spawned[kind]!, colony.ninepPort, mount);
      const diodOpts = mountOptionString({ ...mount, version: '9p2000.L', msize: Math.min(msize, diodMaxMsize), aname: exportDir });
      const diodCommand = `mount -t 9p -o trans=tcp,port=${diodPort},${diodOpts} ${guestTcpHost} /tmp/diod`;
      let pending = '';
      const t0 = Date.now();
      const r = await runGuest({
        tcp: { port: colony.ninepPort, command },
        also: [{ tcp: { port: diodPort, command: diodCommand }, at: '/tmp/diod' }],
        script: `${env} bash ${guestScripts}/guest/ninep-bench.sh diod=/tmp/diod colony=/mnt`,
        memoryMb: 384 + seqMib,
        onConsole: (text) => {
          pending += text;
          const lines = pending.split('\n');
          pending = lines.pop() ?? '';
          for (const l of lines) if (l.startsWith('bench ')) process.stderr.write(`msize=${msize} ${kind}: ${l.trim()}\n`);
        },
        timeoutMs: 2 * 60 * 60_000,
      });
      if (r.rc !== 0) throw new Error(`bench failed (rc ${r.rc}):\n${r.output}\n${r.bootLog.slice(-3000)}`);
      process.stderr.write(`msize=${msize} ${kind}: guest ${Math.round((Date.now() - t0) / 1000)} s\n`);
      for (const m of r.output.matchAll(/^bench (\S+) (\S+) ops=(\d+) bytes=(\d+) secs=([\d.]+)/gm)) {
        rows.push({ msize, env: kind, server: m[1]!, phase: m[2]!, ops: Number(m[3]), bytes: Number(m[4]), secs: Number(m[5]) });
      }
    }
  }

  const rate = (x: Row) => (x.bytes ? `${(x.bytes / 1e6 / x.secs).toFixed(1)} MB/s` : `${(x.ops / x.secs).toFixed(0)} ops/s`);
  console.log(`v9fs (Linux ${vm.kver}, ${vm.accel}) over trans=tcp, cache=${cache}, access=user; SEQ_MIB=${seqMib} READS=${reads} FILES=${files} TREE=${tree}; ` +
    `Colony: colony serve, spawn (ram) / spawndisk (disk); diod at msize <= ${diodMaxMsize} (its cap), in the same guest`);
  console.log(`${'msize'.padEnd(7)} ${'env'.padEnd(5)} ${'phase'.padEnd(10)} ${'colony'.padStart(13)} ${'diod'.padStart(13)} ${'ratio'.padStart(7)}  goal`);
  const summary: string[] = [];
  for (const msize of msizes) {
    for (const kind of envKinds) {
      const here = rows.filter((x) => x.msize === msize && x.env === kind);
      for (const phase of [...new Set(here.map((x) => x.phase))]) {
        const d = median(here.filter((x) => x.server === 'diod' && x.phase === phase));
        const c = median(here.filter((x) => x.server === 'colony' && x.phase === phase));
        if (!d || !c) continue;
        const ratio = d.secs / c.secs; // same work on both sides: a rate ratio
        const goal = goals[phase];
        const verdict = goal === undefined ? '' : `>= ${goal.toFixed(1)}x ${ratio >= goal ? 'met' : 'MISSED'}`;
        console.log(`${`${msize >> 10}K`.padEnd(7)} ${kind.padEnd(5)} ${phase.padEnd(10)} ${rate(c).padStart(13)} ${rate(d).padStart(13)} ${`${ratio.toFixed(2)}x`.padStart(7)}  ${verdict}`);
        if (phase.startsWith('seq-')) summary.push(`${phase.slice(4)}@${msize >> 10}K/${kind} ${ratio.toFixed(2)}x`);
      }
    }
  }
  console.log(`summary ninep: ${summary.join(', ')} (Colony/diod, trans=tcp, cache=${cache}, ${seqMib} MiB, median of ${reads} reads)`);
} finally {
  for (const fn of cleanups.reverse()) await fn();
  await rm(dir, { recursive: true, force: true });
}
