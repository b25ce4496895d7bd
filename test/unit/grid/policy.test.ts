// The grid's decisions as data: limits, cache budgets, ownership, name suggestions.
import t from 'tap';
import { alreadyRunning, checkEnvName, checkOwner, checkSpawn, freeSuffix, resolveLimits, visibleTo, type RunningSummary } from '../../../appliance/grid/policy.js';

const MiB = 1 << 20;
const env = (name: string, owner: string, kind: 'ram' | 'disk' = 'ram', cacheBytes = 100 * MiB): RunningSummary => ({ name, owner, kind, cacheBytes });

t.test('the per-node limit (default 5, as in the seed)', async (t) => {
  const limits = resolveLimits({ perUser: 10, ramBudgetBytes: 10_000 * MiB });
  t.equal(limits.perNode, 5);
  const four = ['a', 'b', 'c', 'd'].map((n, i) => env(n, i % 2 ? 'alice' : 'bob'));
  t.doesNotThrow(() => checkSpawn(limits, four, 'carol', 'ram'));
  t.throws(() => checkSpawn(limits, [...four, env('e', 'bob')], 'carol', 'ram'), { code: 'COLONY_LIMIT', message: /5 environments/ });
});

t.test('the per-user limit and its overrides', async (t) => {
  const limits = resolveLimits({ perNode: 20, perUser: 2, perUserOverrides: { bob: 3 }, ramBudgetBytes: 10_000 * MiB });
  const two = [env('a', 'alice'), env('b', 'alice'), env('c', 'bob'), env('d', 'bob')];
  t.throws(() => checkSpawn(limits, two, 'alice', 'ram'), { code: 'COLONY_LIMIT', message: /alice runs 2 environments, the per-user limit of 2/ });
  t.doesNotThrow(() => checkSpawn(limits, two, 'bob', 'ram'));
  t.doesNotThrow(() => checkSpawn(limits, two, 'carol', 'ram'));
  t.throws(() => checkSpawn(resolveLimits({ perUser: 0 }), [], 'carol', 'ram'), { code: 'COLONY_LIMIT' });
});

t.test('cache space is a node-wide budget per kind; disk slots are a count', async (t) => {
  const limits = resolveLimits({ perNode: 10, perUser: 10, ramCacheBytes: 100 * MiB, ramBudgetBytes: 250 * MiB, diskSlots: 1 });
  const ram2 = [env('a', 'alice'), env('b', 'bob')];
  t.throws(() => checkSpawn(limits, ram2, 'carol', 'ram'), { code: 'COLONY_NO_SPACE', message: /no ram cache space: 200 MiB of 250 MiB in use/ });
  t.doesNotThrow(() => checkSpawn(limits, ram2, 'carol', 'disk'), 'ram caches do not count against disk');
  t.throws(() => checkSpawn(limits, [env('d', 'bob', 'disk', 1024 * MiB)], 'carol', 'disk'), { code: 'COLONY_LIMIT', message: /disk slots/ });
  const tight = resolveLimits({ diskBudgetBytes: 1024 * MiB, diskCacheBytes: 1024 * MiB });
  t.throws(() => checkSpawn(tight, [env('d', 'bob', 'disk', 1024 * MiB)], 'carol', 'disk'), { code: 'COLONY_NO_SPACE' });
});

t.test('limits are checked when configured', async (t) => {
  t.throws(() => resolveLimits({ perNode: -1 }), { code: 'COLONY_INVALID' });
  t.throws(() => resolveLimits({ saveTimeoutMs: 1.5 }), { code: 'COLONY_INVALID' });
  t.throws(() => resolveLimits({ perUserOverrides: { bob: -2 } }), { code: 'COLONY_INVALID' });
});

t.test('only the owner acts on an environment', async (t) => {
  t.doesNotThrow(() => checkOwner('alice', { name: 'debian', owner: 'alice' }, 'save'));
  t.throws(() => checkOwner('bob', { name: 'debian', owner: 'alice' }, 'save'), { code: 'COLONY_PERMISSION', message: /debian is not yours; you cannot save it/ });
  t.throws(() => checkOwner('admin', { name: 'debian', owner: 'alice' }, 'boom'), { code: 'COLONY_PERMISSION' });
  const envs = [env('a', 'alice'), env('b', 'bob')];
  t.same(visibleTo('alice', false, envs).map((e) => e.name), ['a']);
  t.same(visibleTo('admin', true, envs).map((e) => e.name), ['a', 'b']);
});

t.test('a free suffix is offered for a running name', async (t) => {
  const running = new Set(['debian', 'debian-2']);
  t.equal(freeSuffix('debian', (n) => running.has(n)), 'debian-3');
  t.equal(freeSuffix('x', () => true, 5), undefined, 'bounded');
  const err = alreadyRunning('debian', 'debian', 'debian-3', false);
  t.equal(err.code, 'COLONY_EXISTS');
  t.equal(err.detail, 'debian is running; spawn it as debian-3 with `spawn debian as debian-3`');
  t.match(alreadyRunning('d', 'alice/d', 'd-2', true).detail, /`spawndisk alice\/d as d-2`/);
  t.match(alreadyRunning('d', 'd', undefined, true).detail, /choose another name/);
});

t.test('environment names fit an aname and a file name', async (t) => {
  for (const ok of ['debian', 'debian-2', 'a.b_c+d', '9front']) t.equal(checkEnvName(ok), ok);
  for (const bad of ['', '-x', '.hidden', 'a/b', 'a b', 'é', 'x'.repeat(65), '..']) t.throws(() => checkEnvName(bad), { code: 'COLONY_INVALID' }, bad);
});
