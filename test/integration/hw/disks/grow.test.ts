// First-boot growth: the image file is enlarged under a provisioned data partition;
// `colony disk grow` grows the partition (growpart, fixing the backup GPT) and the
// filesystem (e2fsck, resize2fs) and keeps every file.
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { bench, cannotRun, disk, fsck, GiB, MiB, sh, sha256 } from './helpers.js';

const why = cannotRun();
const fsBytes = (part: string) => {
  const out = sh('dumpe2fs', ['-h', part]);
  return Number(/Block count:\s+(\d+)/.exec(out)![1]) * Number(/Block size:\s+(\d+)/.exec(out)![1]);
};

t.test('grow after the image grew: partition and filesystem fill the disk, files kept', { skip: why ?? false }, async (t) => {
  const b = await bench(t, GiB);
  let dev = b.attach();
  const common = ['--data', b.data, '--unit-dir', b.units];
  const made = await disk(['provision', dev, ...common]);
  t.equal(made.code, 0, made.stderr);
  await mkdir(join(b.data, 'store'));
  const files: Record<string, string> = {};
  for (let i = 0; i < 8; i++) {
    const f = join(b.data, 'store', `arena-${i}`);
    await writeFile(f, randomBytes(3 * MiB + i));
    files[f] = await sha256(f);
  }
  sh('umount', [b.data]);
  b.detach(dev);
  await b.sizeTo(GiB + 600 * MiB);
  dev = b.attach();
  const part = `${dev}p1`;
  const before = fsBytes(part);
  t.match(sh('sfdisk', ['--verify', dev]) + '', /./, 'sfdisk reads the table');

  const dry = await disk(['grow', dev, '--dry-run', '--json', ...common]);
  t.same(JSON.parse(dry.stdout).plan.map((s: { kind: string }) => s.kind), ['grow-partition', 'check', 'resize', 'mount']);
  const grown = await disk(['grow', dev, ...common]);
  t.equal(grown.code, 0, grown.stderr);
  t.match(grown.stderr, /grow \/dev\/loop\d+p1 by/);
  for (const [f, sum] of Object.entries(files)) t.equal(await sha256(f), sum, `${f} kept`);
  sh('umount', [b.data]);
  const after = fsBytes(part);
  t.ok(after - before > 500 * MiB, `filesystem grew from ${before} to ${after}`);
  t.equal(fsck(part).code, 0, 'clean filesystem');
  t.match(sh('sfdisk', ['--verify', dev]), /No errors detected/, 'backup GPT at the new end');

  const again = await disk(['grow', dev, '--dry-run', '--json', ...common]);
  t.same(JSON.parse(again.stdout).plan.map((s: { kind: string }) => s.kind), ['check', 'mount'], 'only the mount is left');
});

t.test('grow with no colony-data partition does nothing', { skip: why ?? false }, async (t) => {
  const b = await bench(t, GiB);
  const dev = b.attach();
  const r = await disk(['grow', dev, '--data', b.data, '--unit-dir', b.units]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /no colony-data partition; nothing to grow/);
});
