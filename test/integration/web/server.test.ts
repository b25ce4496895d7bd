// The front panel's HTTP server in-process on a real socket, with a fixture status, a small
// account table and the SSH console's real FailureLimiter: the edges the system tests do
// not reach (HEAD, wrong methods, a large body, a session outliving its user or password,
// expiry, a failing status, and a lockout made on SSH holding on the web).
import t, { type Test } from 'tap';
import { FailureLimiter } from '../../../appliance/console/ssh/index.js';
import { WebServer, type NodeStatus } from '../../../appliance/web/index.js';
import { fixtureStatus } from '../../unit/web/fixture.js';
import { http, postForm, sessionFrom } from './http.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {}, child() { return quiet; } };

async function panel(t: Test, over: { status?: () => Promise<NodeStatus>; limiter?: FailureLimiter } = {}) {
  const users = new Map<string, { role: 'admin' | 'user'; password: string }>([['root', { role: 'admin', password: 'right' }], ['bob', { role: 'user', password: 'bobpw' }]]);
  let now = 1_000_000;
  const server = new WebServer({
    status: over.status ?? (async () => fixtureStatus()),
    accounts: { checkPassword: async (n, p) => users.get(n)?.password === p, roleOf: (n) => users.get(n)?.role },
    limiter: over.limiter ?? new FailureLimiter({ baseDelayMs: 0 }),
    log: quiet, sessions: { ttlMs: 60_000 }, now: () => now,
  });
  const { port } = await server.listen('127.0.0.1:0');
  t.teardown(() => server.close());
  const base = `http://127.0.0.1:${port}`;
  const login = async (user: string, password: string) => sessionFrom(await postForm(base, '/login', { user, password }))!;
  const viewer = async (cookie: string) => (JSON.parse((await http(`${base}/api/status`, { headers: { Cookie: cookie } })).body) as { viewer: { kind: string } }).viewer.kind;
  return { server, base, users, login, viewer, tick: (ms: number) => { now += ms; } };
}

t.test('methods, HEAD and a body too large', async (t) => {
  const { base } = await panel(t);
  const head = await http(`${base}/`, { method: 'HEAD' });
  t.equal(head.status, 200);
  t.equal(head.body, '');
  t.equal(head.headers['x-frame-options'], 'DENY');
  t.equal((await http(`${base}/login`)).status, 405, 'GET /login');
  t.equal((await http(`${base}/metrics`, { method: 'POST', headers: { Origin: base } })).status, 405);
  const big = await postForm(base, '/login', { user: 'root', password: 'x'.repeat(5000) });
  t.equal(big.status, 413);
  t.equal((await postForm(base, '/login', { user: 'root' })).status, 400, 'no password');
  t.equal((await http(`${base}/app.css`)).headers['content-type'], 'text/css; charset=utf-8');
});

t.test('a session ends with its expiry, its user, a new password, or logout', async (t) => {
  const p = await panel(t);
  const a = await p.login('root', 'right');
  t.equal(await p.viewer(a), 'admin');
  p.tick(60_000);
  t.equal(await p.viewer(a), 'anonymous', 'expired');
  const b = await p.login('bob', 'bobpw');
  t.equal(await p.viewer(b), 'user');
  p.users.get('bob')!.role = 'admin';
  t.equal(await p.viewer(b), 'admin', 'the role is read at each request');
  p.server.forgetUser('bob');
  t.equal(await p.viewer(b), 'anonymous', 'a new password ends it');
  const c = await p.login('bob', 'bobpw');
  p.users.delete('bob');
  t.equal(await p.viewer(c), 'anonymous', 'a removed user is nobody');
});

t.test('a lockout made on SSH holds on the web (one limiter, the same keys)', async (t) => {
  const limiter = new FailureLimiter({ baseDelayMs: 0, lockAfter: 2 });
  const p = await panel(t, { limiter });
  for (let i = 0; i < 2; i++) {
    const a = limiter.begin(['addr:10.9.9.9', 'user:root'], Date.now());
    if (a.ok) limiter.settle(a.ticket, false, Date.now());
  }
  const r = await postForm(p.base, '/login', { user: 'root', password: 'right' });
  t.equal(r.status, 429, 'root is locked out by user name');
  t.match(r.body, /too many failed logins for root/);
  t.equal(sessionFrom(r), undefined);
});

t.test('a status that cannot be built answers 500, and the server goes on', async (t) => {
  let fail = true;
  const p = await panel(t, { status: async () => { if (fail) throw new Error('store closed'); return fixtureStatus(); } });
  t.equal((await http(`${p.base}/`)).status, 500);
  fail = false;
  t.equal((await http(`${p.base}/`)).status, 200);
});
