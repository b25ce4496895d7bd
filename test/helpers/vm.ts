// The v9fs harness: boots a small Linux VM under QEMU and mounts a 9P server, one already
// listening on a unix socket, with the real kernel client. See scripts/vm/ and
// ../shared/notes/v9fs-qemu.md. The guest runs a bash script in `chroot /host` (the host's
// / read-only, with the mount under test at /mnt) and reports on its serial console.
//
// The host's side (the VM artefacts, diod) is in ./vm-host.ts and re-exported from here.
// No tap import here: scripts/vm/run.ts (the shell entry) uses this module too.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { vmAvailable, vmScripts } from './vm-host.js';

export { requireVm, startDiod, vmAvailable, vmScripts, type Diod, type Teardown, type VmArtefacts, type VmAvailability } from './vm-host.js';

/**
 * Where scripts/vm/{guest,posix,conformance} are inside the guest. They travel in the per-run archive
 * rather than through the host-root export, because the guest mounts a tmpfs over /tmp
 * (and the checkout may live there).
 */
export const guestScripts = '/tmp/colony-vm';

/** scripts/vm/{guest,posix,conformance} as per-run archive entries under run/colony/vm. */
function guestScriptEntries(): Array<{ name: string; data?: Buffer; mode?: number }> {
  const out: Array<{ name: string; data?: Buffer; mode?: number }> = [{ name: 'run/colony/vm' }];
  for (const sub of ['guest', 'posix', 'conformance']) {
    const dir = join(vmScripts, sub);
    out.push({ name: `run/colony/vm/${sub}` });
    for (const name of readdirSync(dir).sort()) {
      const st = statSync(join(dir, name));
      if (st.isFile()) out.push({ name: `run/colony/vm/${sub}/${name}`, data: readFileSync(join(dir, name)), mode: st.mode & 0o777 });
    }
  }
  return out;
}

export interface MountOptions {
  version?: '9p2000.L' | '9p2000.u' | '9p2000';
  aname?: string;
  /** user | client | any, or a uid for single-user access. */
  access?: 'user' | 'client' | 'any' | number;
  cache?: 'none' | 'loose' | 'mmap' | 'fscache' | 'readahead';
  msize?: number;
  uname?: string;
  /** More v9fs options, comma-separated, appended as given (e.g. "posixacl,noxattr"). */
  extra?: string;
}

/**
 * One 9P server for the guest to mount, reached one of two ways:
 * - `socket`: a unix socket, relayed to the guest as a virtio-serial port and mounted with
 *   trans=fd (through FIFOs; hangs on messages over 64 KiB, so msize <= 65536);
 * - `tcp`: a TCP port on 127.0.0.1, forwarded by QEMU's user network (restrict=on: no
 *   traffic leaves QEMU) from 10.0.2.100:PORT in the guest, and mounted by running
 *   `command`, a whole `mount -t 9p -o trans=tcp,... 10.0.2.100 /mnt` line (the mount
 *   point is replaced by the guest for mounts other than /mnt). Any msize works.
 * QEMU connects to either one at start: the server must already listen.
 */
export type GuestMount =
  | { socket: string; mount?: MountOptions; tcp?: undefined }
  | { tcp: { port: number; command: string }; socket?: undefined; mount?: undefined };

/** The address the guest reaches forwarded TCP ports on (inside QEMU's user network only). */
export const guestTcpHost = '10.0.2.100';

/** No 9P server from the host: the script starts its own (a supervisor in the guest). */
export interface NoMount { socket?: undefined; tcp?: undefined; mount?: undefined }

export type GuestRun = (GuestMount | NoMount) & GuestRunOptions;

/**
 * Where the host's /tmp is inside the guest: the guest's own tmpfs covers /tmp, so init binds
 * the host's /tmp here first (a checkout under /tmp, as in CI, stays reachable).
 */
export const guestHostTmp = '/run/host-tmp';

/** A host path as the guest sees it through the read-only host root. */
export function guestPath(hostPath: string): string {
  if (hostPath === '/tmp' || hostPath.startsWith('/tmp/')) return guestHostTmp + hostPath.slice('/tmp'.length);
  return hostPath;
}

/** The checkout (this repository) inside the guest; the script also gets it as $COLONY_REPO. */
export const guestRepo = guestPath(fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, ''));

