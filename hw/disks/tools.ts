// Running the system's disk tools: a missing one is an error naming the Debian package
// that brings it, and every run has a time bound.
import { execFile } from 'node:child_process';
import { ColonyError } from '../../appliance/errors.js';

/** Which Debian package installs each tool we run. */
export const PACKAGE_OF: Record<string, string> = {
  lsblk: 'util-linux', blkid: 'util-linux', partx: 'util-linux', findmnt: 'util-linux', losetup: 'util-linux',
  mount: 'mount', umount: 'mount',
  sfdisk: 'fdisk', growpart: 'cloud-guest-utils',
  'mkfs.ext4': 'e2fsprogs', resize2fs: 'e2fsprogs', e2fsck: 'e2fsprogs', dumpe2fs: 'e2fsprogs',
  udevadm: 'udev', systemctl: 'systemd',
};

export interface ToolResult { code: number; stdout: string; stderr: string }

// The disk tools live in sbin, which a non-login PATH may lack.
const PATH = `${process.env.PATH ?? '/usr/bin:/bin'}:/usr/sbin:/sbin`;

/**
 * Runs `tool args…` (stdin from `input`) and resolves with its exit status; rejects only
 * when it cannot be run. `ok` lists the statuses that count as success (others reject).
 */
export function runTool(tool: string, args: string[], o: { input?: string; ok?: number[]; timeoutMs?: number } = {}): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(tool, args, { env: { ...process.env, PATH, LC_ALL: 'C' }, timeout: o.timeoutMs ?? 30 * 60_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const sys = (err as NodeJS.ErrnoException | null)?.code;
      if (sys === 'ENOENT') {
        reject(new ColonyError('COLONY_UNSUPPORTED', `${tool} is not installed (Debian package ${PACKAGE_OF[tool] ?? 'unknown'}: apt-get install ${PACKAGE_OF[tool] ?? tool})`, { cause: err }));
        return;
      }
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      if (err && code === -1) {
        reject(new ColonyError('COLONY_IO', `${tool} ${args.join(' ')}: ${err.message}`, { cause: err }));
        return;
      }
      if (o.ok && !o.ok.includes(code)) {
        reject(new ColonyError('COLONY_IO', `${tool} ${args.join(' ')} failed (status ${code}): ${stderr.trim() || stdout.trim()}`));
        return;
      }
      resolve({ code, stdout, stderr });
    });
    if (o.input !== undefined) child.stdin?.end(o.input);
    else child.stdin?.end();
  });
}
