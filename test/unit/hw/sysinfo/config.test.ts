// The sysinfo config section: defaults, a partial section merged, every mistake named by its key.
import t from 'tap';
import { checkSysinfoConfig, defaultSysinfoConfig } from '../../../../hw/sysinfo/config.js';

t.test('defaults', async (t) => {
  t.same(defaultSysinfoConfig(), { temperatureHighC: 80, pollSeconds: 10, diskReserveBytes: 1024 ** 3 });
  t.same(checkSysinfoConfig({}, 'sysinfo'), defaultSysinfoConfig());
});

t.test('a partial section is merged over the defaults', async (t) => {
  t.same(checkSysinfoConfig({ pollSeconds: 30, temperatureHighC: 72.5 }, 'sysinfo'), { temperatureHighC: 72.5, pollSeconds: 30, diskReserveBytes: 1024 ** 3 });
  t.equal(checkSysinfoConfig({ diskReserveBytes: 0 }, 'sysinfo').diskReserveBytes, 0);
});

t.test('mistakes name their key', async (t) => {
  const bad: Array<[unknown, RegExp]> = [
    [null, /'sysinfo': expected an object, got null/],
    [[1], /'sysinfo': expected an object/],
    [{ pollSeconds: 0 }, /'sysinfo.pollSeconds': expected a whole number from 1 to 3600, got 0/],
    [{ pollSeconds: 1.5 }, /'sysinfo.pollSeconds'/],
    [{ pollSeconds: '10' }, /'sysinfo.pollSeconds'/],
    [{ temperatureHighC: 5 }, /'sysinfo.temperatureHighC': expected a temperature in °C from 20 to 150, got 5/],
    [{ temperatureHighC: Number.NaN }, /'sysinfo.temperatureHighC'/],
    [{ diskReserveBytes: -1 }, /'sysinfo.diskReserveBytes'/],
    [{ pollSecs: 10 }, /config key 'sysinfo.pollSecs' is not known \(known: temperatureHighC, pollSeconds, diskReserveBytes\)/],
  ];
  for (const [v, re] of bad) t.throws(() => checkSysinfoConfig(v, 'sysinfo'), { code: 'COLONY_INVALID', message: re }, JSON.stringify(v));
});
