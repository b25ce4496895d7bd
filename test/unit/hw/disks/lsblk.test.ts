// The disk list as data: real lsblk JSON from this machine and a loop device without udev
// (filled from blkid probes), and a crafted Pi with SD, NVMe, USB, zram and eMMC boot areas.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { classifyDisks, kindOf, parseBlkidExport, parseLsblk, withBlkid } from '../../../../hw/disks/index.js';
import { mountHolding } from '../../../../hw/disks/lsblk.js';

const fixture = (name: string) => readFileSync(new URL(`fixtures/${name}`, import.meta.url), 'utf8');

t.test('this machine: one virtio disk holding / and the data directory; zram is not storage', async (t) => {
  const disks = classifyDisks(parseLsblk(fixture('this-machine.json')), { mmcType: {} }, '/work/main/var');
  t.same(disks.map((d) => [d.name, d.kind, d.holdsData]), [['vda', 'other', true]]);
  t.ok(disks[0]!.mountpoints.includes('/'));
});

t.test('a loop device seen without udev: fstype, labels and table type come from blkid -p', async (t) => {
  const tree = parseLsblk(fixture('loop-two-partitions-no-udev.json'));
  t.equal(tree.blockdevices[0]!.children![0]!.fstype, null, 'lsblk alone does not know');
  const probes = Object.fromEntries(Object.entries(JSON.parse(fixture('loop-two-partitions-blkid.json')) as Record<string, string>).map(([k, v]) => [k, parseBlkidExport(v)]));
  const [disk] = classifyDisks(withBlkid(tree, probes), { mmcType: {} }, '/var/lib/colony');
  t.match(disk, { name: 'loop0', kind: 'other', pttype: 'gpt', holdsData: false });
  t.same(disk!.partitions.map((p) => [p.path, p.fstype, p.label, p.partlabel]), [
    ['/dev/loop0p1', 'ext4', 'BOOT', 'EFI'],
    ['/dev/loop0p2', 'ext4', 'rootfs', 'rootfs'],
  ]);
});

t.test('lsblk wins over blkid where it knows', async (t) => {
  const tree = withBlkid({ blockdevices: [{ ...JSON.parse(fixture('crafted-pi.json')).blockdevices[2], fstype: null }] }, { '/dev/nvme0n1p1': { TYPE: 'xfs', LABEL: 'other' } });
  t.equal(tree.blockdevices[0]!.children![0]!.fstype, 'ext4');
  t.equal(tree.blockdevices[0]!.children![0]!.label, 'colony-data');
});

t.test('a Pi: SD card, eMMC, NVMe and a USB stick, classified; the SD card holds the data directory', async (t) => {
  const tree = parseLsblk(fixture('crafted-pi.json'));
  const disks = classifyDisks(tree, { mmcType: { mmcblk0: 'SD', mmcblk1: 'MMC' } }, '/var/lib/colony/store');
  t.same(disks.map((d) => [d.name, d.kind, d.removable, d.holdsData]), [
    ['mmcblk0', 'sd', false, true],
    ['mmcblk0boot0', 'other', false, false],
    ['nvme0n1', 'nvme', false, false],
    ['sda', 'usb', true, false],
    ['mmcblk1', 'emmc', false, false],
  ]);
  t.equal(disks[2]!.model, 'Samsung SSD 980', 'model trimmed');
  t.same(disks[0]!.partitions.map((p) => p.mountpoints), [['/boot/firmware'], ['/'], [], ['/var/lib/colony']]);
});

t.test("a real SD card (QEMU's sdhci-pci + sd-card, whose device/type reads SD): kind sd, empty", async (t) => {
  const [sd] = classifyDisks(parseLsblk(fixture('qemu-sd-card.json')), { mmcType: { mmcblk0: 'SD' } }, '/var/lib/colony');
  t.match(sd, { name: 'mmcblk0', kind: 'sd', size: 2 * 1024 ** 3, pttype: null, partitions: [], holdsData: false });
});

t.test('an mmcblk without a readable device/type, or with a transport, is not called SD', async (t) => {
  t.equal(kindOf({ name: 'mmcblk0', tran: null }, { mmcType: {} }), 'other');
  t.equal(kindOf({ name: 'mmcblk0', tran: 'usb' }, { mmcType: { mmcblk0: 'SD' } }), 'usb');
  t.equal(kindOf({ name: 'mmcblk0p1', tran: null }, { mmcType: { mmcblk0p1: 'SD' } }), 'other');
});

t.test('the mount holding a directory is the longest whole-component prefix', async (t) => {
  t.equal(mountHolding('/var/lib/colony', ['/', '/var', '/var/lib/col']), '/var');
  t.equal(mountHolding('/var/lib/colony', ['/', '/var/lib/colony']), '/var/lib/colony');
  t.equal(mountHolding('/srv', ['/boot']), undefined);
});

t.test('lsblk output without blockdevices is an error', async (t) => {
  t.throws(() => parseLsblk('{}'));
});