export interface GuestRunOptions {
  /**
   * bash, run as root in `chroot /host` with cwd /mnt (the mount under test; /tmp when the run
   * mounts no server), with $COLONY_REPO set to the checkout's path in the guest.
   */
  script: string;
  /**
   * Run the script in a real root rather than a chroot (init moves /host onto / in a mount
   * namespace of its own): bubblewrap's pivot_root and user namespaces need it.
   */
  reroot?: boolean;
  /** More variables exported to the script (names are shell identifiers; values are quoted). */
  env?: Record<string, string>;
  /** Kills QEMU (by PID) when passed; the call then rejects with VM_TIMEOUT. */
  timeoutMs: number;
  memoryMb?: number;
  cpus?: number;
  /** More servers in the same VM, each mounted at `at` (a path under /tmp or /run). */
  also?: Array<GuestMount & { at: string }>;
  /** More kernel command-line words (COLONY_VM_KERNEL_ARGS adds more), e.g. "loglevel=7". */
  kernelArgs?: string;
  /** Streams the console as it arrives (for people watching; COLONY_VM_VERBOSE=1 does it too). */
  onConsole?: (text: string) => void;
  /**
   * An SD card on an SD host controller (sdhci-pci + sd-card): the guest gets mmcblk0 and the
   * LED-class device `mmc0::` once it loads sdhci-pci (a module: see test/helpers/vm-hw.ts).
   * `true` backs it with a fresh 16 MiB image; a string names a raw image (QEMU wants a power
   * of two in size). Default: none.
   */
  sdCard?: boolean | string;
  /**
   * A raw disk image attached as a virtio-blk disk (the guest's /dev/vda once it loads
   * virtio_blk, a module: `modprobe -d` the kernel's tree, as vm-hw.ts does). Default: none.
   */
  disk?: string;
  /**
   * A second UART (guest /dev/ttyS1, 0x2f8) whose host end is a pty QEMU opens; called with
   * the pty's path as soon as QEMU names it. Default: none.
   */
  serialPty?: (path: string) => void;
}

export interface GuestResult {
  /** Exit status of the script; -1 when it never ran (mount failed). */
  rc: number;
  /** What the script printed (stdout and stderr), between @@BEGIN and @@END. */
  output: string;
  /** Everything else on the console, kernel lines seen during the script, QEMU's stderr. */
  bootLog: string;
  /** Every 9P server mounted. */
  mounted: boolean;
  /** Milliseconds: QEMU start to @@MOUNT, the script alone, QEMU start to exit. */
  ms: { boot: number; script: number; total: number };
}

export type VmErrorCode = 'VM_UNAVAILABLE' | 'VM_SERVER_UNREACHABLE' | 'VM_TIMEOUT' | 'VM_CRASHED';

export class VmError extends Error {
  constructor(readonly code: VmErrorCode, message: string, readonly partial?: GuestResult) {
    super(`${code}: ${message}`);
  }
}

/** The v9fs option string for one mount, without the transport (the guest adds trans=fd). */
export function mountOptionString(m: MountOptions = {}): string {
  const opts = [`version=${m.version ?? '9p2000.L'}`];
  if (m.msize !== undefined) opts.push(`msize=${m.msize}`);
  if (m.access !== undefined) opts.push(`access=${m.access}`);
  if (m.cache !== undefined) opts.push(`cache=${m.cache}`);
  if (m.uname !== undefined) opts.push(`uname=${m.uname}`);
  if (m.aname !== undefined) opts.push(`aname=${m.aname}`);
  if (m.extra) opts.push(m.extra);
  const s = opts.join(',');
  if (/\s/.test(s)) throw new TypeError(`mount options must not contain whitespace: ${s}`);
  return s;
}

/**
 * Checks a guest mount command for the tcp transport: one line, `mount -t 9p -o OPTIONS
 * 10.0.2.100 MOUNTPOINT`, with trans=tcp and a port; returns it unchanged.
 */
export function tcpMountCommand(command: string): string {
  const m = /^mount -t 9p -o (\S+) (\S+) (\/\S*)$/.exec(command);
  if (!m) throw new TypeError(`not a one-line 9p mount command: ${command}`);
  const opts = m[1]!.split(',');
  if (!opts.includes('trans=tcp') || !opts.some((o) => /^port=\d+$/.test(o))) throw new TypeError(`a tcp mount needs trans=tcp and port=N: ${command}`);
  if (m[2] !== guestTcpHost) throw new TypeError(`the guest reaches forwarded ports at ${guestTcpHost}, not ${m[2]}`);
  return command;
}

