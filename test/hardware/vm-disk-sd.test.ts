// The data disk on a real SD card (issue 16): in the QEMU guest, an SD host controller
// (sdhci-pci) with an sd-card on a 2 GiB image. `colony disk list` calls it SD (mmcblk0,
// device/type SD, no transport); `colony disk provision /dev/mmcblk0`, killed right after
// mkfs (the test-only COLONY_DISK_STOP_AFTER), then rerun, leaves a mounted colony-data ext4
// that holds the data directory and checks clean. The guest has no udevd, so lsblk's
// filesystem columns are empty there and the blkid probes fill them.
// About 7 minutes under TCG, so it is not in CI's system tests: `npm run test:hardware`.
import { truncate, writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import t from 'tap';
import { guestPath, guestRepo, parseTap, requireVm, runGuest, vmAvailable } from '../helpers/vm.js';

if (await requireVm(t)) {
  t.test('colony disk on an SD card in the guest', async (t) => {
    const vm = await vmAvailable();
    if (!vm.ok) return;
    const dir = await mkdtemp(join(tmpdir(), 'colony-sd-'));
    t.teardown(() => rm(dir, { recursive: true, force: true }));
    const image = join(dir, 'sd.img');
    await writeFile(image, '');
    await truncate(image, 2 * 1024 ** 3); // QEMU's sd-card wants a power of two
    const r = await runGuest({
      script: `
export MODPROBE_OPTIONS="-d $HW_MODULES" PATH="$PATH:/usr/sbin:/sbin"
n=0; ok() { n=$((n+1)); echo "ok $n - $1"; }; nok() { n=$((n+1)); echo "not ok $n - $1"; echo "# $2"; }
modprobe sdhci-pci && modprobe mmc_block && modprobe ext4
for i in $(seq 1 50); do test -e /sys/block/mmcblk0 && break; sleep 0.2; done
cd ${guestRepo}
colony() { node --import tsx appliance/cli/run.ts "$@"; }
l=$(colony disk list --json --data /tmp/colony-data)
echo "$l" | grep -q '"kind": "sd"' && ok 'disk list: mmcblk0 is an SD card' || nok 'disk list: mmcblk0 is an SD card' "$l"
COLONY_DISK_STOP_AFTER=mkfs colony disk provision /dev/mmcblk0 --data /tmp/colony-data --unit-dir /tmp/units >/tmp/cut.out 2>&1
rc=$?; [ $rc = 137 ] && ok 'provision killed right after mkfs' || nok 'provision killed right after mkfs' "rc=$rc $(cat /tmp/cut.out)"
o=$(colony disk provision /dev/mmcblk0 --data /tmp/colony-data --unit-dir /tmp/units 2>&1)
rc=$?; [ $rc = 0 ] && ok 'the rerun completes' || nok 'the rerun completes' "rc=$rc $o"
m=$(findmnt -n -o SOURCE,OPTIONS --mountpoint /tmp/colony-data)
case "$m" in "/dev/mmcblk0p1 "*noatime*commit=30*) ok 'mounted noatime at the data directory';; *) nok 'mounted noatime at the data directory' "$m";; esac
l=$(colony disk list --json --data /tmp/colony-data/store)
echo "$l" | tr -d ' \\n' | grep -q '"kind":"sd".*"holdsData":true' && ok 'disk list: the SD card holds the data directory' || nok 'disk list: the SD card holds the data directory' "$l"
o=$(colony disk provision /dev/mmcblk0 --data /tmp/colony-data --unit-dir /tmp/units 2>&1)
echo "$o" | grep -q 'nothing to do' && ok 'a second rerun has nothing to do' || nok 'a second rerun has nothing to do' "$o"
umount /tmp/colony-data
o=$(e2fsck -f -n /dev/mmcblk0p1 2>&1) && ok 'e2fsck: clean' || nok 'e2fsck: clean' "$o"
echo "1..$n"
`,
      reroot: true, memoryMb: 2048, cpus: 2, timeoutMs: 900_000, sdCard: image,
      env: { HW_MODULES: guestPath(join(dirname(vm.vmlinux), 'root')) },
    });
    const tap = parseTap(r.output);
    const all = tap.results.length >= 7;
    t.ok(all, all ? 'the guest ran every check' : `the guest did not run every check:\n${r.output}\n${r.bootLog.slice(-2000)}`);
    for (const c of tap.results) t.ok(c.ok, c.ok ? c.name : `${c.name}\n${r.output}`);
  });
}
