// The front panel as data: a NodeStatus in, the JSON view and the HTML out, for each kind of
// viewer. An anonymous visitor sees counts and the board, never a user's or an
// environment's name, nor a peer id; an admin sees them, escaped.
import t from 'tap';
import { escapeHtml, formatBytes, formatUptime, renderPage, renderPanel, viewOf } from '../../../appliance/web/index.js';
import { SECRET_WORDS, fixtureStatus } from './fixture.js';

t.test('anonymous: health, board, disk and counts; no name, no owner, no peer id', async (t) => {
  const s = fixtureStatus();
  const view = viewOf(s, { kind: 'anonymous' });
  const json = JSON.stringify(view);
  const html = renderPage(view);
  for (const word of SECRET_WORDS) {
    t.notOk(json.includes(word), `the JSON does not hold ${word}`);
    t.notOk(html.includes(word), `the page does not hold ${word}`);
  }
  t.same(view.environments, { total: 3, perUser: [2, 1] }, 'environments per user, without the users');
  t.same(view.peers, { total: 2, byState: { connected: 1, unreachable: 1 } });
  t.same(view.events, [{ at: '2026-12-07T12:59:00.000Z', kind: 'spawn', text: 'an environment started' }]);
  t.match(html, /id="health" data-state="degraded">degraded</);
  t.match(html, /temperature 83 °C \(high at 80\)/, 'why it is degraded');
  t.match(html, /83\.2 °C/);
  t.match(html, /3 GiB available of 4 GiB/);
  t.match(html, /80 MiB in 1234 blocks/, 'store size');
  t.match(html, /20 GiB of 32 GiB/, 'free space');
  t.match(html, /reserve<\/th><td>1 GiB/);
  t.match(html, /degraded \(sysfs\)/, 'the LED pattern');
  t.match(html, /1d 01:00:00/, 'uptime');
  t.match(html, /3 running for 2 users \(2, 1\)/);
  t.match(html, /action="\/login"/, 'a login form');
});

t.test('the page has no inline script or style and loads only its own files', async (t) => {
  const html = renderPage(viewOf(fixtureStatus(), { kind: 'anonymous' }));
  t.same([...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]), ['<script src="/app.js" defer>']);
  t.notMatch(html, /<style|\sstyle=|\son[a-z]+=/i, 'no inline style or event handler');
  t.notMatch(html, /https?:\/\//, 'no external asset');
  t.match(html, /name="viewport" content="width=device-width/, 'phone-sized');
});

t.test('an admin sees names, owners and peers; a user only their own environments', async (t) => {
  const s = fixtureStatus();
  const admin = viewOf(s, { kind: 'admin', name: 'root' });
  t.same(admin.environments.byOwner, { alice: 2, bob: 1 });
  t.equal(admin.environments.list?.length, 3);
  t.equal(admin.peers?.list?.length, 2);
  t.equal(admin.events[0]!.text, 'bob spawned bobs-box (ram)');
  const html = renderPage(admin);
  for (const word of SECRET_WORDS) t.ok(html.includes(word), `the admin page shows ${word}`);
  t.match(html, /logged in as root \(admin\)/);
  t.match(html, /action="\/logout"/);

  const bob = viewOf(s, { kind: 'user', name: 'bob' });
  t.same(bob.environments.list?.map((e) => e.name), ['bobs-box']);
  t.equal(bob.environments.byOwner, undefined);
  t.equal(bob.peers?.list, undefined);
  const bobHtml = renderPage(bob);
  t.notOk(bobHtml.includes('dev-secret-env'), "bob does not see alice's environments");
});

t.test('everything is escaped', async (t) => {
  const s = fixtureStatus({ environments: [{ name: '<img src=x onerror=alert(1)>', owner: 'a"b', kind: 'ram', clients: 0, uptimeSeconds: 1, unsaved: false }] });
  const html = renderPanel(viewOf(s, { kind: 'admin', name: 'root' }));
  t.notMatch(html, /<img/);
  t.match(html, /&lt;img src=x onerror=alert\(1\)&gt;/);
  t.match(html, /a&quot;b/);
  t.equal(escapeHtml(`<&>"'`), '&lt;&amp;&gt;&quot;&#39;');
});

t.test('off and missing: no peer network, no sensor, a closed store', async (t) => {
  const s = fixtureStatus({ peers: null, store: null, environments: [], health: { state: 'ready', reasons: [] } });
  s.board.temperatureC = null;
  s.board.disk = null;
  const html = renderPanel(viewOf(s, { kind: 'anonymous' }));
  t.match(html, /the peer network is off/);
  t.match(html, /unknown \(no thermal zone\)/);
  t.match(html, /none running/);
  t.match(html, /store<\/th><td id="store">closed/);
});

t.test('units', async (t) => {
  t.equal(formatBytes(0), '0 B');
  t.equal(formatBytes(1536), '1.5 KiB');
  t.equal(formatBytes(700 * 2 ** 20), '700 MiB');
  t.equal(formatBytes(2 ** 30), '1 GiB');
  t.equal(formatUptime(59), '00:00:59');
  t.equal(formatUptime(93784), '1d 02:03:04');
});

t.test('the store refusing writes and the last gc show on the disk card', async (t) => {
  const s = fixtureStatus();
  const calm = renderPanel(viewOf(s, { kind: 'anonymous' }));
  t.notMatch(calm, /id="store-refusing"/, 'nothing about refusing while the store accepts');
  t.match(calm, /<td id="gc">freed 1(\.0)? GiB at 13:00 UTC/);
  s.store!.refusing = true;
  s.gc = null;
  const full = renderPanel(viewOf(s, { kind: 'anonymous' }));
  t.match(full, /id="store-refusing"><strong class="warn">refused: free space is under the store reserve/);
  t.notMatch(full, /id="gc"/, 'no gc row before a run');
});