/** A newc cpio archive of regular files and directories (what the kernel's initramfs reads). */
export function newcArchive(entries: Array<{ name: string; data?: Buffer | string; mode?: number }>): Buffer {
  const parts: Buffer[] = [];
  const pad = (n: number) => Buffer.alloc((4 - (n % 4)) % 4);
  let ino = 1;
  const add = (name: string, mode: number, data: Buffer) => {
    const fields = [ino++, mode, 0, 0, 1, 0, data.length, 0, 0, 0, 0, Buffer.byteLength(name) + 1, 0];
    const header = '070701' + fields.map((f) => f.toString(16).padStart(8, '0')).join('');
    const head = Buffer.from(header + name + '\0');
    parts.push(head, pad(head.length), data, pad(data.length));
  };
  for (const e of entries) {
    if (e.data === undefined) add(e.name, 0o040000 | (e.mode ?? 0o755), Buffer.alloc(0));
    else add(e.name, 0o100000 | (e.mode ?? 0o644), Buffer.isBuffer(e.data) ? e.data : Buffer.from(e.data));
  }
  add('TRAILER!!!', 0, Buffer.alloc(0));
  return Buffer.concat(parts);
}

/** Boots the guest, mounts the server(s), runs the script, and parses the console. */
export async function runGuest(run: GuestRun): Promise<GuestResult> {
  const vm = await vmAvailable();
  if (!vm.ok) throw new VmError('VM_UNAVAILABLE', vm.reason);
  const main: Array<GuestMount & { at: string }> = run.tcp ? [{ tcp: run.tcp, at: '/mnt' }] : run.socket ? [{ socket: run.socket, mount: run.mount, at: '/mnt' }] : [];
  const mounts: Array<GuestMount & { at: string }> = [...main, ...(run.also ?? [])];
  for (const m of mounts.slice(main.length)) {
    if (!/^\/(tmp|run)\/[^\s]+$/.test(m.at)) throw new TypeError(`also[].at must be under /tmp or /run (the guest's / is read-only): ${m.at}`);
  }
  const portName = (i: number) => (i === 0 ? '9p' : `9p${i}`);
  const mountsFile = mounts.map((m, i) => (m.tcp ? `tcp ${m.at} ${tcpMountCommand(m.tcp.command)}\n` : `${portName(i)} ${m.at} ${mountOptionString(m.mount)}\n`)).join('');

  const work = await mkdtemp(join(tmpdir(), 'colony-vm-'));
  try {
    const perRun = gzipSync(newcArchive([
      { name: 'run/colony' },
      { name: 'run/colony/mounts', data: mountsFile },
      { name: 'run/colony/script.sh', data: scriptWithEnv(run), mode: 0o755 },
      ...(run.reroot ? [{ name: 'run/colony/reroot', data: '' }] : []),
      // The guest's own hard cap, past the host's timeout: bounds a QEMU whose owner died.
      { name: 'run/colony/lifetime', data: `${Math.ceil(run.timeoutMs / 1000) + 60}\n` },
      ...guestScriptEntries(),
    ]));
    const initrd = join(work, 'initrd.cpio.gz');
    await writeFile(initrd, Buffer.concat([await readFile(vm.initrd), perRun]));

    const q = (s: string) => s.replaceAll(',', ',,'); // QEMU option values escape commas by doubling
    const args = [
      '-accel', vm.accel, '-M', 'pc', '-m', String(run.memoryMb ?? 256), '-smp', String(run.cpus ?? 1),
      '-nodefaults', '-no-user-config', '-display', 'none', '-monitor', 'none', '-no-reboot',
      '-kernel', vm.vmlinux, '-initrd', initrd,
      '-append', ['console=ttyS0 quiet loglevel=4 panic=-1 mitigations=off', run.kernelArgs, process.env.COLONY_VM_KERNEL_ARGS].filter(Boolean).join(' '),
      '-serial', 'stdio',
      '-fsdev', 'local,id=hostroot,path=/,readonly=on,security_model=none,multidevs=remap',
      '-device', 'virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot',
      '-device', 'virtio-serial-pci,id=vser',
    ];
    const forwards: string[] = [];
    mounts.forEach((m, i) => {
      if (m.tcp) {
        // A chardev per forward: QEMU connects to the server at start and carries one guest
        // connection over it (one mount per forwarded port). nodelay: without it Nagle holds
        // the tail of each 9P message until the server's delayed ACK, about 40 ms a request.
        // (A `cmd:socat` forward would pass a server's close on to the guest, which a chardev
        // never does, but QEMU's socket to socat has Nagle on: 16 MiB took 100 s, not 1.3 s.
        // So a test that needs the guest to see the server hang up uses a unix socket mount.)
        args.push('-chardev', `socket,id=fwd${i},host=127.0.0.1,port=${m.tcp.port},nodelay=on`);
        forwards.push(`guestfwd=tcp:${guestTcpHost}:${m.tcp.port}-chardev:fwd${i}`);
        return;
      }
      args.push('-chardev', `socket,id=p9c${i},path=${q(m.socket)}`);
      args.push('-device', `virtserialport,bus=vser.0,chardev=p9c${i},name=${portName(i)}`);
    });
    if (run.sdCard) {
      const image = typeof run.sdCard === 'string' ? run.sdCard : join(work, 'sd.img');
      if (run.sdCard === true) { await writeFile(image, ''); await truncate(image, 16 << 20); }
      args.push('-drive', `if=none,id=sd0,format=raw,file=${q(image)}`, '-device', 'sdhci-pci', '-device', 'sd-card,drive=sd0');
    }
    if (run.disk) args.push('-drive', `if=none,id=vd0,format=raw,file=${q(run.disk)}`, '-device', 'virtio-blk-pci,drive=vd0');
    // index=1: the second ISA UART (0x2f8, IRQ 3), ttyS1 to the guest; -serial stdio is ttyS0.
    if (run.serialPty) args.push('-chardev', 'pty,id=ser1', '-device', 'isa-serial,chardev=ser1,index=1');
    if (forwards.length) {
      if (new Set(forwards).size !== forwards.length) throw new TypeError('two tcp mounts on one port: QEMU forwards one connection per port');
      args.push('-netdev', ['user,id=net0,restrict=on', ...forwards].join(','), '-device', 'virtio-net-pci,netdev=net0');
    }
    return await boot(vm.qemu, args, run);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The script with `export NAME='value'` lines in front: COLONY_REPO and run.env. */
export function scriptWithEnv(run: Pick<GuestRunOptions, 'script' | 'env'>): string {
  const vars: Record<string, string> = { COLONY_REPO: guestRepo, ...run.env };
  const lines = Object.entries(vars).map(([k, v]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new TypeError(`not a shell variable name: ${k}`);
    return `export ${k}='${v.replaceAll("'", `'\\''`)}'\n`;
  });
  return lines.join('') + run.script;
}

function boot(qemu: string, args: string[], run: GuestRun): Promise<GuestResult> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const child = spawn(qemu, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const verbose = process.env.COLONY_VM_VERBOSE ? (s: string) => process.stderr.write(s) : undefined;
    let console = '';
    let stderr = '';
    let tMount = 0;
    let tBegin = 0;
    let tEnd = 0;
    let settled = false;
    let ptyNamed = false;
    // QEMU names the pty once, at start: "char device redirected to /dev/pts/N (label ser1)",
    // on stdout (qemu_printf) in QEMU 7.2, on stderr in others: either stream will do.
    const notePty = (text: string) => {
      if (!run.serialPty || ptyNamed) return;
      const m = /char device redirected to (\S+) \(label ser1\)/.exec(text);
      if (m) { ptyNamed = true; run.serialPty(m[1]!); }
    };
    let grace: NodeJS.Timeout | undefined;
    const kill = () => { if (child.exitCode === null && child.signalCode === null && child.pid) { try { process.kill(child.pid, 'SIGKILL'); } catch { /* already gone */ } } };
    const timer = setTimeout(() => {
      kill();
      finish('timeout');
    }, run.timeoutMs);

    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (s: string) => {
      console += s;
      notePty(console);
      run.onConsole?.(s);
      verbose?.(s);
      // Markers are whole lines; look only at the new text and the line it continues.
      const recent = console.slice(console.lastIndexOf('\n', console.length - s.length - 1) + 1);
      const now = Date.now();
      if (!tMount && /^@@MOUNT /m.test(recent)) tMount = now;
      if (!tBegin && /^@@BEGIN\r?$/m.test(recent)) tBegin = now;
      if (!tEnd && /^@@END rc=/m.test(recent)) tEnd = now;
      // The guest powers off after @@DONE; if QEMU lingers, end it.
      if (!grace && /^@@DONE\r?$/m.test(recent)) grace = setTimeout(kill, 10_000);
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => { stderr += s; verbose?.(s); notePty(stderr); });
    child.on('error', (err) => { clearTimeout(timer); if (!settled) { settled = true; reject(new VmError('VM_CRASHED', `cannot start ${qemu}: ${err.message}`)); } });
    child.on('close', () => finish('exit'));

    function finish(why: 'exit' | 'timeout') {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (grace) clearTimeout(grace);
      const total = Date.now() - t0;
      const result = parseConsole(console, stderr, {
        boot: tMount ? tMount - t0 : total,
        script: tBegin && tEnd ? tEnd - tBegin : 0,
        total,
      });
      if (why === 'timeout') {
        reject(new VmError('VM_TIMEOUT', `guest did not finish within ${run.timeoutMs} ms; last console lines:\n${tail(console + stderr)}`, result));
      } else if (/-chardev socket,id=(p9c|fwd)\d+[^\n]*Failed to connect/.test(stderr) && !console) {
        reject(new VmError('VM_SERVER_UNREACHABLE', `QEMU could not connect to the 9P server's socket or port (is it listening?): ${stderr.trim()}`, result));
      } else if (result.mounted && !/^@@END rc=/m.test(console)) {
        reject(new VmError('VM_CRASHED', `guest stopped before @@END; last console lines:\n${tail(console + stderr)}`, result));
      } else if (!result.mounted && !/^@@MOUNT fail/m.test(console)) {
        reject(new VmError('VM_CRASHED', `guest stopped before mounting; last console lines:\n${tail(console + stderr)}`, result));
      } else {
        resolve(result);
      }
    }
  });
}

