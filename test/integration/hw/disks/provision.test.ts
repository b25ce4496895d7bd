// `colony disk provision` on an empty image file through a loop device: GPT, colony-data,
// ext4, a noatime mount at the data directory and a mount unit; a rerun does nothing.
import { readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { bench, cannotRun, disk, fsck, GiB, sh } from './helpers.js';

const why = cannotRun();
t.test('an empty disk becomes the data disk; a rerun does nothing and says so', { skip: why ?? false }, async (t) => {
  const b = await bench(t, GiB);
  const dev = b.attach();
  const args = ['provision', dev, '--data', b.data, '--unit-dir', b.units];

  const dry = await disk([...args, '--dry-run', '--json']);
  t.equal(dry.code, 0, dry.stderr);
  t.same(JSON.parse(dry.stdout).plan.map((s: { kind: string }) => s.kind), ['partition', 'mkfs', 'check', 'mount', 'unit']);
  t.throws(() => sh('blkid', ['-p', '-o', 'export', dev]), 'the dry run wrote nothing: blkid finds no signature');

  const first = await disk(args);
  t.equal(first.code, 0, first.stderr);
  t.match(first.stderr, /write a GPT with one partition colony-data/, 'progress lines');
  const part = `${dev}p1`;
  t.match(sh('blkid', ['-p', '-o', 'export', part]), /LABEL=colony-data[\s\S]*TYPE=ext4[\s\S]*PART_ENTRY_NAME=colony-data/);
  t.equal(sh('findmnt', ['-n', '-o', 'SOURCE', '--mountpoint', b.data]).trim(), part);
  t.match(sh('findmnt', ['-n', '-o', 'OPTIONS', '--mountpoint', b.data]), /noatime.*commit=30/);
  const unitName = sh('systemd-escape', ['-p', '--suffix=mount', b.data]).trim();
  const unit = await readFile(join(b.units, unitName), 'utf8');
  const uuid = sh('blkid', ['-p', '-s', 'UUID', '-o', 'value', part]).trim();
  t.match(unit, `What=/dev/disk/by-uuid/${uuid}\nWhere=${b.data}\nType=ext4\nOptions=noatime,commit=30`);
  t.equal(await readlink(join(b.units, 'local-fs.target.wants', unitName)), `../${unitName}`);

  const again = await disk([...args, '--json']);
  t.equal(again.code, 0, again.stderr);
  t.same(JSON.parse(again.stdout).done, [], 'nothing to do');
  const said = await disk(args);
  t.match(said.stdout, /nothing to do; the data partition is complete/);

  const list = await disk(['list', '--json', '--data', join(b.data, 'store')]);
  t.equal(list.code, 0, list.stderr);
  const mine = JSON.parse(list.stdout).disks.find((d: { path: string }) => d.path === dev);
  t.match(mine, { kind: 'other', holdsData: true, pttype: 'gpt', partitions: [{ path: part, fstype: 'ext4', label: 'colony-data', partlabel: 'colony-data', mountpoints: [b.data] }] });

  sh('umount', [b.data]);
  t.equal(fsck(part).code, 0, 'clean filesystem');
  t.equal(sh('sfdisk', ['--verify', dev]).includes('No errors detected'), true);
});
