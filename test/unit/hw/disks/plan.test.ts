// The provisioning planner as data: from a disk as lsblk (filled by blkid) shows it, and the
// facts, to the steps or a refusal that names what is on the disk.
import t from 'tap';
import { mountUnitName, partitionPath, planProvision, type BlockDevice, type ProvisionFacts, type ProvisionOptions } from '../../../../hw/disks/index.js';
import { mountUnitText } from '../../../../hw/disks/plan.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const node = (over: Partial<BlockDevice>): BlockDevice => ({
  name: 'loop7', path: '/dev/loop7', size: 2 * GiB, type: 'loop', tran: null, rm: false, ro: false, model: null, serial: null,
  fstype: null, label: null, partlabel: null, partuuid: null, mountpoints: [null], pkname: null, pttype: null, uuid: null, 'log-sec': 512, start: null, ...over,
});
const ours = (over: Partial<BlockDevice> = {}): BlockDevice => node({
  name: 'loop7p1', path: '/dev/loop7p1', type: 'part', pkname: 'loop7', start: 2048, size: 2 * GiB - MiB - 34 * 512,
  fstype: 'ext4', label: 'colony-data', partlabel: 'colony-data', uuid: 'u-1', ...over,
});
const facts = (over: Partial<ProvisionFacts> = {}): ProvisionFacts => ({ dataDirEntries: 0, unitLinked: false, checked: false, ...over });
const opts = (over: Partial<ProvisionOptions> = {}): ProvisionOptions => ({ dataDir: '/var/lib/colony', create: true, force: false, unitDir: '/etc/systemd/system', ...over });
const kinds = (p: { steps: Array<{ kind: string }> }) => p.steps.map((s) => s.kind);
const unitFor = (uuid: string) => mountUnitText({ what: `/dev/disk/by-uuid/${uuid}`, where: '/var/lib/colony', options: 'noatime,commit=30' });
const done = (over: Partial<ProvisionFacts> = {}) => facts({ dataDirSource: '/dev/loop7p1', fsBytes: 2 * GiB - MiB - 34 * 512 - 4096, unitText: unitFor('u-1'), unitLinked: true, ...over });

t.test('an empty disk: GPT with one colony-data partition, ext4, check, mount, unit', async (t) => {
  const plan = planProvision(node({}), facts(), opts());
  t.equal(plan.refusal, undefined);
  t.same(kinds(plan), ['partition', 'mkfs', 'check', 'mount', 'unit']);
  t.match(plan.steps[0], { device: '/dev/loop7', script: 'label: gpt\ntype=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name="colony-data"\n' });
  t.match(plan.steps[1], { partition: '/dev/loop7p1' });
  t.match(plan.steps[3], { target: '/var/lib/colony', options: 'noatime,commit=30' });
  t.match(plan.steps[4], { path: '/etc/systemd/system/var-lib-colony.mount', link: '/etc/systemd/system/local-fs.target.wants/var-lib-colony.mount' });
});

t.test('a complete disk: nothing to do', async (t) => {
  t.same(planProvision(node({ children: [ours({ mountpoints: ['/var/lib/colony'] })] }), done(), opts()), { steps: [] });
  t.same(planProvision(node({ children: [ours({ mountpoints: ['/var/lib/colony'] })] }), done(), opts({ create: false })), { steps: [] });
});

t.test('after a cut between steps, the plan resumes from what is on the disk', async (t) => {
  const part = ours({ fstype: null, label: null, uuid: null });
  t.same(kinds(planProvision(node({ pttype: 'gpt', children: [part] }), facts(), opts())), ['mkfs', 'check', 'mount', 'unit'], 'partitioned only');
  t.same(kinds(planProvision(node({ pttype: 'gpt', children: [ours()] }), facts({ fsBytes: ours().size }), opts())), ['check', 'mount', 'unit'], 'made, not mounted');
  t.same(kinds(planProvision(node({ pttype: 'gpt', children: [ours()] }), facts({ fsBytes: ours().size, checked: true }), opts())), ['mount', 'unit'], 'checked in this run');
  t.same(kinds(planProvision(node({ pttype: 'gpt', children: [ours({ mountpoints: ['/var/lib/colony'] })] }), done({ unitText: 'half a unit' }), opts())), ['unit'], 'unit torn');
  t.same(kinds(planProvision(node({ pttype: 'gpt', children: [ours({ mountpoints: ['/var/lib/colony'] })] }), done({ unitLinked: false }), opts())), ['unit'], 'unit not linked');
});

