// The appliance image used end to end, as an operator with a fresh card would: built by
// image/build.sh (cached by its inputs), powered on in QEMU (TCG) with a disk larger than the
// image, used through its serial console and its SSH console only, then rebooted. The amd64
// test runs this in CI (test/system); the arm64 one is `npm run test:image-arm64`.
import type { Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bootImage, buildImage, ensureVmPackages, firstBootNotice, firstSerialLogin, imageCache, newMachineDisk, type Arch, type ImageVm } from './vm-image.js';
import { passwordOnly, runSshClient, sshOptions } from './openssh.js';
import { hostnameOf } from '../../appliance/cli/hostname-command.js';

const BOOT_MS = 600_000; // TCG on a busy 2-core machine; the figures are printed, not asserted
const password = 'image-chosen-1';

function ssh(vm: ImageVm, command: string, input?: string | Buffer, timeoutMs = 180_000) {
  return runSshClient('sshpass', ['-p', password, 'ssh', ...sshOptions(), ...passwordOnly(), '-p', String(vm.sshPort), 'admin@127.0.0.1', command],
    { timeoutMs, ...(input === undefined ? {} : { input }) });
}

/** `node`'s line that starts with `key`, its value. */
const field = (text: string, key: string) => text.split('\n').find((l) => l.startsWith(key + ' '))?.slice(key.length + 1);

export async function exerciseImage(t: Test, arch: Arch, dir: string): Promise<void> {
  await ensureVmPackages(arch);
  const builtAt = Date.now();
  const image = await buildImage(arch);
  t.comment(`image built (or found up to date) in ${((Date.now() - builtAt) / 1000).toFixed(0)} s`);
  const machine = await newMachineDisk(image, dir, 6);

  // ---- first boot ------------------------------------------------------------------------
  let vm = await bootImage(machine, dir, arch);
  t.teardown(() => vm.kill());
  const notice = await firstBootNotice(vm, BOOT_MS);
  t.comment(`first boot: the serial console's first-boot notice ${(vm.elapsed() / 1000).toFixed(1)} s after power-on (the bar is 90 s)`);
  // Only amd64 has a boot log (its second UART); arm64's one UART is Colony's console.
  if (arch === 'amd64') t.match(vm.bootLog(), new RegExp(`\\b${hostnameOf(notice.nodeId)}\\b`), 'the machine is named after its node id');

  // The serial console: the one-time password, then a chosen one, then a command.
  await firstSerialLogin(vm, notice.oneTime, password);
  const mark = vm.consoleText().length;
  vm.typeLine('whoami');
  await vm.waitConsole(/admin[\s\S]*colony>\s*$/, 30_000, mark);
  vm.typeLine('exit');
  await vm.waitConsole(/colony login:\s*$/, 30_000, mark);
  t.pass('serial console: login with the one-time password, a new password, whoami, exit');

  // The SSH console through QEMU's forward: the node as the supervisor reports it.
  const node = await ssh(vm, 'node');
  t.equal(node.code, 0, `node over SSH: ${node.stderr}`);
  t.equal(field(node.stdout, 'node'), notice.nodeId, 'the node id of the notice');
  t.notMatch(node.stdout, /^degraded/m, 'not degraded');
  const disk = field(node.stdout, 'disk') ?? '';
  t.match(disk, /of (\d+(\.\d+)?) GiB \(\/var\/lib\/colony\)/, `the data disk: ${disk}`);
  t.ok(Number(/of ([\d.]+) GiB/.exec(disk)?.[1]) > 2, 'the data partition grew from 64 MiB to fill the 6 GiB disk');
  t.match(field(node.stdout, 'cpu') ?? '', /^ready/, 'cpu can run processes here');

  // An import, a spawn, a process in the environment, a save, a boom: all inside the image.
  const tree = join(dir, 'tree');
  smallRoot(tree, arch);
  const tar = execFileSync('tar', ['-C', tree, '-czf', '-', '.'], { maxBuffer: 64 << 20 }); // gzip: import takes it too
  const imported = await ssh(vm, 'import base', tar);
  t.equal(imported.code, 0, `import over SSH: ${imported.stdout}${imported.stderr}`);
  const spawned = await ssh(vm, 'spawn base as work');
  t.equal(spawned.code, 0, `spawn: ${spawned.stdout}${spawned.stderr}`);
  t.match(spawned.stdout, /mount -t 9p/, 'spawn printed its mount line');
  const wrote = await ssh(vm, "cpu work -- /bin/sh -c 'cat /etc/motd; echo made-inside > /etc/note'");
  t.equal(wrote.code, 0, `cpu: ${wrote.stdout}${wrote.stderr}`);
  t.match(wrote.stdout, /hello from the host/, 'the process sees the imported tree');
  const saved = await ssh(vm, 'save work after');
  t.equal(saved.code, 0, `save: ${saved.stdout}${saved.stderr}`);
  const boomed = await ssh(vm, 'boom work');
  t.equal(boomed.code, 0, `boom: ${boomed.stdout}${boomed.stderr}`);
  const status = await ssh(vm, 'status');
  t.notMatch(status.stdout, /\bwork\b/, 'the environment is gone after boom');

  // ---- a clean reboot ----------------------------------------------------------------------
  await vm.powerDown(180_000);
  vm = await bootImage(machine, dir, arch);
  await vm.waitConsole(/colony login:\s*$/, BOOT_MS);
  t.comment(`second boot: the login prompt ${(vm.elapsed() / 1000).toFixed(1)} s after power-on`);
  t.notMatch(vm.consoleText(), /first boot/, 'no first-boot notice once the admin chose a password');
  if (arch === 'amd64') t.match(vm.bootLog(), new RegExp(`\\b${hostnameOf(notice.nodeId)}\\b`), 'the same name');
  const again = await ssh(vm, 'node');
  t.equal(field(again.stdout, 'node'), notice.nodeId, 'the same node id after the reboot');
  const scores = await ssh(vm, 'scores');
  t.match(scores.stdout, /\bafter\b/, `the saved snapshot is still there: ${scores.stdout}`);
  const back = await ssh(vm, 'spawn after as again');
  t.equal(back.code, 0, `spawn after the reboot: ${back.stderr}`);
  const read = await ssh(vm, 'cpu again -- cat /etc/note');
  t.match(read.stdout, /made-inside/, 'the file written before the save');
  await vm.powerDown(180_000);
}

/**
 * A small root for an environment: dash and cat with the C library, taken from the image's
 * own Debian root filesystem (the build's cached tarball, so the architecture is right),
 * and a file to read.
 */
function smallRoot(tree: string, arch: Arch): void {
  const tars = readdirSync(imageCache).filter((f) => f.startsWith(`rootfs-${arch}-`) && f.endsWith('.tar'))
    .sort((a, b) => statSync(join(imageCache, b)).mtimeMs - statSync(join(imageCache, a)).mtimeMs);
  if (!tars.length) throw new Error(`no rootfs-${arch}-*.tar in ${imageCache}: image/build.sh makes it`);
  mkdirSync(join(tree, 'etc'), { recursive: true });
  const wanted = ['./bin', './lib', ...(arch === 'amd64' ? ['./lib64'] : []), './usr/bin/sh', './usr/bin/dash', './usr/bin/cat',
    './usr/lib*/ld-linux*', './usr/lib/*-linux-gnu/libc.so.6']; // * matches / here: the first finds both ld.so paths
  execFileSync('tar', ['-xf', join(imageCache, tars[0]!), '-C', tree, '--wildcards', ...wanted]);
  writeFileSync(join(tree, 'etc', 'motd'), 'hello from the host\n');
}
