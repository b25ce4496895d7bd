// openLeds on a fake /sys/class/leds and on nothing at all: which devices it picks, a
// sequence of plans checked in the files, the simulated fallback, queueing and close.
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { Test } from 'tap';
import { MemoryLog } from '../../../../appliance/log.js';
import { checkLedConfig, makeFakeSysfs, openLeds, planLeds, type LedState } from '../../../../hw/leds/index.js';

async function tmp(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'colony-leds-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}
const cat = (dir: string, dev: string, attr: string) => readFile(join(dir, dev, attr), 'utf8');
const active = async (dir: string, dev: string) => /\[([^\]]+)\]/.exec(await cat(dir, dev, 'trigger'))![1];
const st = (health: LedState['health'], more: Partial<LedState> = {}): LedState => ({ health, busy: [], degraded: [], ...more });

t.test('the guest\'s devices as status and power: a boot-to-stop sequence of plans, then restore', async (t) => {
  const dir = await tmp(t);
  const sysfs = await makeFakeSysfs(join(dir, 'sys'));
  const config = checkLedConfig({ status: ['ACT', 'led0'], power: ['PWR', 'mmc0::'] }, 'leds');
  const log = new MemoryLog();
  const leds = await openLeds({ config, log, sysfsRoot: sysfs, simRoot: join(dir, 'sim') });
  t.equal(leds.backend, 'sysfs');
  t.same(leds.devices(), { status: 'ACT', power: 'mmc0::' }, 'the first present name per role wins');

  const now = 1_000;
  const steps: Array<[LedState, Record<string, string>]> = [
    [st('booting'), { 'ACT trigger': 'heartbeat', 'mmc0:: trigger': 'none', 'mmc0:: brightness': '1' }],
    [st('ready'), { 'ACT trigger': 'none', 'ACT brightness': '255', 'mmc0:: trigger': 'none', 'mmc0:: brightness': '1' }],
    [st('ready', { busy: ['saving'] }), { 'ACT trigger': 'timer', 'ACT delay_on': '50', 'ACT delay_off': '150' }],
    [st('degraded', { busy: ['saving'] }), { 'ACT trigger': 'timer', 'ACT delay_on': '50', 'mmc0:: trigger': 'timer', 'mmc0:: delay_on': '1000' }],
    [st('ready', { identifyUntil: now + 30_000 }), { 'ACT trigger': 'pattern', 'ACT pattern': '255 150 255 0 0 150 0 0 255 150 255 0 0 1050 0 0', 'ACT repeat': '-1', 'mmc0:: pattern': '1 150 1 0 0 150 0 0 1 150 1 0 0 1050 0 0' }],
    [st('error'), { 'ACT trigger': 'timer', 'ACT delay_on': '100', 'ACT delay_off': '100', 'mmc0:: trigger': 'timer' }],
    [st('stopping'), { 'ACT trigger': 'none', 'ACT brightness': '0', 'mmc0:: trigger': 'none', 'mmc0:: brightness': '1' }],
  ];
  for (const [state, want] of steps) {
    await leds.apply(planLeds(state, config, now).leds);
    for (const [where, value] of Object.entries(want)) {
      const [dev, attr] = where.split(' ') as [string, string];
      const got = attr === 'trigger' ? await active(sysfs, dev) : (await cat(sysfs, dev, attr)).trim();
      t.equal(got, value, `${state.health}${state.busy.length ? '+busy' : ''}${state.identifyUntil ? '+identify' : ''}: ${where}`);
    }
  }
  t.equal(await active(sysfs, 'input0::capslock'), 'kbd-capslock', 'an LED that plays no role is untouched');
  await leds.close();
  t.equal(await active(sysfs, 'ACT'), 'mmc0', 'ACT back on mmc0');
  t.equal(await active(sysfs, 'mmc0::'), 'mmc0');
  await t.rejects(leds.apply(planLeds(st('ready'), config, now).leds), { code: 'COLONY_CLOSED' });
  await leds.close();
  t.notOk(log.lines.some((l) => l.level === 'warn'), 'timer, pattern and heartbeat were loaded by modprobe, no warning');
  t.ok(log.lines.some((l) => l.msg === 'loaded LED trigger module' && l.trigger === 'timer'));
});

