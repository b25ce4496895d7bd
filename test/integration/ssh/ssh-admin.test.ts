// Commands for admins only: users, node and shutdown. A plain user is refused them.
import t from 'tap';
import { ssh, sshWorld } from './helpers.js';

t.test('a plain user is refused the admin commands', async (t) => {
  const w = await sshWorld(t);
  for (const cmd of [['users', 'list'], ['users', 'add', 'eve'], ['users', 'remove', 'bob'], ['node'], ['shutdown']]) {
    const r = await ssh(w, 'alice', cmd);
    t.equal(r.code, 1, `${cmd.join(' ')} fails`);
    t.match(r.stderr, new RegExp(`'${cmd[0]}' is for admins`));
  }
  t.same(w.shutdowns, [], 'nothing was shut down');
  t.same(w.catalog.listUsers().map((u) => u.name), ['alice', 'bob', 'root'], 'nothing changed');
});

t.test('an admin lists, adds and removes users', async (t) => {
  const w = await sshWorld(t);
  const list = await ssh(w, 'root', ['users', 'list']);
  t.equal(list.code, 0, list.stderr);
  t.match(list.stdout, /^alice\s+user\s+keys 1\s+password yes\n/m);
  t.match(list.stdout, /^root\s+admin/m);
  const add = await ssh(w, 'root', ['users', 'add', 'carol', '--json']);
  t.equal(add.code, 0, add.stderr);
  const { result } = JSON.parse(add.stdout) as { result: { name: string; role: string; password: string } };
  t.equal(result.role, 'user');
  const carol = await ssh(w, 'carol', ['whoami'], { password: result.password });
  t.equal(carol.stdout, 'carol (user)\n', 'the first password shown once logs carol in');
  const admin = await ssh(w, 'root', ['users', 'add', 'dave', '--admin']);
  t.match(admin.stdout, /^added admin dave; first password: \S+/);
  t.equal(w.catalog.getUser('dave').role, 'admin');
  const self = await ssh(w, 'root', ['users', 'remove', 'root']);
  t.equal(self.code, 1, 'an admin cannot remove themself');
  const rm = await ssh(w, 'root', ['users', 'remove', 'carol']);
  t.equal(rm.code, 0, rm.stderr);
  t.equal((await ssh(w, 'carol', ['whoami'], { password: result.password })).code === 0, false, 'a removed user cannot log in');
  const dup = await ssh(w, 'root', ['users', 'add', 'alice']);
  t.equal(dup.code, 1);
  t.match(dup.stderr, /already exists/);
});

t.test('node and shutdown', async (t) => {
  const w = await sshWorld(t, { node: { version: '9.9.9' } });
  const node = await ssh(w, 'root', ['node', '--json']);
  t.equal(node.code, 0, node.stderr);
  const n = JSON.parse(node.stdout) as { result: { id: string; version: string; uptimeMs: number } };
  t.equal(n.result.id, 'node-ssh');
  t.equal(n.result.version, '9.9.9');
  t.ok(n.result.uptimeMs >= 0);
  const down = await ssh(w, 'root', ['shutdown']);
  t.equal(down.code, 0, down.stderr);
  t.equal(down.stdout, 'shutting down\n');
  for (let i = 0; i < 100 && w.shutdowns.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
  t.same(w.shutdowns, ['root'], 'onShutdown is called with the admin');
});
