import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { defaultConfig, execLimitsFor, loadConfig, validateConfig } from '../../../appliance/supervisor/config.js';
import { tmpDir } from '../../helpers/tmp.js';

t.test('the embedded defaults are the documented ports and sizes', async (t) => {
  const c = defaultConfig(false);
  t.same(c.ninep.listen, ['0.0.0.0:5640']);
  t.same(defaultConfig(true).ninep.listen, ['0.0.0.0:564']);
  t.equal(c.ssh.listen, '0.0.0.0:2222');
  t.equal(c.environments.maxPerNode, 5);
  t.equal(c.environments.ramCacheBytes, 100 << 20);
});

t.test('log.format: auto by default, pretty or json when asked', async (t) => {
  t.equal(defaultConfig(false).log.format, 'auto');
  t.equal(validateConfig({ log: { format: 'json' } }, defaultConfig(false)).log.format, 'json');
});

t.test('a file overrides only what it names', async (t) => {
  const c = validateConfig({ ssh: { listen: '127.0.0.1:2200' }, environments: { maxPerNode: 9 } }, defaultConfig(false));
  t.equal(c.ssh.listen, '127.0.0.1:2200');
  t.equal(c.environments.maxPerNode, 9);
  t.equal(c.environments.maxPerUser, 5);
  t.same(c.ninep.listen, ['0.0.0.0:5640']);
});

t.test('every mistake names its key', async (t) => {
  const cases: Array<[unknown, RegExp]> = [
    [[], /must hold a JSON object/],
    [{ nine: {} }, /config key 'nine' is not known/],
    [{ ssh: { port: 22 } }, /config key 'ssh.port' is not known/],
    [{ ssh: { listen: 'nowhere' } }, /'ssh.listen': expected host:port/],
    [{ ssh: { listen: 'h:70000' } }, /'ssh.listen': expected host:port/],
    [{ log: { format: 'yaml' } }, /'log.format': expected auto \| pretty \| json/],
    [{ ninep: { listen: ['0.0.0.0:564', 7] } }, /'ninep.listen\[1\]': expected host:port/],
    [{ environments: { maxPerNode: 0 } }, /'environments.maxPerNode': expected a whole number from 1/],
    [{ environments: { maxPerNode: 2.5 } }, /'environments.maxPerNode'/],
    [{ log: { level: 'loud' } }, /'log.level': expected debug \| info \| warn \| error/],
    [{ store: 3 }, /'store': expected an object/],
  ];
  for (const [input, msg] of cases) t.throws(() => validateConfig(input), { code: 'COLONY_INVALID', message: msg }, JSON.stringify(input));
});

t.test('ninep.tcpCtl was removed: a file that still sets it is refused with the reason and what to use', async (t) => {
  for (const value of [true, false, 'yes']) {
    t.throws(() => validateConfig({ ninep: { tcpCtl: value } }, defaultConfig(false)), {
      code: 'COLONY_INVALID',
      message: /config key 'ninep.tcpCtl' was removed: .*act as any user.*unix socket DATA\/9p\.sock.*SSH console/,
    }, `tcpCtl: ${JSON.stringify(value)}`);
  }
  t.notOk('tcpCtl' in defaultConfig(false).ninep, 'the option is gone from the configuration');
});

t.test('loading: explicit files must exist and parse; the default path may be absent', async (t) => {
  const dir = await tmpDir(t);
  const good = join(dir, 'good.json');
  await writeFile(good, JSON.stringify({ log: { level: 'debug' } }));
  const loaded = await loadConfig(good, {});
  t.equal(loaded.config.log.level, 'debug');
  t.equal(loaded.source, good);
  const viaEnv = await loadConfig(undefined, { COLONY_CONFIG: good });
  t.equal(viaEnv.source, good);
  await t.rejects(loadConfig(join(dir, 'missing.json'), {}), { code: 'COLONY_NOT_FOUND' });
  const bad = join(dir, 'bad.json');
  await writeFile(bad, '{ "log": ');
  await t.rejects(loadConfig(bad, {}), { code: 'COLONY_INVALID', message: /not valid JSON/ });
  const wrong = join(dir, 'wrong.json');
  await writeFile(wrong, JSON.stringify({ ssh: { listen: 5 } }));
  await t.rejects(loadConfig(wrong, {}), { code: 'COLONY_INVALID', message: /wrong.json: config key 'ssh.listen'/ });
});