t.test('concurrent applies queue: the last one is what shows', async (t) => {
  const dir = await tmp(t);
  const sysfs = await makeFakeSysfs(join(dir, 'sys'), { loaded: ['timer', 'pattern', 'heartbeat'] });
  const config = checkLedConfig({ status: ['mmc0::'], power: ['input0::capslock'] }, 'leds');
  const leds = await openLeds({ config, log: new MemoryLog(), sysfsRoot: sysfs, simRoot: join(dir, 'sim') });
  const states = [st('booting'), st('ready', { busy: ['x'] }), st('error'), st('ready', { identifyUntil: 5 }), st('degraded')];
  await Promise.all(states.map((s) => leds.apply(planLeds(s, config, 0).leds)));
  t.equal(await active(sysfs, 'mmc0::'), 'none');
  t.equal((await cat(sysfs, 'mmc0::', 'brightness')).trim(), '1');
  t.equal(await active(sysfs, 'input0::capslock'), 'timer');
  t.equal((await cat(sysfs, 'input0::capslock', 'delay_on')).trim(), '1000');
  await Promise.all([leds.close(), leds.close()]);
  t.equal(await active(sysfs, 'input0::capslock'), 'kbd-capslock');
});

t.test('nothing found: simulated LEDs a person can cat, and one info line that says where', async (t) => {
  const dir = await tmp(t);
  const log = new MemoryLog();
  const leds = await openLeds({ config: checkLedConfig({}, 'leds'), log, sysfsRoot: join(dir, 'no-such-dir'), simRoot: join(dir, 'sim') });
  t.equal(leds.backend, 'sim');
  t.same(leds.devices(), { status: join(dir, 'sim', 'status'), power: join(dir, 'sim', 'power') });
  const said = log.lines.filter((l) => /simulated/.test(l.msg));
  t.equal(said.length, 1);
  t.equal(said[0]!.level, 'info');
  t.match(said[0]!.msg, join(dir, 'sim'));
  const config = checkLedConfig({}, 'leds');
  await leds.apply(planLeds(st('ready', { busy: ['importing'] }), config, 0).leds);
  t.equal(await cat(join(dir, 'sim'), 'status', 'trigger'), 'none default-on [timer] heartbeat pattern\n');
  t.equal(await cat(join(dir, 'sim'), 'status', 'delay_on'), '50\n');
  t.equal(await cat(join(dir, 'sim'), 'power', 'brightness'), '255\n');
  await leds.apply(planLeds(st('ready', { identifyUntil: 1 }), config, 0).leds);
  t.equal(await cat(join(dir, 'sim'), 'power', 'repeat'), '-1\n');
  await t.rejects(stat(join(dir, 'sim', 'status', 'delay_on')), { code: 'ENOENT' }, 'timer files went with the timer');
  await leds.close();
  t.match(await cat(join(dir, 'sim'), 'status', 'trigger'), /^\[none\]/);
  t.equal(log.lines.filter((l) => l.level === 'warn').length, 0);
});

t.test('a sysfs root with only other LEDs also falls back to the simulation; disabled means none', async (t) => {
  const dir = await tmp(t);
  const sysfs = await makeFakeSysfs(join(dir, 'sys'));
  const guest = await makeFakeSysfs(join(dir, 'guest'), { devices: [{ name: 'mmc0::', maxBrightness: 1, trigger: 'mmc0' }] });
  const sim = await openLeds({ config: checkLedConfig({}, 'leds'), log: new MemoryLog(), sysfsRoot: guest, simRoot: join(dir, 'sim') });
  t.equal(sim.backend, 'sim', 'the guest has mmc0:: but no ACT, led0, PWR or led1');
  t.equal(await active(guest, 'mmc0::'), 'mmc0');
  await sim.close();
  const pi = await openLeds({ config: checkLedConfig({}, 'leds'), log: new MemoryLog(), sysfsRoot: sysfs, simRoot: join(dir, 'sim1') });
  t.same([pi.backend, pi.devices()], ['sysfs', { status: 'ACT' }], 'the Pi defaults find ACT');
  await pi.close();
  const only = await openLeds({ config: checkLedConfig({ status: ['nope'], power: ['ACT'] }, 'leds'), log: new MemoryLog(), sysfsRoot: sysfs, simRoot: join(dir, 'sim2') });
  t.equal(only.backend, 'sysfs', 'power alone is enough to be real');
  t.same(only.devices(), { power: 'ACT' });
  await only.apply({ status: { kind: 'on' }, power: { kind: 'off' } });
  t.equal(await active(sysfs, 'ACT'), 'none');
  await only.close();
  const off = await openLeds({ config: checkLedConfig({ enabled: false }, 'leds'), log: new MemoryLog(), sysfsRoot: sysfs, simRoot: join(dir, 'sim3') });
  t.equal(off.backend, 'none');
  t.same(off.devices(), {});
  await off.apply({ status: { kind: 'on' }, power: { kind: 'on' } });
  await off.close();
  await t.rejects(stat(join(dir, 'sim3')), { code: 'ENOENT' }, 'disabled makes no simulated tree');
});
