// Every grid verb over SSH against the real interpreter and grid: the happy path (exit 0,
// the grid's text) and the error path (exit 1, `error: …` on stderr).
import t, { type Test } from 'tap';
import { gridInterpreter } from '../../../appliance/console/ssh/index.js';
import { openWorld } from '../grid/helpers.js';
import { ssh, sshWorld, type SshResult, type SshWorld } from './helpers.js';

async function setup(t: Test) {
  const grid = await openWorld(t);
  const w = await sshWorld(t, { catalog: grid.catalog, interpreter: gridInterpreter(grid.grid) });
  return { grid, w };
}
const ok = (t: Test, r: SshResult, what: string) => t.equal(r.code, 0, `${what}: ${r.stderr}`);
const fails = (t: Test, r: SshResult, what: string) => {
  t.equal(r.code, 1, `${what} exits 1`);
  t.match(r.stderr, /^error: /, `${what} says why on stderr`);
  t.equal(r.stdout, '', `${what} prints nothing on stdout`);
};
const as = (w: SshWorld, user: string, ...words: string[]) => ssh(w, user, words);

t.test('scores', async (t) => {
  const { w } = await setup(t);
  const r = await as(w, 'alice', 'scores');
  ok(t, r, 'scores');
  t.match(r.stdout, /alice\/debian/);
  t.match(r.stdout, /alice\/plain/);
  const f = await as(w, 'alice', 'scores', 'deb');
  t.notMatch(f.stdout, /plain/, 'a filter');
  fails(t, await as(w, 'alice', 'scores', 'a', 'b'), 'scores with two filters');
});

t.test('spawn and spawndisk', async (t) => {
  const { grid, w } = await setup(t);
  const r = await as(w, 'alice', 'spawn', 'debian', '--json');
  ok(t, r, 'spawn');
  const reply = JSON.parse(r.stdout) as { ok: boolean; output: string; result: { mount: string; token: string } };
  t.ok(reply.ok);
  t.match(reply.output, `mount: ${reply.result.mount}`, 'the mount line with its token');
  t.equal(grid.grid.status('alice')[0]?.aname, `env/debian/${reply.result.token}`);
  ok(t, await as(w, 'alice', 'spawndisk', 'plain', 'as', 'p2'), 'spawndisk');
  t.same(grid.grid.status('alice').map((e) => [e.name, e.kind]).sort(), [['debian', 'ram'], ['p2', 'disk']]);
  fails(t, await as(w, 'alice', 'spawn', 'nosuch'), 'spawn of an unknown name');
  fails(t, await as(w, 'alice', 'spawn', 'debian'), 'spawn of a running name');
  fails(t, await as(w, 'alice', 'spawndisk'), 'spawndisk without a name');
});

t.test('save and savedisk', async (t) => {
  const { grid, w } = await setup(t);
  ok(t, await as(w, 'alice', 'spawn', 'debian'), 'spawn');
  const r = await as(w, 'alice', 'save', 'debian', 'debian-dev');
  ok(t, r, 'save');
  t.match(r.stdout, /^saved debian as alice\/debian-dev \(b3:[0-9a-f]{64}\)/);
  ok(t, await as(w, 'alice', 'savedisk', 'debian', 'debian-dev2'), 'savedisk');
  t.same(grid.grid.scores('alice', 'dev').map((n) => n.name).sort(), ['debian-dev', 'debian-dev2']);
  fails(t, await as(w, 'alice', 'save', 'debian', 'debian-dev'), 'save over an existing name');
  fails(t, await as(w, 'alice', 'save', 'nosuch', 'x'), 'save of an environment that is not running');
  fails(t, await as(w, 'bob', 'save', 'debian', 'mine'), "save of someone else's environment");
});

t.test('invite', async (t) => {
  const { w } = await setup(t);
  ok(t, await as(w, 'alice', 'spawn', 'debian'), 'spawn');
  const r = await as(w, 'alice', 'invite', 'bob', 'debian');
  ok(t, r, 'invite');
  t.match(r.stdout, /^invited bob into debian/);
  t.match((await as(w, 'bob', 'scores')).stdout, /debian/, 'bob now sees the invited snapshot');
  fails(t, await as(w, 'alice', 'invite', 'nobody', 'debian'), 'invite of an unknown user');
  fails(t, await as(w, 'bob', 'invite', 'carol', 'debian'), "invite into someone else's environment");
});

t.test('boom and status', async (t) => {
  const { w } = await setup(t);
  const none = await as(w, 'alice', 'status');
  ok(t, none, 'status');
  t.equal(none.stdout, 'no environments running\n');
  ok(t, await as(w, 'alice', 'spawn', 'debian'), 'spawn');
  const st = await as(w, 'alice', 'status');
  t.match(st.stdout, /^debian: mount -t 9p /m, 'status shows how to mount');
  fails(t, await as(w, 'alice', 'status', 'x'), 'status with an argument');
  fails(t, await as(w, 'bob', 'boom', 'debian'), "boom of someone else's environment");
  const b = await as(w, 'alice', 'boom', 'debian');
  ok(t, b, 'boom');
  t.equal(b.stdout, 'boomed debian\n');
  fails(t, await as(w, 'alice', 'boom', 'debian'), 'boom of an environment that is not running');
});

t.test('help, exit and unknown commands', async (t) => {
  const { w } = await setup(t);
  const h = await as(w, 'alice', 'help', 'spawn');
  ok(t, h, 'help spawn');
  t.match(h.stdout, /^spawn NAME/);
  fails(t, await as(w, 'alice', 'help', 'nosuch'), 'help on an unknown verb');
  const e = await as(w, 'alice', 'exit');
  t.same({ code: e.code, stdout: e.stdout }, { code: 0, stdout: '' });
  fails(t, await as(w, 'alice', 'frobnicate'), 'an unknown command');
});
