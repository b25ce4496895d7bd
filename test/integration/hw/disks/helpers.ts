// Image files on loop devices for the disk tests. One teardown per test, in the only safe
// order: unmount what is mounted under the test's directory, detach the loop devices it
// attached (by the path losetup gave), then remove the directory.
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Test } from 'tap';
import { childEnv, cliEntry, repoRoot } from '../../../helpers/cli.js';

execFileSync(fileURLToPath(new URL('../../../../scripts/ensure-apt.sh', import.meta.url)), ['fdisk', 'cloud-guest-utils', 'e2fsprogs', 'util-linux', 'mount'], { stdio: 'inherit', timeout: 600_000 });

export const PATH = `${process.env.PATH}:/usr/sbin:/sbin`;
export const sh = (cmd: string, args: string[], input?: string) =>
  execFileSync(cmd, args, { encoding: 'utf8', env: { ...process.env, PATH }, timeout: 120_000, ...(input !== undefined ? { input } : {}) });

/** Why the disk tests cannot run here (not root, no loop devices), or undefined. */
export function cannotRun(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root for loop devices and mounts';
  try { sh('losetup', ['-f']); } catch { return 'no free loop device'; }
  return undefined;
}

export interface Bench {
  dir: string;
  data: string;
  units: string;
  image: string;
  /** Attaches the image (partitions scanned) and returns the loop device's path. */
  attach(): string;
  detach(dev: string): void;
  sizeTo(bytes: number): Promise<void>;
}

export async function bench(t: Test, bytes: number): Promise<Bench> {
  const dir = await mkdtemp(join(tmpdir(), 'colony-disk-'));
  const attached = new Set<string>();
  const b: Bench = {
    dir, data: join(dir, 'data'), units: join(dir, 'units'), image: join(dir, 'disk.img'),
    attach() {
      const dev = sh('losetup', ['-P', '-f', '--show', b.image]).trim();
      attached.add(dev);
      try { sh('partx', ['-u', dev]); } catch { /* no partition table yet */ }
      return dev;
    },
    detach(dev) { sh('losetup', ['-d', dev]); attached.delete(dev); },
    async sizeTo(n) { await truncate(b.image, n); },
  };
  await writeFile(b.image, '');
  await truncate(b.image, bytes);
  t.teardown(async () => {
    const mounted = sh('findmnt', ['-rn', '-o', 'TARGET']).split('\n').filter((m) => m.startsWith(dir + '/')).sort().reverse();
    for (const m of mounted) { try { sh('umount', [m]); } catch { sh('umount', ['-l', m]); } }
    for (const dev of attached) { try { sh('losetup', ['-d', dev]); } catch { /* already gone */ } }
    await rm(dir, { recursive: true, force: true });
  });
  return b;
}

export interface Ran { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

/** `colony disk ARGS…` (the real CLI) in a child process, so a step's SIGKILL ends only it. */
export function disk(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', cliEntry, 'disk', ...args],
      { cwd: repoRoot, env: childEnv({ PATH, ...env }), stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => { stdout += c; });
    child.stderr.on('data', (c: Buffer) => { stderr += c; });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

export async function sha256(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** e2fsck -f -n: 0 when the filesystem is clean (read-only check; it must not be mounted). */
export function fsck(partition: string): { code: number; out: string } {
  try { return { code: 0, out: sh('e2fsck', ['-f', '-n', partition]) }; } catch (err) {
    const e = err as { status?: number; stdout?: string; stderr?: string };
    return { code: e.status ?? -1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

export const GiB = 1024 * 1024 * 1024;
export const MiB = 1024 * 1024;
