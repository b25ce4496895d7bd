// `colony update` on the real amd64 image in QEMU (TCG, UEFI), with real RAUC, systemd-boot
// boot counting, delivered the only way a flashed appliance takes one: over the SSH
// console (`update < bundle`). One machine, in order: a tampered bundle is refused before
// anything is written; a good one goes to slot B and is committed after a healthy boot (node
// id and data kept); a bundle whose supervisor never starts goes to slot A, spends its three
// tries and the machine comes back on B by itself.
import t from 'tap';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, openSync, readSync, rmSync, writeSync, closeSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { bootImage, ensureVmPackages, firstBootNotice, firstSerialLogin, imageCache, newMachineDisk, type ImageVm } from '../helpers/vm-image.js';
import { passwordOnly, runSshClient, sshOptions } from '../helpers/openssh.js';
import { repoRoot } from '../helpers/cli.js';

const run = promisify(execFile);
const BOOT_MS = 600_000;
const password = 'update-chosen-1';

if (process.platform !== 'linux' || process.arch !== 'x64' || process.getuid?.() !== 0) {
  t.plan(0, 'the image is built as root on an x86_64 Linux host');
  process.exit(0);
}
t.setTimeout(3 * 3600_000);

const dir = mkdtempSync(join(tmpdir(), 'colony-update-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
// Its own output directory (the bundle needs the image it was made from).
const out = process.env.COLONY_UPDATE_TEST_OUT ?? join(imageCache, 'out-update-amd64');
const devKey = join(imageCache, 'dev-signing', 'key.pem');
const devCert = join(imageCache, 'dev-signing', 'cert.pem');

function ssh(vm: ImageVm, command: string, input?: Buffer, timeoutMs = 600_000) {
  return runSshClient('sshpass', ['-p', password, 'ssh', ...sshOptions(), ...passwordOnly(), '-p', String(vm.sshPort), 'admin@127.0.0.1', command],
    { timeoutMs, ...(input === undefined ? {} : { input }) });
}
const field = (text: string, key: string) => text.split('\n').find((l) => l.startsWith(key + ' '))?.slice(key.length + 1);

interface Status { booted: string; next: string; slots: Array<{ bootname: string; state: string; boot: string; version: string }> }
async function status(vm: ImageVm): Promise<Status> {
  const r = await ssh(vm, 'update status --json', undefined, 120_000);
  if (r.code !== 0) throw new Error(`update status: ${r.stdout}${r.stderr}`);
  return JSON.parse(r.stdout) as Status;
}
const slot = (st: Status, name: string) => st.slots.find((s) => s.bootname === name);

/** Byte ranges of the GPT partitions in the image (sfdisk -J). */
async function partitions(image: string): Promise<Array<{ start: number; end: number }>> {
  const { stdout } = await run('sfdisk', ['-J', image]);
  return (JSON.parse(stdout).partitiontable.partitions as Array<{ start: number; size: number }>).map((p) => ({ start: p.start * 512, end: (p.start + p.size) * 512 }));
}

/** Whether the machine's own qcow2 layer holds data in [start, end) (written since it was made over the image). */
async function writtenIn(disk: string, range: { start: number; end: number }): Promise<boolean> {
  const { stdout } = await run('qemu-img', ['map', '-U', '--output=json', disk], { maxBuffer: 64 << 20 });
  const extents = JSON.parse(stdout) as Array<{ start: number; length: number; depth: number; data: boolean }>;
  return extents.some((e) => e.depth === 0 && e.data && e.start < range.end && e.start + e.length > range.start);
}

async function waitFor<T>(what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) { last = err; }
    await new Promise((r) => setTimeout(r, 5000));
  }
  throw new Error(`${what}: not within ${ms} ms (${String(last)})`);
}

