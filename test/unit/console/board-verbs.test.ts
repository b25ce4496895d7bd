// identify and the board's lines of `node`, as data: the console only formats what the
// supervisor hands it through NodeInfo.
import t from 'tap';
import { runLine, type BoardInfo, type ConsoleContext } from '../../../appliance/console/index.js';

const accounts = {
  getUser: (n: string) => ({ name: n, role: n === 'root' ? 'admin' : 'user', hasPassword: false, keys: [] }),
} as unknown as NonNullable<ConsoleContext['accounts']>;

t.test('identify [SECONDS] asks the node, with a default, a bound and 0 to stop', async (t) => {
  const calls: Array<[number, string]> = [];
  const node = { id: 'n1', version: '1', started: 0, identify: (s: number, by: string) => { calls.push([s, by]); return { until: 1_000_000 + s * 1000, leds: 'ACT, PWR' }; } };
  const ctx: ConsoleContext = { user: 'alice', accounts, node };
  t.same(await runLine(ctx, 'identify'), { output: 'identifying for 15 s on ACT, PWR', json: { seconds: 15, until: new Date(1_015_000).toISOString(), leds: 'ACT, PWR' } });
  t.match(await runLine(ctx, 'identify 90'), { output: 'identifying for 90 s on ACT, PWR' });
  t.match(await runLine(ctx, 'identify 0'), { output: 'identify stopped' });
  t.same(calls, [[15, 'alice'], [90, 'alice'], [0, 'alice']], 'anyone may identify; the node hears who');
  for (const bad of ['identify -3', 'identify soon', 'identify 5 6', 'identify 3601']) t.match(await runLine(ctx, bad), { error: 'COLONY_USAGE', output: /usage: identify \[SECONDS\]/ }, bad);
  t.equal(calls.length, 3, 'a bad line asks nothing');
  t.match(await runLine({ user: 'alice', accounts, node: { id: 'n1', version: '1', started: 0 } }, 'identify'), { error: 'COLONY_UNSUPPORTED' });
});

t.test('node adds the board: temperature, memory, load, disk, addresses, LEDs, serial', async (t) => {
  const board: BoardInfo = {
    model: 'Raspberry Pi 4 Model B Rev 1.4',
    sample: { temperatureC: 52.6, memory: { totalBytes: 4 * 2 ** 30, availableBytes: 3 * 2 ** 30 }, load: [0.1, 0.25, 1], uptimeSeconds: 61, disk: { path: '/var/lib/colony', totalBytes: 32 * 2 ** 30, availableBytes: 20 * 2 ** 30 } },
    addresses: ['192.168.1.20', 'fe80::1'], degraded: ['temperature 83 °C (high at 80)'],
    leds: { condition: 'degraded', backend: 'sysfs', devices: 'status ACT, power PWR' }, serial: { path: '/dev/serial0', state: 'open' },
  };
  const r = await runLine({ user: 'root', accounts, node: { id: 'n1', version: '1', started: 0, board: () => board } }, 'node');
  t.match(r.output, /^node n1\nversion 1\nuptime [^\n]+\nboard Raspberry Pi 4 Model B Rev 1\.4\ntemperature 52\.6 °C\nmemory 3\.0 GiB available of 4\.0 GiB\nload 0\.10 0\.25 1\.00\ndisk 20\.0 GiB available of 32\.0 GiB \(\/var\/lib\/colony\)\naddresses 192\.168\.1\.20 fe80::1\ndegraded temperature 83 °C \(high at 80\)\nleds degraded \(sysfs: status ACT, power PWR\)\nserial \/dev\/serial0 open$/);
  t.same((r.json as { board: BoardInfo }).board, board);
  const bare = await runLine({ user: 'root', accounts, node: { id: 'n1', version: '1', started: 0, board: () => ({ addresses: [], degraded: [], leds: { condition: 'ready', backend: 'sim' }, sample: { ...board.sample!, temperatureC: null, disk: null } }) } }, 'node');
  t.match(bare.output, /temperature unknown \(no thermal zone\)/);
  t.match(bare.output, /leds ready \(sim\)$/);
  t.notMatch(bare.output, /addresses|disk |serial/);
});