const kernelLine = /^\[\s*\d+\.\d+\] /;

/** Splits the console into the script's output and the rest, and reads the markers. */
export function parseConsole(consoleText: string, qemuStderr: string, ms: GuestResult['ms']): GuestResult {
  const lines = consoleText.replaceAll('\r', '').split('\n');
  const output: string[] = [];
  const boot: string[] = [];
  let inScript = false;
  let rc = -1;
  let mounted = false;
  for (const line of lines) {
    if (line === '@@BEGIN') { inScript = true; continue; }
    const end = /^@@END rc=(\d+)$/.exec(line);
    if (end) {
      // The guest puts an empty line before @@END in case the output lacked a final newline.
      if (inScript && output.at(-1) === '') output.pop();
      inScript = false;
      rc = Number(end[1]);
      continue;
    }
    if (line === '@@MOUNT ok') mounted = true;
    if (inScript && !kernelLine.test(line)) output.push(line);
    else boot.push(line);
  }
  if (inScript) output.push('[harness: output ended without @@END]');
  return {
    rc,
    output: output.join('\n'),
    bootLog: boot.join('\n') + (qemuStderr ? `\n[qemu stderr]\n${qemuStderr}` : ''),
    mounted,
    ms,
  };
}

function tail(s: string, n = 25): string {
  return s.replaceAll('\r', '').trimEnd().split('\n').slice(-n).join('\n');
}