t.test('a disk grown under its partition: growpart, then check and resize2fs offline, or online when mounted', async (t) => {
  const disk = node({ size: 3 * GiB, pttype: 'gpt', children: [ours()] });
  const off = planProvision(disk, facts({ fsBytes: ours().size, unitText: unitFor('u-1'), unitLinked: true }), opts({ create: false }));
  t.same(kinds(off), ['grow-partition', 'check', 'resize', 'mount']);
  t.match(off.steps[0], { device: '/dev/loop7', number: 1 });
  t.match(off.steps[2], { partition: '/dev/loop7p1', online: false });
  const on = planProvision(node({ size: 3 * GiB, pttype: 'gpt', children: [ours({ mountpoints: ['/var/lib/colony'] })] }), done(), opts());
  t.same(kinds(on), ['grow-partition', 'resize']);
  t.match(on.steps[1], { online: true });
});

t.test('a Pi SD card: the last partition (MBR, ext4 labelled colony-data) grows; the mounted system beside it is left alone', async (t) => {
  const sd = node({ name: 'mmcblk0', path: '/dev/mmcblk0', type: 'disk', size: 32 * GiB, pttype: 'dos', children: [
    node({ name: 'mmcblk0p1', path: '/dev/mmcblk0p1', type: 'part', start: 8192, size: 512 * MiB, fstype: 'vfat', mountpoints: ['/boot/firmware'] }),
    node({ name: 'mmcblk0p2', path: '/dev/mmcblk0p2', type: 'part', start: 1056768, size: 4 * GiB, fstype: 'ext4', mountpoints: ['/'] }),
    node({ name: 'mmcblk0p3', path: '/dev/mmcblk0p3', type: 'part', start: 1056768 + 8388608, size: GiB, fstype: 'ext4', label: 'colony-data', uuid: 'u-3', mountpoints: ['/var/lib/colony'] }),
  ] });
  const plan = planProvision(sd, facts({ dataDirSource: '/dev/mmcblk0p3', fsBytes: GiB, unitText: mountUnitText({ what: '/dev/disk/by-uuid/u-3', where: '/var/lib/colony', options: 'noatime,commit=30' }), unitLinked: true }), opts({ create: false }));
  t.same(kinds(plan), ['grow-partition', 'resize']);
  t.match(plan.steps[0], { device: '/dev/mmcblk0', number: 3 });
});

t.test('a data partition that is not the last one is not grown', async (t) => {
  const disk = node({ size: 3 * GiB, pttype: 'gpt', children: [ours({ mountpoints: ['/var/lib/colony'] }), node({ name: 'loop7p2', path: '/dev/loop7p2', type: 'part', start: 5000000, size: MiB })] });
  t.same(kinds(planProvision(disk, done(), opts())), []);
});

t.test("someone else's disk is refused, naming what is there; --force erases it", async (t) => {
  const disk = node({ pttype: 'gpt', children: [
    node({ name: 'loop7p1', path: '/dev/loop7p1', type: 'part', start: 2048, size: 100 * MiB, fstype: 'vfat', label: 'BOOT', partlabel: 'EFI' }),
    node({ name: 'loop7p2', path: '/dev/loop7p2', type: 'part', start: 206848, size: 200 * MiB, fstype: 'ext4', label: 'photos', mountpoints: ['/mnt/photos'] }),
  ] });
  const no = planProvision(disk, facts(), opts());
  t.same(no.steps, []);
  t.match(no.refusal, /did not put there/);
  t.match(no.refusal, /\/dev\/loop7 \(gpt partition table\)/);
  t.match(no.refusal, /\/dev\/loop7p1 \(vfat, label BOOT, partition name EFI\)/);
  t.match(no.refusal, /\/dev\/loop7p2 \(ext4, label photos, mounted at \/mnt\/photos\)/);
  t.match(no.refusal, /--force/);
  t.same(kinds(planProvision(disk, facts(), opts({ force: true }))), ['unmount', 'partition', 'mkfs', 'check', 'mount', 'unit']);
  t.same(planProvision(node({ fstype: 'ext4', label: 'whole' }), facts(), opts()).refusal?.includes('/dev/loop7 (ext4, label whole)'), true, 'a filesystem on the whole disk');
  t.same(kinds(planProvision(node({ pttype: 'dos' }), facts(), opts())), ['partition', 'mkfs', 'check', 'mount', 'unit'], 'an empty partition table holds nothing');
});

