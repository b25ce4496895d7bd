// The front panel's request rules as data: which POSTs count as same-origin, the cookie
// parsed and written, sessions expiring, bounded and ended per user.
import t from 'tap';
import { Sessions, cookieValue, parseWebAddress, sameOrigin, sessionCookie } from '../../../appliance/web/index.js';

t.test('same origin or not', async (t) => {
  const host = 'colony-ab12.local:8080';
  const cases: Array<[Record<string, string>, boolean, string]> = [
    [{ host, origin: 'http://colony-ab12.local:8080' }, true, 'its own origin'],
    [{ host, origin: 'http://evil.example' }, false, 'another site'],
    [{ host, origin: 'https://colony-ab12.local:8080' }, false, 'another scheme'],
    [{ host, origin: 'http://colony-ab12.local:8081' }, false, 'another port'],
    [{ host, origin: 'null' }, false, 'an opaque origin (sandboxed frame, file:)'],
    [{ origin: 'http://colony-ab12.local:8080' }, false, 'no Host to compare with'],
    [{ host, referer: 'http://colony-ab12.local:8080/' }, true, 'no Origin, its own Referer'],
    [{ host, referer: 'http://evil.example/x' }, false, 'no Origin, a foreign Referer'],
    [{ host, referer: 'not a url' }, false, 'a garbled Referer'],
    [{ host, 'sec-fetch-site': 'cross-site' }, false, 'Sec-Fetch-Site says cross-site'],
    [{ host, 'sec-fetch-site': 'same-origin' }, true, 'Sec-Fetch-Site says same-origin'],
    [{ host }, true, 'nothing said: not a browser (curl)'],
  ];
  for (const [headers, want, why] of cases) t.equal(sameOrigin(headers), want, why);
});

t.test('the cookie', async (t) => {
  t.equal(cookieValue('a=1; colony_session=abc; b=2', 'colony_session'), 'abc');
  t.equal(cookieValue('colony_sessionx=abc', 'colony_session'), undefined);
  t.equal(cookieValue(undefined, 'colony_session'), undefined);
  t.equal(sessionCookie('tok', 60), 'colony_session=tok; Path=/; HttpOnly; SameSite=Strict; Max-Age=60');
  t.match(sessionCookie('', 60), /Max-Age=0$/);
  t.notMatch(sessionCookie('tok', 60), /Secure/, 'not Secure: plain HTTP on the LAN');
});

t.test('sessions expire, are bounded and end per user', async (t) => {
  const s = new Sessions({ ttlMs: 1000, max: 2 });
  const a = s.create('alice', 0);
  t.match(a, /^[A-Za-z0-9_-]{43}$/, '32 random bytes');
  t.equal(s.user(a, 999), 'alice');
  t.equal(s.user(a, 1000), undefined, 'expired');
  t.equal(s.size, 0, 'and forgotten');
  const b = s.create('bob', 0);
  const c = s.create('carol', 0);
  const d = s.create('bob', 0);
  t.equal(s.user(b, 1), undefined, 'the oldest went to make room');
  t.equal(s.user(c, 1), 'carol');
  s.dropUser('bob');
  t.equal(s.user(d, 1), undefined, "bob's sessions ended");
  t.equal(s.user(c, 1), 'carol');
  s.drop(c);
  t.equal(s.user(c, 1), undefined);
  t.equal(s.user('made-up', 1), undefined);
});

t.test('listen addresses', async (t) => {
  t.same(parseWebAddress('127.0.0.1:8080'), { host: '127.0.0.1', port: 8080 });
  t.same(parseWebAddress(':80'), { host: '0.0.0.0', port: 80 });
  t.same(parseWebAddress('[::1]:0'), { host: '::1', port: 0 });
  t.throws(() => parseWebAddress('8080'), { code: 'COLONY_INVALID' });
  t.throws(() => parseWebAddress('h:99999'), { code: 'COLONY_INVALID' });
});
