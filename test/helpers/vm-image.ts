// The appliance image under QEMU (TCG), as a system test uses it: build it (image/build.sh,
// cached by its inputs), give each test a copy-on-write disk over it, power it on with
// UEFI, a serial console on a unix socket (the guest's ttyS0, Colony's console), the boot
// log on the second UART (ttyS1), and the SSH console forwarded to 127.0.0.1 only.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './cli.js';
import { freePort } from './colony-server.js';

const run = promisify(execFile);

export const imageCache = process.env.COLONY_IMAGE_CACHE ?? join(homedir(), '.cache', 'colony-image');
const OVMF_CODE = '/usr/share/OVMF/OVMF_CODE_4M.fd';
const OVMF_VARS = '/usr/share/OVMF/OVMF_VARS_4M.fd';

/** Builds the image for `arch` (a no-op when its inputs are unchanged) and returns its path. */
export type Arch = 'amd64' | 'arm64';

export async function buildImage(arch: Arch = 'amd64'): Promise<string> {
  const out = join(imageCache, `out-${arch}`);
  await run(join(repoRoot, 'image', 'build.sh'), ['--arch', arch, '--out', out], { timeout: 3 * 3600_000, maxBuffer: 64 << 20 });
  return join(out, `colony-${arch}.img`);
}

/** The host packages the boot needs (a fresh CI machine may lack them). */
export async function ensureVmPackages(arch: Arch = 'amd64'): Promise<void> {
  const qemu = arch === 'amd64' ? ['qemu-system-x86', 'ovmf'] : ['qemu-system-arm'];
  await run(join(repoRoot, 'scripts', 'ensure-apt.sh'), [...qemu, 'qemu-utils', 'sshpass', 'openssh-client'], { timeout: 600_000 });
}

/** A machine's own disk (qcow2 over the image, `sizeGiB` to grow into) and UEFI variables. */
export interface MachineDisk { image: string; disk: string; vars: string }

export async function newMachineDisk(image: string, dir: string, sizeGiB = 6): Promise<MachineDisk> {
  const disk = join(dir, 'disk.qcow2');
  const vars = join(dir, 'efivars.fd');
  await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', image, '-F', 'raw', disk, `${sizeGiB}G`]);
  copyFileSync(OVMF_VARS, vars);
  return { image, disk, vars };
}

export interface ImageVm {
  /** The host port forwarded to the guest's 2222 (the SSH console). */
  sshPort: number;
  /** Everything the guest wrote on its ttyS0 (firmware, then Colony's console). */
  consoleText(): string;
  /** The kernel's and systemd's lines on ttyS1. */
  bootLog(): string;
  /** Waits until the console text after `from` matches; rejects with the tail on timeout. */
  waitConsole(pattern: RegExp, ms: number, from?: number): Promise<RegExpMatchArray>;
  /** Types a line on the console (CR, as a terminal sends). */
  typeLine(text: string): void;
  /** Milliseconds since QEMU started. */
  elapsed(): number;
  /** ACPI power button, then waits for QEMU to exit (a clean shutdown by systemd). */
  powerDown(ms: number): Promise<void>;
  /** Ends QEMU at once (SIGKILL), as a power cut. */
  kill(): Promise<void>;
  exited: Promise<number | null>;
}

/**
 * The machine each image runs on. amd64: q35 with OVMF, Colony's console on ttyS0 and the
 * boot log on ttyS1. arm64: QEMU has no Pi 4, so the CI stand-in is `virt` (cortex-a72)
 * booting the image's kernel and initrd directly, with the Pi's command line; its one
 * UART (ttyAMA0) is Colony's console, as serial0 is on a Pi, so there is no boot log.
 */
function machineArgs(arch: Arch, machine: MachineDisk, bootLogFile: string): { qemu: string; args: string[] } {
  const disk = ['-drive', `if=none,id=d0,format=qcow2,file=${machine.disk}`, '-device', 'virtio-blk-pci,drive=d0'];
  if (arch === 'amd64') {
    return {
      qemu: 'qemu-system-x86_64',
      args: ['-machine', 'q35', '-drive', `if=pflash,format=raw,readonly=on,file=${OVMF_CODE}`, '-drive', `if=pflash,format=raw,file=${machine.vars}`,
        ...disk, '-serial', 'chardev:con', '-serial', `file:${bootLogFile}`],
    };
  }
  const out = dirname(machine.image);
  const cmdline = readFileSync(join(out, 'cmdline-arm64.txt'), 'utf8').trim();
  return {
    qemu: 'qemu-system-aarch64',
    args: ['-machine', 'virt', '-cpu', 'cortex-a72', '-kernel', join(out, 'vmlinuz-arm64'), '-initrd', join(out, 'initrd-arm64.img'),
      '-append', cmdline, ...disk, '-serial', 'chardev:con'],
  };
}

