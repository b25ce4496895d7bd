// bench/exec: starting a process inside an environment, in the QEMU guest (the host kernel
// has no 9p), against what a user would use without Colony:
//   1. `cpu ENV -- true` end to end over OpenSSH's client, against `ssh localhost true` to
//      OpenSSH's sshd in the same guest; goal: cpu within 1.5× of OpenSSH;
//   2. the process start alone in a fresh namespace, against plain `bwrap --unshare-all …
//      true` over the same v9fs root: as the xcpu tree's clone/exec/wait when the tree is
//      there, and as `cpu … true` less a console command that starts no process (`whoami`).
// The guest half is scripts/vm/guest/cpu-bench.sh (after cpu-lib.sh's cpu_up). openssh-server
// comes from Debian through scripts/ensure-apt.sh (the guest sees the host's /usr/sbin/sshd).
// BENCH_N samples each (default 10); medians are printed.
// Measured 2026-12-07 (QEMU TCG, 2 vCPUs, Debian 6.1 guest, medians of 10): cpu -- true 893 ms
// vs sshd 1403 ms (0.64×: sshd forks and re-execs itself per connection, slow under TCG);
// xcpu clone/exec/wait 349 ms and cpu less whoami 244 ms vs bwrap --unshare-all true 225 ms
// over the same v9fs root (1.55×, 1.08×); a console command with no process 650 ms.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { guestScripts, vmAvailable } from '../test/helpers/vm.js';
import { repoRoot } from '../test/helpers/cli.js';
import { runCpuGuest } from '../test/helpers/vm-cpu.js';

const vm = await vmAvailable();
if (!vm.ok) {
  console.log(`bench/exec: the QEMU guest cannot run here: ${vm.reason}`);
  process.exit(1);
}
let sshdNote = '';
try {
  execFileSync(join(repoRoot, 'scripts/ensure-apt.sh'), ['openssh-server', 'bubblewrap', 'openssh-client'], { stdio: 'inherit', timeout: 600_000 });
} catch (err) {
  sshdNote = `openssh-server could not be installed: ${(err as Error).message}`;
}

const n = Number(process.env.BENCH_N ?? 10);
const r = await runCpuGuest({ script: `BENCH_N=${n} source ${guestScripts}/guest/cpu-bench.sh`, timeoutMs: 1_800_000 });
const samples = new Map<string, number[]>();
for (const m of r.output.matchAll(/^sample (\w+) (\d+)us$/gm)) {
  const list = samples.get(m[1]!) ?? [];
  list.push(Number(m[2]) / 1000);
  samples.set(m[1]!, list);
}
const median = (name: string): number | undefined => {
  const xs = [...(samples.get(name) ?? [])].sort((a, b) => a - b);
  if (!xs.length) return undefined;
  const mid = xs.length >> 1;
  return xs.length % 2 ? xs[mid] : (xs[mid - 1]! + xs[mid]!) / 2;
};
const ms = (v: number | undefined) => (v === undefined ? 'n/a' : `${v.toFixed(1)} ms`);
const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || b <= 0 ? 'n/a' : `${(a / b).toFixed(2)}×`);

const cpu = median('cpu_true');
const sshd = median('sshd_true');
const consoleOnly = median('console');
const bwrap = median('bwrap_true');
const xcpu = median('xcpu_true');
const startViaSsh = cpu !== undefined && consoleOnly !== undefined ? cpu - consoleOnly : undefined;

console.log(`bench/exec (QEMU ${vm.accel}, 2 vCPUs; medians of ${n}; boot ${r.ms.boot} ms, colony serve ready ${r.said.serve_ready_ms} ms, setup ${r.said.setup_ms} ms)`);
console.log(`  cpu ENV -- true over OpenSSH        ${ms(cpu).padStart(10)}   vs ssh localhost true (sshd) ${ms(sshd).padStart(10)}   ratio ${ratio(cpu, sshd)} (goal <= 1.5×)${sshd === undefined ? '  MISSING ANCHOR' : cpu !== undefined && cpu / sshd <= 1.5 ? '  met' : '  MISSED'}`);
console.log(`  process start, xcpu clone/exec/wait ${ms(xcpu).padStart(10)}   vs bwrap --unshare-all true  ${ms(bwrap).padStart(10)}   ratio ${ratio(xcpu, bwrap)}`);
console.log(`  process start, cpu less whoami      ${ms(startViaSsh).padStart(10)}   vs bwrap --unshare-all true  ${ms(bwrap).padStart(10)}   ratio ${ratio(startViaSsh, bwrap)}`);
console.log(`  (a console command over SSH, no process: ${ms(consoleOnly)})`);
for (const m of r.output.matchAll(/^note (.*)$/gm)) console.log(`  note: ${m[1]}`);
if (sshdNote) console.log(`  note: ${sshdNote}`);
if (!samples.size) console.log(r.output.slice(-4000));
