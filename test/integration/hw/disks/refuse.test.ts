// What provisioning refuses: someone else's partitions (left byte for byte as they were),
// a disk too small, a mounted partition; --force erases someone else's disk.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { bench, cannotRun, disk, GiB, MiB, sh, sha256 } from './helpers.js';

const why = cannotRun();

async function foreignDisk(t: Parameters<typeof bench>[0]) {
  const b = await bench(t, GiB);
  sh('sfdisk', ['-q', b.image], 'label: gpt\nsize=100M, name="EFI"\nsize=200M, name="photos"\n');
  const dev = b.attach();
  sh('mkfs.ext4', ['-q', '-F', '-L', 'BOOT', `${dev}p1`]);
  sh('mkfs.ext4', ['-q', '-F', '-L', 'photos', `${dev}p2`]);
  return { b, dev };
}

t.test("someone else's partitions: refused, named, untouched; --force erases them", { skip: why ?? false }, async (t) => {
  const { b, dev } = await foreignDisk(t);
  const sum = await sha256(b.image);
  const r = await disk(['provision', dev, '--data', b.data, '--unit-dir', b.units]);
  t.equal(r.code, 2, 'refused as an invalid request');
  t.match(r.stderr, new RegExp(`${dev} \\(gpt partition table\\)`));
  t.match(r.stderr, new RegExp(`${dev}p1 \\(ext4, label BOOT, partition name EFI\\)`));
  t.match(r.stderr, /label photos, partition name photos/);
  t.match(r.stderr, /--force/);
  const dry = await disk(['provision', dev, '--dry-run', '--data', b.data, '--unit-dir', b.units]);
  t.equal(dry.code, 2);
  t.equal(await sha256(b.image), sum, 'the image is byte for byte as it was');

  const forced = await disk(['provision', dev, '--force', '--data', b.data, '--unit-dir', b.units]);
  t.equal(forced.code, 0, forced.stderr);
  t.match(sh('sfdisk', ['--dump', dev]), /name="colony-data"/);
  t.notMatch(sh('sfdisk', ['--dump', dev]), /photos/);
});

t.test('a mounted partition is refused, naming where', { skip: why ?? false }, async (t) => {
  const { b, dev } = await foreignDisk(t);
  const mnt = join(b.dir, 'photos');
  await mkdir(mnt);
  sh('mount', [`${dev}p2`, mnt]);
  const r = await disk(['provision', dev, '--data', b.data, '--unit-dir', b.units]);
  t.equal(r.code, 2);
  t.match(r.stderr, `mounted at ${mnt}`);
  t.equal(sh('findmnt', ['-n', '-o', 'SOURCE', '--mountpoint', mnt]).trim(), `${dev}p2`, 'still mounted');
});

t.test('a disk too small is refused, saying the minimum', { skip: why ?? false }, async (t) => {
  const b = await bench(t, 512 * MiB);
  const dev = b.attach();
  const r = await disk(['provision', dev, '--data', b.data, '--unit-dir', b.units]);
  t.equal(r.code, 2);
  t.match(r.stderr, `${dev} is 512 MiB, smaller than the minimum of 1.0 GiB for a data disk`);
  t.throws(() => sh('blkid', ['-p', dev]), 'nothing written');
});

t.test('a data directory that is not empty is refused', { skip: why ?? false }, async (t) => {
  const b = await bench(t, GiB);
  const dev = b.attach();
  await mkdir(join(b.data, 'store'), { recursive: true });
  const r = await disk(['provision', dev, '--dry-run', '--data', b.data, '--unit-dir', b.units]);
  t.equal(r.code, 2);
  t.match(r.stderr, /is not empty \(1 entry\)/);
});
