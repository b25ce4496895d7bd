// The simulated LED class copies the kernel's formats and answers, so that the driver's tests
// (and a person with `cat`) see what they would see in /sys/class/leds.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { Test } from 'tap';
import { makeFakeSysfs, simFiles } from '../../../../hw/leds/sim.js';

async function fake(t: Test, opts?: Parameters<typeof makeFakeSysfs>[1]) {
  const dir = await mkdtemp(join(tmpdir(), 'colony-leds-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await makeFakeSysfs(dir, opts);
  return { dir, files: simFiles(dir), cat: (dev: string, attr: string) => readFile(join(dir, dev, attr), 'utf8'), ls: (dev: string) => readdir(join(dir, dev)).then((l) => l.sort()) };
}

t.test('the fake /sys/class/leds has the guest kernel\'s devices, each with its trigger in brackets', async (t) => {
  const { dir, cat, ls } = await fake(t);
  t.same((await readdir(dir)).filter((n) => !n.startsWith('.')).sort(), ['ACT', 'input0::capslock', 'mmc0::']);
  t.equal(await cat('mmc0::', 'trigger'), 'none kbd-scrolllock kbd-numlock kbd-capslock kbd-kanalock default-on [mmc0]\n');
  t.equal(await cat('input0::capslock', 'trigger'), 'none kbd-scrolllock kbd-numlock [kbd-capslock] kbd-kanalock default-on mmc0\n');
  t.equal(await cat('mmc0::', 'max_brightness'), '1\n');
  t.equal(await cat('ACT', 'max_brightness'), '255\n');
  t.equal(await cat('ACT', 'brightness'), '0\n');
  t.same(await ls('ACT'), ['brightness', 'max_brightness', 'trigger']);
});

t.test('per-trigger files appear with the trigger and vanish with it; the LED goes dark on a change', async (t) => {
  const { files, cat, ls } = await fake(t, { loaded: ['timer', 'pattern', 'heartbeat'] });
  await files.write('ACT', 'brightness', '255');
  await files.write('ACT', 'trigger', 'timer');
  t.same(await ls('ACT'), ['brightness', 'delay_off', 'delay_on', 'max_brightness', 'trigger']);
  t.equal(await cat('ACT', 'delay_on'), '500\n', 'the kernel\'s default blink');
  t.match(await cat('ACT', 'trigger'), / \[timer\] /);
  t.equal(await cat('ACT', 'brightness'), '0\n');
  await files.write('ACT', 'trigger', 'pattern');
  t.same(await ls('ACT'), ['brightness', 'max_brightness', 'pattern', 'repeat', 'trigger']);
  t.equal(await cat('ACT', 'pattern'), '');
  t.equal(await cat('ACT', 'repeat'), '-1\n');
  await files.write('ACT', 'pattern', '255 500 255 0 0 500 0 0');
  t.equal(await cat('ACT', 'pattern'), '255 500 255 0 0 500 0 0\n');
  await files.write('ACT', 'trigger', 'none\n');
  t.same(await ls('ACT'), ['brightness', 'max_brightness', 'trigger']);
  t.match(await cat('ACT', 'trigger'), /^\[none\] /);
});

t.test('the kernel\'s refusals: unknown trigger, bad numbers, short or too bright patterns, repeat 0', async (t) => {
  const { files, cat } = await fake(t, { loaded: ['pattern'] });
  await t.rejects(files.write('ACT', 'trigger', 'timer'), { code: 'EINVAL' }, 'timer is a module not loaded yet');
  await t.rejects(files.write('ACT', 'delay_on', '100'), { code: 'ENOENT' }, 'no delay_on without the timer trigger');
  await t.rejects(files.write('ACT', 'brightness', 'lots'), { code: 'EINVAL' });
  await t.rejects(files.write('ACT', 'max_brightness', '1'), { code: 'EACCES' });
  await files.write('mmc0::', 'trigger', 'pattern');
  await t.rejects(files.write('mmc0::', 'pattern', '255 100 0 100'), { code: 'EINVAL' }, 'over max_brightness 1');
  await t.rejects(files.write('mmc0::', 'pattern', '1 100'), { code: 'EINVAL' }, 'one tuple');
  await t.rejects(files.write('mmc0::', 'repeat', '0'), { code: 'EINVAL' });
  await t.rejects(files.write('mmc0::', 'repeat', '-2'), { code: 'EINVAL' });
  await files.write('mmc0::', 'repeat', '3');
  t.equal(await cat('mmc0::', 'repeat'), '3\n');
});

t.test('brightness is clamped to max_brightness, and 0 removes the trigger', async (t) => {
  const { files, cat } = await fake(t);
  await files.write('mmc0::', 'brightness', '200');
  t.equal(await cat('mmc0::', 'brightness'), '1\n');
  t.match(await cat('mmc0::', 'trigger'), /\[mmc0\]/, 'a non-zero brightness keeps the trigger');
  await files.write('mmc0::', 'brightness', '0');
  t.match(await cat('mmc0::', 'trigger'), /^\[none\] /);
});

t.test('modprobe loads a module trigger into every LED\'s list, once', async (t) => {
  const { files, cat } = await fake(t);
  t.equal(await files.modprobe('timer'), true);
  t.match(await cat('ACT', 'trigger'), / \[mmc0\] timer\n$/);
  t.match(await cat('input0::capslock', 'trigger'), / timer\n$/);
  t.equal(await files.modprobe('timer'), false, 'already loaded: no module to load');
  t.equal(await files.modprobe('netdev'), false);
  await files.write('ACT', 'trigger', 'timer');
});