export async function bootImage(machine: MachineDisk, dir: string, arch: Arch = 'amd64'): Promise<ImageVm> {
  const sshPort = await freePort();
  const consoleSock = join(dir, `console-${sshPort}.sock`);
  const monitorSock = join(dir, `monitor-${sshPort}.sock`);
  const bootLogFile = join(dir, `boot-${sshPort}.log`);
  const started = Date.now();
  const m = machineArgs(arch, machine, bootLogFile);
  const qemu: ChildProcess = spawn(m.qemu, [
    '-accel', 'tcg', '-m', '2048', '-smp', '2', '-nographic', '-nodefaults',
    '-chardev', `socket,id=con,path=${consoleSock},server=on,wait=off`, ...m.args,
    // restrict=on: the guest reaches nothing, not even the host; the forward still works.
    '-netdev', `user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:${sshPort}-:2222`, '-device', 'virtio-net-pci,netdev=n0',
    '-monitor', `unix:${monitorSock},server=on,wait=off`,
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let qemuErr = '';
  qemu.stderr!.on('data', (d: Buffer) => { qemuErr += d.toString(); });
  const exited = new Promise<number | null>((resolve) => qemu.on('exit', (code) => resolve(code)));

  let text = '';
  const waiters = new Set<() => void>();
  let consoleSocket: Socket | undefined;
  // QEMU makes the socket a moment after it starts; connect once it is there (bounded).
  for (let i = 0; i < 100 && !consoleSocket; i++) {
    if (qemu.exitCode !== null) throw new Error(`qemu exited at start: ${qemuErr}`);
    if (existsSync(consoleSock)) {
      consoleSocket = await new Promise<Socket | undefined>((resolve) => {
        const s = connect(consoleSock, () => resolve(s));
        s.once('error', () => resolve(undefined));
      });
    }
    if (!consoleSocket) await new Promise((r) => setTimeout(r, 100));
  }
  if (!consoleSocket) { qemu.kill('SIGKILL'); throw new Error(`no console socket from qemu: ${qemuErr}`); }
  consoleSocket.on('data', (d: Buffer) => { text += d.toString('latin1'); for (const w of waiters) w(); });
  consoleSocket.on('error', () => {});

  const bootLog = () => (existsSync(bootLogFile) ? readFileSync(bootLogFile, 'latin1') : '');
  const monitor = (command: string) => new Promise<void>((resolve, reject) => {
    const s = connect(monitorSock, () => { s.end(command + '\n'); });
    // Read (and drop) the monitor's echo: a paused socket never sees its end, and holds no
    // reference to the event loop, so the process would exit while waiting.
    s.resume();
    s.on('error', reject);
    s.on('close', () => resolve());
  });

  return {
    sshPort,
    consoleText: () => text,
    bootLog,
    elapsed: () => Date.now() - started,
    typeLine: (line) => { consoleSocket!.write(line + '\r'); },
    waitConsole(pattern, ms, from = 0) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = text.slice(from).match(pattern);
          if (m) { done(); resolve(m); }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`console: no ${pattern} in ${ms} ms; console tail:\n${text.slice(-1500)}\nboot log tail:\n${bootLog().slice(-3000)}\nqemu: ${qemuErr}`));
        }, ms);
        const done = () => { clearTimeout(timer); waiters.delete(check); };
        waiters.add(check);
        check();
      });
    },
    async powerDown(ms) {
      await monitor('system_powerdown');
      const timer = setTimeout(() => qemu.kill('SIGKILL'), ms);
      const code = await exited;
      clearTimeout(timer);
      if (code === null) throw new Error(`the guest did not power off in ${ms} ms; boot log tail:\n${bootLog().slice(-3000)}`);
    },
    async kill() {
      consoleSocket!.destroy();
      if (qemu.exitCode === null) qemu.kill('SIGKILL');
      await exited;
    },
    exited,
  };
}

/** The serial console's first-boot notice: node id and one-time password. */
export async function firstBootNotice(vm: ImageVm, ms: number): Promise<{ nodeId: string; oneTime: string }> {
  const m = await vm.waitConsole(/node id\s+(12D3KooW\w+)[\s\S]*?one-time password (\S+?);[\s\S]*?colony login:/, ms);
  return { nodeId: m[1]!, oneTime: m[2]! };
}

/**
 * The first login on the serial console: admin with the one-time password, then `password`
 * chosen twice. Leaves the console at the `colony>` prompt.
 */
export async function firstSerialLogin(vm: ImageVm, oneTime: string, password: string): Promise<void> {
  const mark = vm.consoleText().length;
  vm.typeLine('admin');
  await vm.waitConsole(/password:\s*$/, 30_000, mark);
  vm.typeLine(oneTime);
  await vm.waitConsole(/new password:\s*$/, 60_000, mark);
  vm.typeLine(password);
  await vm.waitConsole(/again:\s*$/, 30_000, mark);
  vm.typeLine(password);
  await vm.waitConsole(/password changed[\s\S]*colony>\s*$/, 60_000, mark);
}
