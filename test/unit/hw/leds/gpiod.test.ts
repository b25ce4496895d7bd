// The bare-GPIO helper's commands, planned as data from LED patterns.
import t from 'tap';
import { gpioCommand } from '../../../../hw/leds/gpiod.js';
import { parsePattern } from '../../../../hw/leds/index.js';

t.test('each pattern becomes one helper command: levels 0/1, forever unless a pattern says otherwise', async (t) => {
  const table: Array<[string, string]> = [
    ['off', 'hold 0'],
    ['on', 'hold 1'],
    ['blink 100 400', 'steps 1 100 0 400 repeat -1'],
    ['heartbeat', 'steps 1 70 0 250 1 70 0 1010 repeat -1'],
    ['pattern 255 150 0 150 40 300', 'steps 1 150 0 150 1 300 repeat -1'],
    ['pattern 255 150 0 150 repeat 5', 'steps 1 150 0 150 repeat 5'],
  ];
  for (const [text, cmd] of table) t.equal(gpioCommand(parsePattern(text)), cmd, text);
});
