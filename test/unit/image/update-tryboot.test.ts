// The Raspberry Pi's tryboot A/B updates: the planner as data (config.txt/tryboot.txt, the
// tryboot flag and the booted slot → what to write), then image/update/backend-pi run for
// real on a directory standing in for /boot/firmware, a fake device-tree flag and fake
// slot roots: install → trial boot → commit, and install → trial hang → the old slot.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { childEnv, repoRoot } from '../../helpers/cli.js';
import { installedText } from '../../../appliance/update/index.js';
import { bootedFrom, cmdlineFor, planGetPrimary, planGetState, planSetPrimary, planSetState, slotOf, tryBootUnsupported, withPrefix, type BootState } from '../../../appliance/update/tryboot.js';

const config = 'arm_64bit=1\nenable_uart=1\nupstream_kernel=1\nkernel=vmlinuz\ninitramfs initrd.img\nos_prefix=slot-a/\n';
const st = (over: Partial<BootState> = {}): BootState => ({ config, tryboot: null, flag: false, booted: 'A', ...over });

t.test('planner: which slot, and what each verb writes', async (t) => {
  t.equal(slotOf(config), 'A');
  t.equal(slotOf('os_prefix=slot-a/\nos_prefix=slot-b/\n'), 'B', 'the last line wins');
  t.equal(slotOf('os_prefix=upstream/\n'), undefined);
  t.equal(withPrefix(config, 'B'), config.replace('slot-a/', 'slot-b/'), 'only os_prefix changes');
  t.equal(cmdlineFor('console=tty1 root=PARTUUID=c01a0b00-02 ro rootwait rauc.slot=A\n', 'B', 'c01a0b00-03'), 'console=tty1 root=PARTUUID=c01a0b00-03 ro rootwait rauc.slot=B\n');

  t.equal(bootedFrom('root=PARTUUID=c01a0b00-02 ro rauc.slot=B'), 'B', 'rauc.slot= first');
  t.equal(bootedFrom('console=ttyAMA0 root=PARTUUID=C01A0B00-03 ro', { A: 'c01a0b00-02', B: 'c01a0b00-03' }), 'B', 'else the root partition');
  t.equal(bootedFrom('root=/dev/vda2'), '');
  t.same(planGetPrimary(st()), { out: 'A', write: [], remove: [] }, 'a fresh card: A');
  t.equal(planGetState(st(), 'A').out, 'good');
  t.equal(planGetState(st(), 'B').out, 'bad');

  const install = planSetPrimary(st(), 'B', 'console=tty1 root=PARTUUID=x-02 ro rauc.slot=A', 'x-03');
  t.equal(install.copySlot, 'B', 'B\'s boot files first');
  t.same(install.write, [
    { file: 'slot-b/cmdline.txt', text: 'console=tty1 root=PARTUUID=x-03 ro rauc.slot=B\n' },
    { file: 'tryboot.txt', text: config.replace('slot-a/', 'slot-b/') },
  ], 'the cmdline, then tryboot.txt last');
  t.equal(install.rebootParam, '0 tryboot');
  t.same(install.remove, [], 'config.txt is not touched: A stays committed');

  const pending = st({ tryboot: withPrefix(config, 'B') });
  t.equal(planGetPrimary(pending).out, 'B', 'a pending trial boots next');
  t.equal(planGetState(pending, 'B').out, 'good');
  t.same(planSetState(pending, 'B', false), { out: '', write: [], remove: ['tryboot.txt'] }, 'bad before a write: the trial is dropped');
  t.same(planSetPrimary(pending, 'A', '', 'x-02').remove, ['tryboot.txt'], 'the committed slot as primary cancels the trial');
  t.same(planSetState(pending, 'B', true), { out: '', write: [], remove: [] }, 'a pending slot marked good before its trial boot: nothing changes');

  const trial = st({ tryboot: withPrefix(config, 'B'), flag: true, booted: 'B' });
  const commit = planSetState(trial, 'B', true);
  t.same(commit.write, [{ file: 'config.txt', text: config.replace('slot-a/', 'slot-b/') }], 'mark-good on the trial boot commits');
  t.same(commit.remove, ['tryboot.txt']);

  const back = planSetState(st({ tryboot: withPrefix(config, 'B') }), 'A', true);
  t.same(back.write, [], 'a plain boot with a trial pending: config.txt stays A');
  t.same(back.remove, ['tryboot.txt'], 'and the trial that did not commit is dropped');
  t.same(planSetState(st(), 'A', true), { out: '', write: [], remove: [] }, 'mark-good on a normal boot changes nothing');
  t.throws(() => planSetState(st(), 'A', false), { code: 'COLONY_INVALID' }, 'the committed slot is never marked bad');
  t.throws(() => planSetState(st(), 'B', true), { code: 'COLONY_INVALID' }, 'a slot not on trial cannot be marked good');
  t.same(planSetState(st({ tryboot: withPrefix(config, 'B'), booted: 'B' }), 'B', true).write, [], 'no commit without the tryboot flag');
  t.throws(() => planGetPrimary(st({ config: 'arm_64bit=1\n' })), { code: 'COLONY_INVALID' }, 'not an A/B boot partition');

  t.match(tryBootUnsupported(false, 'ffff rpi_firmware_notify_reboot'), /firmware reports no tryboot/);
  t.match(tryBootUnsupported(true, 'ffff t rpi_firmware_shutdown\n'), /kernel cannot set .*tryboot flag/);
  t.equal(tryBootUnsupported(true, 'ffffffc0 t rpi_firmware_notify_reboot\n'), undefined);
});