/** The guest command that runs the POSIX checklist (scripts/vm/posix), optionally some sections. */
export function posixChecklist(sections: string[] = []): string {
  return `bash ${guestScripts}/posix/run.sh ${sections.join(' ')}`.trimEnd();
}

export interface TapLine { n: number; ok: boolean; name: string; detail?: string; todo?: boolean }
/** `fail` leaves out TODO checks (known limits of the client, which no server can pass). */
export interface TapSummary { plan: number | undefined; results: TapLine[]; pass: string[]; fail: string[]; todo: string[] }

/** Reads the checklist's TAP lines (`ok N - name`, `not ok N - name # detail`, `1..N`). */
export function parseTap(output: string): TapSummary {
  const results: TapLine[] = [];
  let plan: number | undefined;
  for (const line of output.split('\n')) {
    const m = /^(not )?ok (\d+) - (.*?)(?: # (.*))?$/.exec(line);
    if (m) {
      const detail = m[4];
      results.push({ n: Number(m[2]), ok: !m[1], name: m[3]!, ...(detail !== undefined ? { detail } : {}), ...(detail?.startsWith('TODO') ? { todo: true } : {}) });
    }
    const p = /^1\.\.(\d+)$/.exec(line);
    if (p) plan = Number(p[1]);
  }
  return {
    plan,
    results,
    pass: results.filter((r) => r.ok && !r.todo).map((r) => r.name),
    fail: results.filter((r) => !r.ok && !r.todo).map((r) => r.name),
    todo: results.filter((r) => r.todo).map((r) => r.name),
  };
}
