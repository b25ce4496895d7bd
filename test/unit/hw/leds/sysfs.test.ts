// One LED-class device through its kernel triggers, on the simulated kernel: what is written,
// what is not rewritten, modprobe once, graceful degradation, and restore.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { Test } from 'tap';
import { MemoryLog } from '../../../../appliance/log.js';
import type { LedFiles } from '../../../../hw/leds/files.js';
import { parsePattern } from '../../../../hw/leds/index.js';
import { makeFakeSysfs, simFiles } from '../../../../hw/leds/sim.js';
import { degrade, kernelPatternText, scale, SysfsLed } from '../../../../hw/leds/sysfs.js';

/** The simulated kernel, with every write and modprobe recorded. */
async function world(t: Test, opts?: Parameters<typeof makeFakeSysfs>[1]) {
  const dir = await mkdtemp(join(tmpdir(), 'colony-leds-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await makeFakeSysfs(dir, opts);
  const sim = simFiles(dir);
  const writes: string[] = [];
  const probes: string[] = [];
  const files: LedFiles = {
    ...sim,
    write: (d, a, v) => { writes.push(`${d}/${a}=${v}`); return sim.write(d, a, v); },
    modprobe: (name) => { probes.push(name); return sim.modprobe(name); },
  };
  const log = new MemoryLog();
  const cat = (dev: string, attr: string) => readFile(join(dir, dev, attr), 'utf8');
  return { dir, files, writes, probes, log, cat, led: (name = 'ACT') => SysfsLed.open(files, name, log) };
}

t.test('each pattern sets its trigger and files; modprobe loads timer and pattern on first use', async (t) => {
  const w = await world(t);
  const led = await w.led();
  await led.apply(parsePattern('on'));
  t.match(await w.cat('ACT', 'trigger'), /^\[none\] /);
  t.equal(await w.cat('ACT', 'brightness'), '255\n');
  await led.apply(parsePattern('blink 100 400'));
  t.match(await w.cat('ACT', 'trigger'), /\[timer\]/);
  t.equal(await w.cat('ACT', 'delay_on'), '100\n');
  t.equal(await w.cat('ACT', 'delay_off'), '400\n');
  await led.apply(parsePattern('pattern 255 200 0 300 repeat 2'));
  t.match(await w.cat('ACT', 'trigger'), /\[pattern\]/);
  t.equal(await w.cat('ACT', 'pattern'), '255 200 255 0 0 300 0 0\n', 'held steps, not ramps');
  t.equal(await w.cat('ACT', 'repeat'), '2\n');
  t.notOk((await readdir(join(w.dir, 'ACT'))).includes('delay_on'), 'timer files gone');
  await led.apply(parsePattern('heartbeat'));
  t.match(await w.cat('ACT', 'trigger'), /\[heartbeat\]/);
  await led.apply(parsePattern('off'));
  t.match(await w.cat('ACT', 'trigger'), /^\[none\] /);
  t.equal(await w.cat('ACT', 'brightness'), '0\n');
  t.same(w.probes, ['timer', 'pattern', 'heartbeat'], 'each module probed once');
  t.same(w.log.lines.filter((l) => l.level === 'warn'), []);
});

t.test('writes only what changed: the same pattern twice writes nothing; new delays keep the timer', async (t) => {
  const w = await world(t, { loaded: ['timer'] });
  const led = await w.led();
  await led.apply(parsePattern('blink 100 400'));
  const n = w.writes.length;
  await led.apply(parsePattern('blink 100 400'));
  t.equal(w.writes.length, n, 'no rewrite: a rewrite would restart the blink');
  await led.apply(parsePattern('blink 50 50'));
  t.same(w.writes.slice(n), ['ACT/delay_on=50', 'ACT/delay_off=50'], 'the trigger is not rewritten');
  await led.apply(parsePattern('on'));
  t.same(w.writes.slice(n + 2), ['ACT/trigger=none', 'ACT/brightness=255']);
});

t.test('brightness respects max_brightness: on and patterns scale 0-255 onto the LED', async (t) => {
  const w = await world(t, { loaded: ['pattern'] });
  const led = await w.led('mmc0::');
  await led.apply(parsePattern('on'));
  t.equal(await w.cat('mmc0::', 'brightness'), '1\n');
  await led.apply(parsePattern('pattern 255 100 10 100 0 100'));
  t.equal(await w.cat('mmc0::', 'pattern'), '1 100 1 0 1 100 1 0 0 100 0 0\n', 'a dim step stays lit on an on/off LED');
  t.same([scale(0, 255), scale(128, 255), scale(1, 1), scale(255, 1), scale(128, 100)], [0, 128, 1, 1, 50]);
  t.equal(kernelPatternText([[255, 10], [0, 20]], 255), '255 10 255 0 0 20 0 0');
});

t.test('a trigger the kernel lacks degrades once, with one warning: pattern → blink, blink → on', async (t) => {
  const w = await world(t, { modules: ['timer'] });
  const led = await w.led();
  await led.apply(parsePattern('pattern 255 150 0 150 255 150 0 1050'));
  t.match(await w.cat('ACT', 'trigger'), /\[timer\]/, 'timer loaded by modprobe, pattern not');
  t.equal(await w.cat('ACT', 'delay_on'), '300\n');
  t.equal(await w.cat('ACT', 'delay_off'), '1200\n');
  await led.apply(parsePattern('off'));
  await led.apply(parsePattern('pattern 255 100 0 100'));
  const warns = w.log.lines.filter((l) => l.level === 'warn');
  t.equal(warns.length, 1, 'logged once');
  t.match(warns[0], { trigger: 'pattern', instead: 'blink 300 1200' });
  t.same(w.probes, ['pattern', 'timer'], 'pattern tried once, timer loaded once');

  const bare = await world(t, { modules: [] });
  const led2 = await bare.led();
  await led2.apply(parsePattern('blink 100 100'));
  t.match(await bare.cat('ACT', 'trigger'), /^\[none\] /);
  t.equal(await bare.cat('ACT', 'brightness'), '255\n', 'no timer at all: steady on');
});

t.test('degrade as data', async (t) => {
  const all = () => true;
  const none = () => false;
  t.same(degrade(parsePattern('heartbeat'), all), { kind: 'blink', onMs: 100, offMs: 900 });
  t.same(degrade(parsePattern('heartbeat'), none), { kind: 'on' });
  t.same(degrade(parsePattern('pattern 0 100 0 100'), all), { kind: 'off' });
  t.same(degrade(parsePattern('pattern 9 100'), all), { kind: 'on' });
  t.same(degrade(parsePattern('blink 1 1'), all), { kind: 'on' });
  t.same(degrade(parsePattern('off'), none), { kind: 'off' });
});

t.test('restore puts back what was found: mmc0 on ACT, a timer with its delays, none with its brightness', async (t) => {
  const w = await world(t, { loaded: ['timer', 'pattern'] });
  await w.files.write('input0::capslock', 'trigger', 'timer');
  await w.files.write('input0::capslock', 'delay_on', '7');
  await w.files.write('mmc0::', 'trigger', 'none');
  await w.files.write('mmc0::', 'brightness', '1');
  const act = await w.led('ACT');
  const caps = await w.led('input0::capslock');
  const mmc = await w.led('mmc0::');
  for (const led of [act, caps, mmc]) await led.apply(parsePattern('pattern 255 100 0 100'));
  for (const led of [act, caps, mmc]) await led.restore();
  t.match(await w.cat('ACT', 'trigger'), / \[mmc0\]/);
  t.match(await w.cat('input0::capslock', 'trigger'), /\[timer\]/);
  t.equal(await w.cat('input0::capslock', 'delay_on'), '7\n');
  t.match(await w.cat('mmc0::', 'trigger'), /^\[none\] /);
  t.equal(await w.cat('mmc0::', 'brightness'), '1\n');
  await act.apply(parsePattern('off'));
  t.match(await w.cat('ACT', 'trigger'), /^\[none\] /, 'after restore the next apply writes again');
});

t.test('a failed write rejects with a ColonyError and the next apply writes everything again', async (t) => {
  const w = await world(t, { loaded: ['timer'] });
  const led = await w.led();
  let fail = true;
  const write = w.files.write;
  w.files.write = (d, a, v) => (fail && a === 'delay_off' ? Promise.reject(Object.assign(new Error('EIO'), { code: 'EIO' })) : write(d, a, v));
  await t.rejects(led.apply(parsePattern('blink 10 20')), { code: 'COLONY_IO', message: /setting LED ACT to 'blink 10 20'/ });
  fail = false;
  await led.apply(parsePattern('blink 10 20'));
  t.equal(await w.cat('ACT', 'delay_off'), '20\n');
});