t.test('exec: cgroup limits per environment, overridden per owner', async (t) => {
  const d = defaultConfig(false).exec;
  t.same(d, { enabled: true, memoryBytes: 512 << 20, cpuPercent: 100, pids: 512, perUser: {}, cache: 'mmap' });
  const c = validateConfig({ exec: { cpuPercent: 200, perUser: { alice: { memoryBytes: 2 * 1024 ** 3 }, bob: { pids: 64, cpuPercent: 50 } }, cache: 'loose' } }, defaultConfig(false)).exec;
  t.same(execLimitsFor(c, 'alice'), { memoryBytes: 2 * 1024 ** 3, cpuPercent: 200, pids: 512 }, 'an override replaces only what it names');
  t.same(execLimitsFor(c, 'bob'), { memoryBytes: 512 << 20, cpuPercent: 50, pids: 64 });
  t.same(execLimitsFor(c, 'carol'), { memoryBytes: 512 << 20, cpuPercent: 200, pids: 512 });
  t.same(execLimitsFor(c, 'constructor'), { memoryBytes: 512 << 20, cpuPercent: 200, pids: 512 }, 'no inherited keys');
  t.equal(c.cache, 'loose');
  t.equal(validateConfig({ exec: { enabled: false } }, defaultConfig(false)).exec.enabled, false);
  const cases: Array<[unknown, RegExp]> = [
    [{ exec: { memoryBytes: 1024 } }, /'exec.memoryBytes': expected a whole number from 16777216/],
    [{ exec: { cpuPercent: 0 } }, /'exec.cpuPercent'/],
    [{ exec: { pids: 2 } }, /'exec.pids'/],
    [{ exec: { cache: 'fscache' } }, /'exec.cache': expected mmap \| loose \| none/],
    [{ exec: { perUser: [] } }, /'exec.perUser': expected \{ USER/],
    [{ exec: { perUser: { 'no such/name': {} } } }, /'exec.perUser': expected user names as keys/],
    [{ exec: { perUser: { alice: 5 } } }, /'exec.perUser.alice': expected/],
    [{ exec: { perUser: { alice: { memory: 5 } } } }, /config key 'exec.perUser.alice.memory' is not known \(known: memoryBytes, cpuPercent, pids\)/],
    [{ exec: { perUser: { alice: { pids: 1.5 } } } }, /'exec.perUser.alice.pids'/],
    [{ exec: { limits: {} } }, /config key 'exec.limits' is not known/],
  ];
  for (const [input, msg] of cases) t.throws(() => validateConfig(input, defaultConfig(false)), { code: 'COLONY_INVALID', message: msg }, JSON.stringify(input));
});

t.test('store reserve, gc, quota and web', async (t) => {
  const d = defaultConfig(false);
  t.equal(d.store.reserveBytes, 256 << 20, 'the store keeps 256 MiB free by default');
  t.equal(d.store.compress, 'auto');
  t.equal(validateConfig({ store: { compress: 'off' } }, defaultConfig(false)).store.compress, 'off');
  t.throws(() => validateConfig({ store: { compress: 'zip' } }, defaultConfig(false)), { message: /'store.compress': expected auto \| off/ });
  t.same(d.gc, { maxUnusedPercent: 5, bytesPerSecond: 16 << 20, intervalHours: 24 });
  t.same(d.quota, { defaultBytes: 0, perUser: {} }, 'no quotas unless configured');
  t.same(d.web, { enabled: true, listen: '0.0.0.0:8080' });
  t.equal(defaultConfig(true).web.listen, '0.0.0.0:80', 'port 80 as root');
  const c = validateConfig({ quota: { defaultBytes: 10 * 2 ** 30, perUser: { alice: 0, bob: 1 << 30 } }, gc: { maxUnusedPercent: 0, intervalHours: 0 }, web: { enabled: false } }, defaultConfig(false));
  t.same(c.quota.perUser, { alice: 0, bob: 1 << 30 });
  t.equal(c.gc.maxUnusedPercent, 0);
  t.equal(c.gc.bytesPerSecond, 16 << 20, 'unnamed keys keep their defaults');
  t.equal(c.web.enabled, false);
  const cases: Array<[unknown, RegExp]> = [
    [{ gc: { maxUnusedPercent: 101 } }, /'gc.maxUnusedPercent': expected a whole number from 0 to 100/],
    [{ gc: { bytesPerSecond: 1000 } }, /'gc.bytesPerSecond'/],
    [{ quota: { perUser: { 'no such/name': 5 } } }, /'quota.perUser': expected user names as keys/],
    [{ quota: { perUser: { alice: -1 } } }, /'quota.perUser.alice'/],
    [{ quota: { perUser: [] } }, /'quota.perUser': expected \{ USER: BYTES \}/],
    [{ store: { reserveBytes: 'lots' } }, /'store.reserveBytes'/],
    [{ web: { listen: 8080 } }, /'web.listen': expected host:port/],
  ];
  for (const [input, msg] of cases) t.throws(() => validateConfig(input, defaultConfig(false)), { code: 'COLONY_INVALID', message: msg }, JSON.stringify(input));
});
