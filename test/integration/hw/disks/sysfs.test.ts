// The SD/eMMC fact only sysfs has: /sys/block/NAME/device/type, read from a tree in the
// kernel's layout (a temp directory standing in for /sys).
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { readSysFacts } from '../../../../hw/disks/linux.js';
import type { BlockDevice } from '../../../../hw/disks/index.js';

t.test('device/type of each mmcblk disk, newline trimmed; others and missing files skipped', async (t) => {
  const sys = await mkdtemp(join(tmpdir(), 'colony-sys-'));
  t.teardown(() => rm(sys, { recursive: true, force: true }));
  for (const [name, type] of [['mmcblk0', 'SD\n'], ['mmcblk1', 'MMC\n'], ['sda', 'SD\n']]) {
    await mkdir(join(sys, 'block', name!, 'device'), { recursive: true });
    await writeFile(join(sys, 'block', name!, 'device', 'type'), type!);
  }
  await mkdir(join(sys, 'block', 'mmcblk2'), { recursive: true });
  const dev = (name: string) => ({ name }) as BlockDevice;
  const facts = await readSysFacts({ blockdevices: ['mmcblk0', 'mmcblk1', 'mmcblk2', 'sda', 'mmcblk0p1'].map(dev) }, sys);
  t.same(facts, { mmcType: { mmcblk0: 'SD', mmcblk1: 'MMC' } });
});