t.test('colony update: refused when tampered, committed when good, rolled back when its root never gets ready', async (t) => {
  await ensureVmPackages();
  await run(join(repoRoot, 'scripts', 'ensure-apt.sh'), ['rauc', 'squashfs-tools']);
  const built = Date.now();
  await run(join(repoRoot, 'image', 'build.sh'), ['--arch', 'amd64', '--out', out, '--bundle'], { timeout: 3 * 3600_000, maxBuffer: 64 << 20 });
  const image = join(out, 'colony-amd64.img');
  const good = join(out, 'colony-amd64.raucb');
  const bad = join(dir, 'broken.raucb');
  await run(join(repoRoot, 'image', 'update', 'bundle.sh'), ['--image', image, '--arch', 'amd64', '--key', devKey, '--cert', devCert, '--out', bad, '--test-broken-service'], { maxBuffer: 64 << 20 });
  const tampered = join(dir, 'tampered.raucb');
  copyFileSync(good, tampered);
  const fd = openSync(tampered, 'r+');
  const at = Math.floor(statSync(tampered).size / 2);
  const b = Buffer.alloc(1);
  readSync(fd, b, 0, 1, at);
  b[0] = b[0]! ^ 0xff;
  writeSync(fd, b, 0, 1, at);
  closeSync(fd);
  t.comment(`image and bundles ready in ${((Date.now() - built) / 1000).toFixed(0)} s`);
  const [, rootA, rootB] = await partitions(image);

  const machine = await newMachineDisk(image, dir, 6);
  const vm = await bootImage(machine, dir);
  t.teardown(() => vm.kill());
  const notice = await firstBootNotice(vm, BOOT_MS);
  await firstSerialLogin(vm, notice.oneTime, password);
  let mark = vm.consoleText().length;
  vm.typeLine('exit');
  await vm.waitConsole(/colony login:\s*$/, 30_000, mark);

  const first = await waitFor('slot A committed', 300_000, async () => {
    const st = await status(vm);
    return st.booted === 'A' && slot(st, 'A')?.boot === 'good' ? st : undefined;
  });
  t.equal(first.next, 'A', 'a fresh machine: A booted, A next');

  // ---- a tampered bundle -------------------------------------------------------------------
  const refused = await ssh(vm, 'update', readFileSync(tampered));
  t.not(refused.code, 0, 'the tampered bundle is refused');
  t.match(refused.stderr, /signature/i, `it says why: ${refused.stderr.trim().split('\n').pop()}`);
  t.notOk(await writtenIn(machine.disk, rootB!), 'slot B\'s partition: not a byte written');
  const after = await status(vm);
  t.equal(after.next, 'A', 'A still boots next');
  t.equal(slot(after, 'B')?.version, '', 'RAUC recorded no install in B');

  // ---- a good bundle, then the reboot it asks for ------------------------------------------
  mark = vm.consoleText().length;
  const logMark = vm.bootLog().length;
  const installed = await ssh(vm, 'update --reboot', readFileSync(good));
  t.equal(installed.code, 0, `the good bundle installs: ${installed.stderr.slice(-500)}`);
  t.match(installed.stdout, /installed into slot B; it boots next/, installed.stdout);
  t.match(installed.stderr, /Installing done/, 'RAUC\'s progress on stderr');
  await vm.waitConsole(/colony login:\s*$/, BOOT_MS, mark);
  t.match(vm.bootLog().slice(logMark), /rauc\.slot=B/, 'systemd-boot started slot B');
  const committed = await waitFor('slot B committed', 300_000, async () => {
    const st = await status(vm);
    return st.booted === 'B' && slot(st, 'B')?.boot === 'good' && /marked slot rootfs\.1 as good/.test(vm.bootLog().slice(logMark)) ? st : undefined;
  });
  t.equal(committed.next, 'B', 'B is committed: it stays the next boot');
  t.equal(slot(committed, 'A')?.boot, 'good', 'A is kept as the fallback');
  const node = await ssh(vm, 'node');
  t.equal(field(node.stdout, 'node'), notice.nodeId, 'the same node id on the new root');
  t.ok(await writtenIn(machine.disk, rootB!), 'B\'s partition was written');
  t.notOk(await writtenIn(machine.disk, rootA!), 'A was not touched by the update to B');

  // ---- a bundle whose supervisor never becomes ready ---------------------------------------
  mark = vm.consoleText().length;
  const badLog = vm.bootLog().length;
  const trial = await ssh(vm, 'update --reboot', readFileSync(bad));
  t.equal(trial.code, 0, `the broken bundle installs (its signature is good): ${trial.stderr.slice(-300)}`);
  t.match(trial.stdout, /installed into slot A/);
  // Three trial boots of A that fail their boot check, then systemd-boot picks B by itself.
  await vm.waitConsole(/colony login:\s*$/, 4 * BOOT_MS, mark);
  const log = vm.bootLog().slice(badLog);
  const trials = (log.match(/rebooting to spend its tries/g) ?? []).length;
  t.equal(trials, 3, 'three trial boots of A, each failing its boot check');
  t.equal((log.match(/rauc\.slot=A/g) ?? []).length >= 3, true, 'A was started three times');
  const back = await waitFor('back on B', 300_000, async () => {
    const st = await status(vm);
    return st.booted === 'B' ? st : undefined;
  });
  t.equal(slot(back, 'A')?.boot, 'bad', 'A is bad: its tries ran out');
  t.equal(back.next, 'B', 'B boots next');
  const again = await ssh(vm, 'node');
  t.equal(field(again.stdout, 'node'), notice.nodeId, 'the same node id after the rollback');
  await vm.powerDown(180_000);
});
