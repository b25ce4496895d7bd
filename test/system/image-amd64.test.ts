// The flashable amd64 image, end to end: built by `image/build.sh` (cached by its inputs),
// powered on in QEMU (TCG, UEFI) with a disk larger than the image, used through its serial
// console and its SSH console only, as an operator with a fresh card would, then rebooted.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootImage, buildImage, ensureVmPackages, firstBootNotice, newMachineDisk, type ImageVm } from '../helpers/vm-image.js';
import { passwordOnly, runSshClient, sshOptions } from '../helpers/openssh.js';
import { hostnameOf } from '../../appliance/cli/hostname-command.js';

const BOOT_MS = 400_000; // TCG on a busy 2-core machine; the figure is printed, not asserted
const password = 'image-chosen-1';

if (process.platform !== 'linux' || process.arch !== 'x64' || process.getuid?.() !== 0) {
  t.plan(0, 'the image is built as root on an x86_64 Linux host');
  process.exit(0);
}

const dir = mkdtempSync(join(tmpdir(), 'colony-image-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

function ssh(vm: ImageVm, command: string, input?: string, timeoutMs = 180_000) {
  return runSshClient('sshpass', ['-p', password, 'ssh', ...sshOptions(), ...passwordOnly(), '-p', String(vm.sshPort), 'admin@127.0.0.1', command],
    { timeoutMs, ...(input === undefined ? {} : { input }) });
}

/** `node`'s line that starts with `key`, its value. */
const field = (text: string, key: string) => text.split('\n').find((l) => l.startsWith(key + ' '))?.slice(key.length + 1);

t.test('the amd64 image boots, serves, grows its data disk and keeps its data across a reboot', async (t) => {
  await ensureVmPackages();
  const builtAt = Date.now();
  const image = await buildImage('amd64');
  t.comment(`image built (or found up to date) in ${((Date.now() - builtAt) / 1000).toFixed(0)} s`);
  const machine = await newMachineDisk(image, dir, 6);

  // ---- first boot ------------------------------------------------------------------------
  let vm = await bootImage(machine, dir);
  t.teardown(() => vm.kill());
  const notice = await firstBootNotice(vm, BOOT_MS);
  t.comment(`first boot: the serial console's first-boot notice ${(vm.elapsed() / 1000).toFixed(1)} s after power-on (the bar is 90 s)`);
  t.match(vm.bootLog(), new RegExp(`\\b${hostnameOf(notice.nodeId)}\\b`), 'the machine is named after its node id');

  // The serial console: the one-time password, then a chosen one, then a command.
  let mark = vm.consoleText().length;
  vm.typeLine('admin');
  await vm.waitConsole(/password:\s*$/, 30_000, mark);
  vm.typeLine(notice.oneTime);
  await vm.waitConsole(/new password:\s*$/, 60_000, mark);
  vm.typeLine(password);
  await vm.waitConsole(/again:\s*$/, 30_000, mark);
  vm.typeLine(password);
  await vm.waitConsole(/password changed[\s\S]*colony>\s*$/, 60_000, mark);
  mark = vm.consoleText().length;
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
  mkdirSync(join(tree, 'etc'), { recursive: true });
  writeFileSync(join(tree, 'etc', 'motd'), 'hello from the host\n');
  const tar = execFileSync('tar', ['-C', tree, '-cf', '-', '.']).toString('latin1');
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
  vm = await bootImage(machine, dir);
  await vm.waitConsole(/colony login:\s*$/, BOOT_MS);
  t.comment(`second boot: the login prompt ${(vm.elapsed() / 1000).toFixed(1)} s after power-on`);
  t.notMatch(vm.consoleText(), /first boot/, 'no first-boot notice once the admin chose a password');
  t.match(vm.bootLog(), new RegExp(`\\b${hostnameOf(notice.nodeId)}\\b`), 'the same name');
  const again = await ssh(vm, 'node');
  t.equal(field(again.stdout, 'node'), notice.nodeId, 'the same node id after the reboot');
  const scores = await ssh(vm, 'scores');
  t.match(scores.stdout, /\bafter\b/, `the saved snapshot is still there: ${scores.stdout}`);
  const back = await ssh(vm, 'spawn after as again');
  t.equal(back.code, 0, `spawn after the reboot: ${back.stderr}`);
  const read = await ssh(vm, 'cpu again -- cat /etc/note');
  t.match(read.stdout, /made-inside/, 'the file written before the save');
  await vm.powerDown(180_000);
});
