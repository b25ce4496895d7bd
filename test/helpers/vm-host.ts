// What the v9fs harness needs from the host, both made by scripts/vm/build.sh: the kernel,
// initramfs and QEMU to boot (vmAvailable, requireVm), and diod, the reference 9P2000.L
// server (startDiod). ./vm.ts re-exports all of it, so importers need only that module.
//
// No tap import here: scripts/vm/run.ts (the shell entry) uses ./vm.ts too.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const vmScripts = fileURLToPath(new URL('../../scripts/vm/', import.meta.url));

export interface VmArtefacts { kver: string; vmlinux: string; initrd: string; qemu: string; accel: 'kvm' | 'tcg' }
export type VmAvailability = ({ ok: true } & VmArtefacts) | { ok: false; reason: string };

/**
 * For a test file's top level: true when the harness can run. Otherwise the file fails with
 * the reason, or is skipped when COLONY_VM_DISABLE is set (for machines that cannot run QEMU).
 */
export async function requireVm(t: { fail(message: string): unknown; plan(n: number, comment?: string): unknown }): Promise<boolean> {
  const vm = await vmAvailable();
  if (vm.ok) return true;
  if (process.env.COLONY_VM_DISABLE) t.plan(0, vm.reason);
  else t.fail(`the v9fs harness cannot run here: ${vm.reason}`);
  return false;
}

let built: Promise<VmAvailability> | undefined;

/**
 * Whether the harness can run here, and why not. Runs scripts/vm/build.sh once per process
 * (installs packages, builds or reuses the cached kernel and initramfs).
 */
export function vmAvailable(): Promise<VmAvailability> {
  built ??= probe();
  return built;
}

async function probe(): Promise<VmAvailability> {
  if (process.platform !== 'linux') return { ok: false, reason: `needs Linux, not ${process.platform}` };
  if (process.env.COLONY_VM_DISABLE) return { ok: false, reason: 'COLONY_VM_DISABLE is set' };
  if (!existsSync('/mnt')) return { ok: false, reason: 'the host has no /mnt (the guest binds the mount under test there)' };
  const r = await capture('bash', [join(vmScripts, 'build.sh')], 15 * 60_000);
  if (r.code !== 0) return { ok: false, reason: `scripts/vm/build.sh failed (exit ${r.code}): ${r.stderr.trim().slice(-2000)}` };
  const kv = Object.fromEntries(r.stdout.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  const { KVER, VMLINUX, INITRD, QEMU } = kv;
  if (!KVER || !VMLINUX || !INITRD || !QEMU) return { ok: false, reason: `scripts/vm/build.sh printed no artefacts: ${r.stdout}` };
  return { ok: true, kver: KVER, vmlinux: VMLINUX, initrd: INITRD, qemu: QEMU, accel: kvmUsable() ? 'kvm' : 'tcg' };
}

/** KVM only with a real kvm_intel/kvm_amd: a paravirtual /dev/kvm (kvm_pvm) hangs a stock kernel. */
function kvmUsable(): boolean {
  return (existsSync('/sys/module/kvm_intel') || existsSync('/sys/module/kvm_amd')) && existsSync('/dev/kvm');
}

/** Runs `cmd` to the end (SIGKILL after `timeoutMs`) and collects its output; never rejects. */
function capture(cmd: string, args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs, killSignal: 'SIGKILL' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => { stdout += b.toString(); });
    child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
    child.on('error', (err) => resolve({ code: -1, stdout, stderr: stderr + err.message }));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Anything that runs clean-ups when a test ends (a tap Test, for one). */
export interface Teardown { teardown(fn: () => unknown): void }

export interface Diod { socket: string; exportDir: string; pid: number; log: () => string; aname: string }

/**
 * Starts diod, the reference 9P2000.L server, on a unix socket in `dir`, exporting
 * `exportDir`. It runs with -N (no passwd lookups), so mounts need uname=root. Killed by PID
 * when the test ends.
 */
export async function startDiod(t: Teardown, dir: string, exportDir: string, opts: { threads?: number } = {}): Promise<Diod> {
  await capture('bash', [join(vmScripts, 'build.sh'), '--packages'], 10 * 60_000);
  const socket = join(dir, 'diod.sock');
  const args = ['-f', '-n', '-N', '-c', '/dev/null', '-L', 'stderr', '-l', socket, '-e', exportDir];
  if (opts.threads) args.push('-w', String(opts.threads));
  const child = spawn('/usr/sbin/diod', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s: string) => { log = (log + s).slice(-100_000); });
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  child.on('error', (err) => { log += `\n${err.message}`; });
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid) process.kill(child.pid, 'SIGTERM');
    const gone = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5000))]);
    if (!gone && child.pid) { try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ } }
    await rm(socket, { force: true });
  });
  const deadline = Date.now() + 10_000;
  while (!existsSync(socket)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`diod did not start listening on ${socket}: ${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { socket, exportDir, pid: child.pid ?? -1, log: () => log, aname: exportDir };
}