t.test('the disk of the running system is refused even with --force', async (t) => {
  const disk = node({ name: 'sda', path: '/dev/sda', type: 'disk', pttype: 'gpt', children: [node({ name: 'sda1', path: '/dev/sda1', type: 'part', fstype: 'ext4', mountpoints: ['/'] })] });
  t.match(planProvision(disk, facts(), opts({ force: true })).refusal, /holds the running system: .*mounted at \//);
});

t.test('a disk too small is refused, saying the minimum', async (t) => {
  t.equal(planProvision(node({ size: 512 * MiB }), facts(), opts()).refusal, '/dev/loop7 is 512 MiB, smaller than the minimum of 1.0 GiB for a data disk');
  t.equal(planProvision(node({ size: 512 * MiB }), facts(), opts({ minBytes: 256 * MiB })).refusal, undefined);
});

t.test('a colony-data partition holding another filesystem is refused without --force', async (t) => {
  const disk = node({ pttype: 'gpt', children: [ours({ fstype: 'xfs', label: null })] });
  t.match(planProvision(disk, facts(), opts()).refusal, /named colony-data but holds .*xfs/);
  t.same(kinds(planProvision(disk, facts(), opts({ force: true }))), ['mkfs', 'check', 'mount', 'unit']);
});

t.test('the data directory: in use by another mount, or not empty', async (t) => {
  t.match(planProvision(node({}), facts({ dataDirSource: '/dev/sdb1' }), opts()).refusal, /already a mount of \/dev\/sdb1/);
  t.match(planProvision(node({}), facts({ dataDirEntries: 3 }), opts()).refusal, /not empty \(3 entries\)/);
  t.same(kinds(planProvision(node({}), facts({ dataDirEntries: 3 }), opts({ force: true }))), ['partition', 'mkfs', 'check', 'mount', 'unit']);
  t.match(planProvision(node({ children: [ours({ mountpoints: ['/mnt/x'] })] }), facts(), opts()).refusal, /mounted at \/mnt\/x/);
});

t.test('grow with no data partition does nothing; a partition or read-only device is refused', async (t) => {
  t.same(planProvision(node({}), facts(), opts({ create: false })), { steps: [] });
  t.match(planProvision(ours(), facts(), opts()).refusal, /is a part, not a whole disk/);
  t.match(planProvision(node({ ro: true }), facts(), opts()).refusal, /read-only/);
});

t.test('the commit interval goes into the mount and the unit', async (t) => {
  const plan = planProvision(node({}), facts(), opts({ commitSeconds: 120 }));
  t.match(plan.steps.find((s) => s.kind === 'mount'), { options: 'noatime,commit=120' });
  t.match(plan.steps.find((s) => s.kind === 'unit'), { content: /Options=noatime,commit=120/ });
});

t.test('names: partitions and mount units', async (t) => {
  t.same(['/dev/sda', '/dev/mmcblk0', '/dev/nvme0n1', '/dev/loop3'].map((d) => partitionPath(d, 2)), ['/dev/sda2', '/dev/mmcblk0p2', '/dev/nvme0n1p2', '/dev/loop3p2']);
  t.equal(mountUnitName('/var/lib/colony'), 'var-lib-colony.mount');
  t.equal(mountUnitName('/tmp/my-data/'), 'tmp-my\\x2ddata.mount');
  t.equal(mountUnitName('/srv/.hidden x'), 'srv-.hidden\\x20x.mount');
  t.equal(mountUnitName('/'), '-.mount');
});
