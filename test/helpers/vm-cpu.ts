// The `cpu` system tests' guest: a supervisor inside the QEMU guest (the guest kernel has the
// 9p client, cgroup v2 and namespaces that the host lacks), set up by
// scripts/vm/guest/cpu-lib.sh (`colony serve`, users alice/bob/carol with keys, the fixture
// tree of test/system/fixtures/cpu-env.sh imported as alice's `seed`). The test's script runs
// after that, prints TAP lines, and each becomes one assertion on the host.
// Only a type from tap here: bench/exec.ts uses this module too.
import type { Test } from 'tap';
import { guestScripts, parseTap, runGuest, type GuestResult, type TapLine } from './vm.js';

export interface CpuGuestOptions {
  /** bash run after cpu_up, with cpu-lib.sh's functions (on, check, expect_eq, …). */
  script: string;
  /** A colony.json for `colony serve` (the `exec` limits, say). */
  config?: Record<string, unknown>;
  timeoutMs?: number;
  /** Kernel memory for the guest, MiB (default 2048: the supervisor alone takes ~1 GiB under tsx). */
  memoryMb?: number;
  env?: Record<string, string>;
}

export interface CpuGuestResult extends GuestResult {
  checks: TapLine[];
  /** The KEY=VALUE lines the guest printed (timings: serve_ready_ms, setup_ms, …). */
  said: Record<string, string>;
}

/** Quotes one word for bash. */
export function shq(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** The whole guest script: the library, cpu_up, the test's part, the log's warnings, cpu_down. */
export function cpuGuestScript(o: Pick<CpuGuestOptions, 'script' | 'config'>): string {
  return [
    `source ${guestScripts}/guest/cpu-lib.sh`,
    `if ! cpu_up ${o.config ? shq(JSON.stringify(o.config)) : ''}; then echo 'not ok 1 - the supervisor came up in the guest'; tail -n 40 "$CPU_DIR/serve.log"; exit 1; fi`,
    '(',
    o.script,
    ')',
    'rc=$?',
    'echo "--- supervisor warnings"; serve_problems 30',
    'cpu_down',
    'exit $rc',
  ].join('\n');
}

export async function runCpuGuest(o: CpuGuestOptions): Promise<CpuGuestResult> {
  const r = await runGuest({
    script: cpuGuestScript(o),
    reroot: true,
    memoryMb: o.memoryMb ?? 2048,
    cpus: 2,
    timeoutMs: o.timeoutMs ?? 900_000,
    ...(o.env ? { env: o.env } : {}),
  });
  const said = Object.fromEntries([...r.output.matchAll(/^(\w+)=(\S*)$/gm)].map((m) => [m[1]!, m[2]!]));
  return { ...r, checks: parseTap(r.output).results, said };
}


/** One assertion per TAP line the guest printed, and the timings as a comment. */
export function reportChecks(t: Test, r: CpuGuestResult, expected: number): void {
  t.ok(r.checks.length >= expected, `the guest ran its ${expected} checks (ran ${r.checks.length}, rc ${r.rc})`, r.checks.length >= expected ? {} : { output: r.output.slice(-6000) });
  for (const c of r.checks) t.ok(c.ok, c.name, c.ok ? {} : { detail: c.detail ?? '' });
  // The whole guest output once, when something failed (not per failure).
  if (r.checks.some((c) => !c.ok)) t.comment(`guest output (last 8000 characters):\n${r.output.slice(-8000)}`);
  const s = r.said;
  t.comment(`boot ${r.ms.boot} ms; serve ready ${s.serve_ready_ms} ms; users+import ${s.users_import_ms} ms; setup ${s.setup_ms} ms; script ${r.ms.script} ms; total ${r.ms.total} ms`);
}
