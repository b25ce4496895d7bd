// The front panel over HTTP against a real `colony serve`: the page and its headers, the
// anonymous view holding no token or name, /metrics accepted by promtool and its counters
// moving after a spawn, login, a wrong password, logout, a cross-origin POST refused, and
// the failed-login lockout (from 127.0.0.2, so the rest of the test from 127.0.0.1 goes on).
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';
import { repoRoot } from '../helpers/cli.js';
import { freePort, startSupervisor } from '../helpers/colony-server.js';
import { http, postForm, sessionFrom } from '../integration/web/http.js';

execFileSync(join(repoRoot, 'scripts/ensure-apt.sh'), ['prometheus'], { stdio: 'inherit', timeout: 600_000 });

const metric = (text: string, line: RegExp) => Number(line.exec(text)?.[1] ?? NaN);

t.test('the front panel of a running supervisor', async (t) => {
  const port = await freePort();
  const sup = await startSupervisor(t, { config: { web: { enabled: true, listen: `127.0.0.1:${port}` } } });
  const base = `http://127.0.0.1:${port}`;

  const page = await http(`${base}/`);
  t.equal(page.status, 200);
  t.match(page.headers['content-security-policy'], /default-src 'self'/);
  t.match(page.headers['content-security-policy'], /frame-ancestors 'none'/);
  t.equal(page.headers['x-frame-options'], 'DENY');
  t.equal(page.headers['x-content-type-options'], 'nosniff');
  t.match(page.body, /id="health" data-state="(ready|degraded)"/, 'the health state');
  t.match(page.body, /none running/);
  const js = await http(`${base}/app.js`);
  t.match(js.headers['content-type'], /^text\/javascript/);
  t.match(js.body, /fetch\('\/panel'/);
  t.equal((await http(`${base}/nowhere`)).status, 404);
  t.equal((await http(`${base}/`, { method: 'DELETE' })).status, 405);

  const before = await http(`${base}/metrics`);
  t.equal(before.status, 200);
  t.match(before.headers['content-type'], /^text\/plain; version=0\.0\.4/);
  const check = spawnSync('promtool', ['check', 'metrics'], { input: before.body, encoding: 'utf8' });
  t.equal(check.status, 0, `promtool check metrics: ${check.stdout}${check.stderr}`);
  t.equal(metric(before.body, /^colony_spawns_total (\d+)$/m), 0);

  const spawned = await sup.spawn({ as: 'panel-env', via: 'ctl' });
  const token = spawned.aname.split('/').pop()!;
  t.ok(token.length >= 20, 'spawn gave a token');

  const after = await http(`${base}/metrics`);
  t.equal(spawnSync('promtool', ['check', 'metrics'], { input: after.body, encoding: 'utf8' }).status, 0, 'still valid after a spawn');
  t.equal(metric(after.body, /^colony_spawns_total (\d+)$/m), 1, 'the spawn counter moved');
  t.equal(metric(after.body, /^colony_environments\{kind="ram"\} (\d+)$/m), 1);
  t.ok(metric(after.body, /^colony_web_requests_total\{route="\/metrics"\} (\d+)$/m) >= 2, 'the request counter moved');

  const anon = await http(`${base}/api/status`);
  const status = JSON.parse(anon.body) as { viewer: { kind: string }; environments: { total: number; list?: unknown }; health: { state: string } };
  t.equal(status.viewer.kind, 'anonymous');
  t.equal(status.environments.total, 1);
  t.equal(status.environments.list, undefined);
  for (const body of [anon.body, (await http(`${base}/`)).body, (await http(`${base}/panel`)).body, after.body]) {
    t.notOk(body.includes(token), 'no token');
    t.notOk(body.includes('panel-env'), 'no environment name');
    t.notOk(body.includes('mount -t'), 'no mount line');
    t.notOk(/\badmin\b/.test(body), 'no user name');
  }

  // Login: a wrong password, then the right one; a cross-origin POST is refused either way.
  const wrong = await postForm(base, '/login', { user: 'admin', password: 'not-it' });
  t.equal(wrong.status, 401);
  t.match(wrong.body, /wrong user name or password/);
  t.equal(sessionFrom(wrong), undefined);
  const foreign = await postForm(base, '/login', { user: 'admin', password: sup.password }, { origin: 'http://evil.example' });
  t.equal(foreign.status, 403, 'a login from another site is refused');
  t.equal(sessionFrom(foreign), undefined);
  const good = await postForm(base, '/login', { user: 'admin', password: sup.password });
  t.equal(good.status, 303);
  const setCookie = String(good.headers['set-cookie']);
  t.match(setCookie, /HttpOnly/);
  t.match(setCookie, /SameSite=Strict/);
  const cookie = sessionFrom(good)!;
  t.ok(cookie);
  const mine = JSON.parse((await http(`${base}/api/status`, { headers: { Cookie: cookie } })).body) as { viewer: { kind: string; name: string }; environments: { list: Array<{ name: string; owner: string }> } };
  t.same(mine.viewer, { kind: 'admin', name: 'admin' });
  t.same(mine.environments.list.map((e) => [e.name, e.owner]), [['panel-env', 'admin']], 'the admin sees names and owners');
  const adminPage = await http(`${base}/`, { headers: { Cookie: cookie } });
  t.match(adminPage.body, /panel-env/);
  t.notOk(adminPage.body.includes(token), 'not even the admin page holds a token');

  t.equal((await postForm(base, '/logout', {}, { cookie, origin: 'http://evil.example' })).status, 403, 'a logout from another site is refused');
  t.equal(JSON.parse((await http(`${base}/api/status`, { headers: { Cookie: cookie } })).body).viewer.kind, 'admin', 'and the session lives on');
  const out = await postForm(base, '/logout', {}, { cookie });
  t.equal(out.status, 303);
  t.match(String(out.headers['set-cookie']), /Max-Age=0/);
  t.equal(JSON.parse((await http(`${base}/api/status`, { headers: { Cookie: cookie } })).body).viewer.kind, 'anonymous', 'logged out');

  // The lockout: ten failures from 127.0.0.2 lock that address (the SSH console's limits).
  const from = { localAddress: '127.0.0.2' };
  const codes: number[] = [];
  for (let i = 0; i < 10; i++) codes.push((await postForm(base, '/login', { user: 'nobody-here', password: `guess${i}` }, from)).status);
  t.same(codes, Array(10).fill(401), 'ten wrong passwords');
  const locked = await postForm(base, '/login', { user: 'admin', password: sup.password }, from);
  t.equal(locked.status, 429, 'the address is locked out, the right password included');
  t.match(locked.body, /too many failed logins from this address/);
  t.ok(Number(locked.headers['retry-after']) > 0, 'Retry-After');
  t.equal(sessionFrom(locked), undefined);
  t.equal((await postForm(base, '/login', { user: 'admin', password: sup.password })).status, 303, 'another address still logs in');
  const m = (await http(`${base}/metrics`)).body;
  t.equal(metric(m, /^colony_web_logins_total\{result="refused"\} (\d+)$/m), 1);
  t.equal(metric(m, /^colony_web_logins_total\{result="failed"\} (\d+)$/m), 11);
});