// ---- the backend, run for real ----------------------------------------------------------
const dir = mkdtempSync(join(tmpdir(), 'colony-tryboot-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const boot = join(dir, 'boot');
const slots = join(dir, 'slots');
const flagFile = join(dir, 'tryboot');
const cmdline = join(dir, 'cmdline');
const kallsyms = join(dir, 'kallsyms');
const rebootParam = join(dir, 'reboot-param');
const sig = /^MBR_SIGNATURE=(\S+)/m.exec(readFileSync(join(repoRoot, 'image', 'layout.env'), 'utf8'))![1]!;

function backend(...args: string[]): string {
  return execFileSync(join(repoRoot, 'image', 'update', 'backend-pi'), args, {
    env: childEnv({
      COLONY_UPDATE_NODE: `${process.execPath} --import tsx`, COLONY_UPDATE_PI_ENTRY: join(repoRoot, 'appliance', 'update', 'tryboot-main.ts'),
      COLONY_UPDATE_BOOT: boot, COLONY_UPDATE_SLOTS: slots, COLONY_UPDATE_TRYBOOT_FILE: flagFile, COLONY_UPDATE_CMDLINE: cmdline,
      COLONY_UPDATE_KALLSYMS: kallsyms, COLONY_UPDATE_REBOOT_PARAM: rebootParam, COLONY_UPDATE_LAYOUT: join(repoRoot, 'image', 'layout.env'),
    }),
    cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}
const fails = (...args: string[]) => { try { backend(...args); return ''; } catch (err) { return String((err as { stderr?: string }).stderr); } };
const cell = (v: number) => { const b = Buffer.alloc(4); b.writeUInt32BE(v); return b; };
/** The firmware at power-on: tryboot.txt once when the flag was set, else config.txt; the flag is cleared. */
function firmwareBoots(withFlag: boolean): string {
  const useTry = withFlag && existsSync(join(boot, 'tryboot.txt'));
  const slot = slotOf(readFileSync(join(boot, useTry ? 'tryboot.txt' : 'config.txt'), 'utf8'))!;
  writeFileSync(flagFile, cell(withFlag ? 1 : 0));
  writeFileSync(cmdline, readFileSync(join(boot, `slot-${slot.toLowerCase()}`, 'cmdline.txt')));
  return slot;
}
function slotRoot(slot: string, kver: string) {
  const r = join(slots, slot);
  rmSync(r, { recursive: true, force: true });
  mkdirSync(join(r, 'lib', 'modules', kver), { recursive: true });
  mkdirSync(join(r, 'boot'));
  mkdirSync(join(r, 'usr', 'lib', `linux-image-${kver}`, 'broadcom'), { recursive: true });
  writeFileSync(join(r, 'boot', `vmlinuz-${kver}`), `kernel ${kver}`);
  writeFileSync(join(r, 'boot', `initrd.img-${kver}`), `initrd ${kver}`);
  writeFileSync(join(r, 'usr', 'lib', `linux-image-${kver}`, 'broadcom', 'bcm2711-rpi-4-b.dtb'), `dtb ${kver}`);
}

// The card as image/update/install.sh lays it out.
mkdirSync(join(boot, 'slot-a'), { recursive: true });
writeFileSync(join(boot, 'config.txt'), config);
writeFileSync(join(boot, 'slot-a', 'cmdline.txt'), `console=tty1 root=PARTUUID=${sig}-02 ro rootwait rauc.slot=A\n`);
writeFileSync(kallsyms, 'ffffffc008a0 t rpi_firmware_notify_reboot\n');

t.test('install → trial boot → commit', async (t) => {
  t.equal(firmwareBoots(false), 'A');
  t.equal(backend('get-current'), 'A');
  t.equal(backend('get-primary'), 'A');
  backend('set-state', 'A', 'good'); // the boot check's mark-good on a normal boot
  t.equal(readFileSync(join(boot, 'config.txt'), 'utf8'), config, 'nothing changes');

  slotRoot('B', '6.1.0-58-arm64');
  backend('set-state', 'B', 'bad'); // RAUC, before it writes B
  backend('set-primary', 'B'); // RAUC, after
  t.same(readdirSync(join(boot, 'slot-b')).sort(), ['bcm2711-rpi-4-b.dtb', 'cmdline.txt', 'initrd.img', 'vmlinuz']);
  t.equal(readFileSync(join(boot, 'slot-b', 'vmlinuz'), 'utf8'), 'kernel 6.1.0-58-arm64');
  t.equal(readFileSync(join(boot, 'slot-b', 'cmdline.txt'), 'utf8'), `console=tty1 root=PARTUUID=${sig}-03 ro rootwait rauc.slot=B\n`);
  t.equal(slotOf(readFileSync(join(boot, 'tryboot.txt'), 'utf8')), 'B');
  t.equal(slotOf(readFileSync(join(boot, 'config.txt'), 'utf8')), 'A', 'A stays committed');
  t.equal(readFileSync(rebootParam, 'utf8'), '0 tryboot\n', 'the next systemd reboot sets the flag');
  t.equal(backend('get-primary'), 'B');
  t.same(readdirSync(boot).filter((f) => f.endsWith('.new')), [], 'no temporary files left');

  t.equal(firmwareBoots(true), 'B', 'the tryboot reboot starts B');
  t.equal(backend('get-current'), 'B');
  backend('set-state', 'B', 'good'); // the health gate passed: rauc status mark-good
  t.equal(slotOf(readFileSync(join(boot, 'config.txt'), 'utf8')), 'B', 'committed');
  t.notOk(existsSync(join(boot, 'tryboot.txt')));
  t.equal(firmwareBoots(false), 'B', 'a plain reboot keeps B');
  t.equal(backend('get-state', 'A'), 'bad');
});

t.test('install → trial hang (no commit) → the next plain boot is the old slot', async (t) => {
  slotRoot('A', '6.1.0-59-arm64');
  backend('set-state', 'A', 'bad');
  backend('set-primary', 'A');
  t.equal(backend('get-primary'), 'A');
  t.equal(firmwareBoots(true), 'A', 'the trial of A starts');
  // It hangs: no mark-good; the watchdog resets, and the firmware has cleared the flag.
  t.equal(firmwareBoots(false), 'B', 'back on the committed slot');
  t.equal(backend('get-primary'), 'A', 'the trial is still pending until this boot settles it');
  backend('set-state', 'B', 'good'); // the boot check on the plain boot
  t.notOk(existsSync(join(boot, 'tryboot.txt')), 'the trial that did not commit is dropped');
  t.equal(backend('get-primary'), 'B');
  t.equal(firmwareBoots(true), 'B', 'even a stray tryboot reboot stays on B');
  t.match(fails('set-state', 'B', 'bad'), /committed slot/, 'the committed slot is never marked bad');
});

t.test('a machine that cannot set the flag refuses before anything is written', async (t) => {
  writeFileSync(kallsyms, 'ffffffc008a0 t rpi_firmware_shutdown\n');
  t.match(fails('check'), /kernel cannot set/);
  t.match(fails('set-state', 'A', 'bad'), /kernel cannot set the Raspberry Pi firmware's tryboot flag/);
  rmSync(flagFile);
  t.match(fails('set-primary', 'A'), /firmware reports no tryboot support/);
  t.notOk(existsSync(join(boot, 'tryboot.txt')), 'no trial armed');
  t.equal(slotOf(readFileSync(join(boot, 'config.txt'), 'utf8')), 'B');
});

t.test('the boot check on a failed Pi trial reboots to the committed slot; on a plain boot it does not', async (t) => {
  const bin = join(dir, 'bin');
  const log = join(dir, 'systemctl.log');
  mkdirSync(bin, { recursive: true });
  // Stand-ins: the data partition is not mounted, colony.service has failed.
  writeFileSync(join(bin, 'mountpoint'), '#!/bin/sh\nexit 1\n', { mode: 0o755 });
  writeFileSync(join(bin, 'systemctl'), `#!/bin/sh\necho "$*" >> ${log}\n[ "$1" = -q ] && exit 0\nexit 0\n`, { mode: 0o755 });
  const check = (flag: number) => {
    writeFileSync(flagFile, cell(flag));
    rmSync(log, { force: true });
    try {
      execFileSync(join(repoRoot, 'image', 'update', 'boot-check'), [], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, COLONY_UPDATE_TRYBOOT_FILE: flagFile, COLONY_BOOT_CHECK_SECONDS: '0' }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      return { code: 0, stderr: '', calls: existsSync(log) ? readFileSync(log, 'utf8') : '' };
    } catch (err) {
      const e = err as { status: number; stderr: string };
      return { code: e.status, stderr: e.stderr, calls: existsSync(log) ? readFileSync(log, 'utf8') : '' };
    }
  };
  const trial = check(1);
  t.equal(trial.code, 1, 'not healthy');
  t.match(trial.stderr, /a tryboot trial; rebooting to the committed slot/);
  t.match(trial.calls, /^--no-block reboot$/m, 'reboots at once');
  const plain = check(0);
  t.equal(plain.code, 1);
  t.notMatch(plain.calls, /reboot/, 'a plain boot is not rebooted');
});

t.test('what colony update says after an install, on a Pi and on a PC', async (t) => {
  const st = { booted: 'A', next: 'B', slots: [] };
  t.match(installedText(st, true), /the next reboot \(colony update --reboot\) tries it once[\s\S]*fails or hangs,\nthe machine goes back to slot A/);
  t.match(installedText(st, false), /fails three times/);
});
