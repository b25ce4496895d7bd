// The `leds` config section: Pi defaults, merging, and mistakes that name their key.
import t from 'tap';
import { checkLedConfig, defaultLedConfig } from '../../../../hw/leds/index.js';

t.test('the defaults suit a Pi: ACT/led0 for status, PWR/led1 for power, no GPIO', async (t) => {
  t.same(defaultLedConfig(), { enabled: true, status: ['ACT', 'led0'], power: ['PWR', 'led1'], gpio: null, patterns: {} });
  t.same(checkLedConfig(undefined, 'leds'), defaultLedConfig());
  t.same(checkLedConfig({}, 'leds'), defaultLedConfig());
});

t.test('given keys replace the defaults; the rest stay', async (t) => {
  const c = checkLedConfig({ status: ['status', 'ACT'], gpio: { chip: 'gpiochip0', line: 17 }, patterns: { busy: { status: 'blink 20 80' } } }, 'leds');
  t.same(c.status, ['status', 'ACT']);
  t.same(c.power, ['PWR', 'led1']);
  t.same(c.gpio, { chip: 'gpiochip0', line: 17 });
  t.same(c.patterns, { busy: { status: 'blink 20 80' } });
  t.equal(checkLedConfig({ enabled: false }, 'leds').enabled, false);
  t.same(checkLedConfig({ status: ['mmc0::', 'input0::capslock'] }, 'leds').status, ['mmc0::', 'input0::capslock']);
});

t.test('every mistake names its key', async (t) => {
  const bad: Array<[unknown, RegExp]> = [
    [[], /config key 'hw\.leds': expected an object/],
    [{ colour: 'red' }, /config key 'hw\.leds\.colour' is not known \(known: enabled, status, power, gpio, patterns\)/],
    [{ enabled: 'yes' }, /config key 'hw\.leds\.enabled': expected true or false, got "yes"/],
    [{ status: 'ACT' }, /config key 'hw\.leds\.status': expected a list of LED names/],
    [{ power: ['PWR', 'a/b'] }, /config key 'hw\.leds\.power\[1\]': expected an LED-class name/],
    [{ power: ['..'] }, /config key 'hw\.leds\.power\[0\]'/],
    [{ gpio: 17 }, /config key 'hw\.leds\.gpio': expected null or/],
    [{ gpio: { chip: 'gpiochip0', line: -1 } }, /config key 'hw\.leds\.gpio\.line': expected a line offset/],
    [{ gpio: { chip: '', line: 1 } }, /config key 'hw\.leds\.gpio\.chip'/],
    [{ gpio: { chip: 'gpiochip0', line: 1, pin: 2 } }, /config key 'hw\.leds\.gpio': expected null or/],
    [{ patterns: { happy: {} } }, /config key 'hw\.leds\.patterns\.happy' is not known \(known: booting, ready, busy/],
    [{ patterns: { busy: { disk: 'on' } } }, /config key 'hw\.leds\.patterns\.busy\.disk' is not known \(known: status, power\)/],
    [{ patterns: { busy: { status: 'blink fast' } } }, /config key 'hw\.leds\.patterns\.busy\.status': expected an LED pattern .*, got "blink fast"/],
    [{ patterns: { busy: 'on' } }, /config key 'hw\.leds\.patterns\.busy': expected/],
  ];
  for (const [v, msg] of bad) t.throws(() => checkLedConfig(v, 'hw.leds'), { code: 'COLONY_INVALID', message: msg }, JSON.stringify(v));
});
