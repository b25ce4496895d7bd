// Shell entry of the v9fs harness (scripts/vm/run.sh calls it through tsx).
// usage: run.sh SOCKET SCRIPT|- [MOUNT-OPTIONS]
//   SOCKET         unix socket of a 9P server that already listens, or `none` (no server: cwd /tmp)
//   SCRIPT         bash file run in the guest (chroot of the host's /, cwd /mnt); - reads stdin
//   MOUNT-OPTIONS  v9fs options, e.g. version=9p2000.L,access=user,cache=none,msize=65536,uname=root,aname=/srv
// env: COLONY_VM_TIMEOUT_MS (default 600000), COLONY_VM_MEMORY_MB, COLONY_VM_CPUS, COLONY_VM_VERBOSE=1,
//      COLONY_VM_REROOT=1 (the script in a real root, not a chroot: for bwrap and user namespaces)
// Prints the script's output on stdout and exits with its status (boot log on stderr on failure).
import { readFileSync } from 'node:fs';
import { runGuest, VmError, type GuestMount, type MountOptions } from '../../test/helpers/vm.js';

function parseMount(s: string | undefined): MountOptions {
  const m: MountOptions = {};
  const extra: string[] = [];
  for (const kv of (s ?? '').split(',').filter(Boolean)) {
    const [k, v = ''] = kv.split('=', 2) as [string, string?];
    if (k === 'version') m.version = v as MountOptions['version'];
    else if (k === 'aname') m.aname = v;
    else if (k === 'uname') m.uname = v;
    else if (k === 'msize') m.msize = Number(v);
    else if (k === 'cache') m.cache = v as MountOptions['cache'];
    else if (k === 'access') m.access = /^\d+$/.test(v) ? Number(v) : (v as MountOptions['access']);
    else if (k === 'trans' || k === 'rfdno' || k === 'wfdno') throw new Error(`${k} is set by the harness`);
    else extra.push(kv);
  }
  if (extra.length) m.extra = extra.join(',');
  return m;
}

const [socket, scriptPath, opts] = process.argv.slice(2);
if (!socket || !scriptPath) {
  process.stderr.write('usage: scripts/vm/run.sh SOCKET SCRIPT|- [MOUNT-OPTIONS]\n');
  process.exit(2);
}
const script = readFileSync(scriptPath === '-' ? 0 : scriptPath, 'utf8');
try {
  const r = await runGuest({
    ...(socket === 'none' ? {} : { socket, mount: parseMount(opts) } as GuestMount),
    script,
    reroot: process.env.COLONY_VM_REROOT === '1',
    timeoutMs: Number(process.env.COLONY_VM_TIMEOUT_MS ?? 600_000),
    memoryMb: process.env.COLONY_VM_MEMORY_MB ? Number(process.env.COLONY_VM_MEMORY_MB) : undefined,
    cpus: process.env.COLONY_VM_CPUS ? Number(process.env.COLONY_VM_CPUS) : undefined,
  });
  if (r.output) process.stdout.write(r.output.endsWith('\n') ? r.output : r.output + '\n');
  if (!r.mounted) process.stderr.write(`mount failed:\n${r.bootLog}\n`);
  process.stderr.write(`[vm] rc=${r.rc} mounted=${r.mounted} boot=${r.ms.boot}ms script=${r.ms.script}ms total=${r.ms.total}ms\n`);
  process.exit(r.mounted ? r.rc : 125);
} catch (err) {
  process.stderr.write(`${err instanceof VmError ? err.message : String(err)}\n`);
  process.exit(err instanceof VmError && err.code === 'VM_TIMEOUT' ? 124 : 126);
}
