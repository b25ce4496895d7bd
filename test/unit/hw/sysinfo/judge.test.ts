// judge() as data: a sample and a config in, the degraded reasons out.
import t from 'tap';
import { defaultSysinfoConfig } from '../../../../hw/sysinfo/config.js';
import { formatBytes, judge } from '../../../../hw/sysinfo/judge.js';
import type { SysSample } from '../../../../hw/sysinfo/types.js';

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

const base: SysSample = {
  at: 0,
  temperatureC: 50,
  thermalZones: [{ name: 'thermal_zone0', type: 'cpu-thermal', c: 50 }],
  memory: { totalBytes: 4 * GiB, availableBytes: 3 * GiB },
  load: [0.1, 0.2, 0.3],
  uptimeSeconds: 100,
  disk: { path: '/data', totalBytes: 32 * GiB, freeBytes: 20 * GiB, availableBytes: 19 * GiB },
};
const config = defaultSysinfoConfig();

const cases: Array<[string, Partial<SysSample>, string[]]> = [
  ['all well', {}, []],
  ['no thermal zone', { temperatureC: null, thermalZones: [] }, []],
  ['just under the limit', { temperatureC: 79.9 }, []],
  ['at the limit', { temperatureC: 80 }, ['temperature 80 °C (high at 80)']],
  ['hot', { temperatureC: 83.4 }, ['temperature 83 °C (high at 80)']],
  ['disk past its reserve', { disk: { path: '/data', totalBytes: 32 * GiB, freeBytes: 2 * GiB, availableBytes: 700 * MiB } }, ['disk: 700 MiB free (reserve 1 GiB)']],
  ['disk exactly at the reserve', { disk: { path: '/data', totalBytes: 32 * GiB, freeBytes: 2 * GiB, availableBytes: GiB } }, []],
  ['disk unknown', { disk: null }, []],
  ['under-voltage', { throttled: 'under-voltage' }, ['power: under-voltage (the supply cannot keep up; the firmware slows the CPU)']],
  ['power fine', { throttled: 'ok' }, []],
  ['everything at once, in a fixed order', { temperatureC: 90, disk: { path: '/d', totalBytes: GiB, freeBytes: 0, availableBytes: 0 }, throttled: 'under-voltage' },
    ['temperature 90 °C (high at 80)', 'disk: 0 B free (reserve 1 GiB)', 'power: under-voltage (the supply cannot keep up; the firmware slows the CPU)']],
];

t.test('judge: degraded reasons', async (t) => {
  for (const [name, change, want] of cases) t.same(judge({ ...base, ...change }, config), want, name);
});

t.test('judge follows the config', async (t) => {
  t.same(judge({ ...base, temperatureC: 70 }, { ...config, temperatureHighC: 65 }), ['temperature 70 °C (high at 65)']);
  t.same(judge(base, { ...config, diskReserveBytes: 20 * GiB }), ['disk: 19 GiB free (reserve 20 GiB)']);
  t.same(judge({ ...base, disk: { path: '/', totalBytes: 1, freeBytes: 0, availableBytes: 0 } }, { ...config, diskReserveBytes: 0 }), [], 'a zero reserve never trips');
});

t.test('formatBytes', async (t) => {
  const want: Array<[number, string]> = [[0, '0 B'], [512, '512 B'], [1536, '1.5 KiB'], [700 * MiB, '700 MiB'], [GiB, '1 GiB'], [1.5 * GiB, '1.5 GiB'], [1.04 * GiB, '1 GiB'], [3 * 1024 * GiB, '3 TiB']];
  for (const [n, s] of want) t.equal(formatBytes(n), s, String(n));
});
