import t from 'tap';
import { keyBlob, keyLine } from '../../unit/catalog/fixtures.js';
import { openCatalog } from './helpers.js';

t.test('users are added, listed, read and removed', async (t) => {
  const { catalog } = await openCatalog(t);
  const k = keyLine('ed25519', 'alice@laptop');
  const alice = await catalog.addUser({ name: 'alice', role: 'admin', password: 'pw-alice', keys: [k] });
  t.equal(alice.name, 'alice');
  t.equal(alice.role, 'admin');
  t.equal(alice.hasPassword, true);
  t.equal(alice.keys.length, 1);
  t.equal(alice.keys[0]?.comment, 'alice@laptop');
  t.match(alice.keys[0]?.fingerprint, /^SHA256:/);
  await catalog.addUser({ name: 'bob', role: 'user' });
  t.same(catalog.listUsers().map((u) => [u.name, u.role, u.hasPassword]), [['alice', 'admin', true], ['bob', 'user', false]]);
  await catalog.removeUser('bob');
  t.same(catalog.listUsers().map((u) => u.name), ['alice']);
  t.throws(() => catalog.getUser('bob'), { code: 'COLONY_NOT_FOUND', message: /user 'bob'/ });
  const again = await catalog.addUser({ name: 'bob', role: 'user' });
  t.equal(again.hasPassword, false, 'a user added again starts afresh');
});

t.test('bad and duplicate users are refused before anything is written', async (t) => {
  const { catalog } = await openCatalog(t);
  await catalog.addUser({ name: 'alice', role: 'user' });
  const before = catalog.stats().events;
  await t.rejects(catalog.addUser({ name: 'alice', role: 'user' }), { code: 'COLONY_EXISTS', message: /user 'alice'/ });
  await t.rejects(catalog.addUser({ name: 'Alice', role: 'user' }), { code: 'COLONY_INVALID' });
  await t.rejects(catalog.addUser({ name: 'carl', role: 'root' as 'user' }), { code: 'COLONY_INVALID', message: /role/ });
  await t.rejects(catalog.addUser({ name: 'carl', role: 'user', password: '' }), { code: 'COLONY_INVALID' });
  await t.rejects(catalog.addUser({ name: 'carl', role: 'user', keys: ['ssh-ed25519 AAAA'] }), { code: 'COLONY_INVALID' });
  const k = keyLine();
  await t.rejects(catalog.addUser({ name: 'carl', role: 'user', keys: [k, k] }), { code: 'COLONY_INVALID', message: /twice/ });
  await t.rejects(catalog.removeUser('ghost'), { code: 'COLONY_NOT_FOUND' });
  await t.rejects(catalog.setPassword('ghost', 'x'), { code: 'COLONY_NOT_FOUND' });
  await t.rejects(catalog.addKey('ghost', keyLine()), { code: 'COLONY_NOT_FOUND' });
  t.equal(catalog.stats().events, before, 'no refused change wrote an event');
  t.same(await catalog.eventsSince({ 'node-a': before }), []);
});

t.test('passwords: checked in constant time, hashed in the log, changeable', async (t) => {
  const { catalog } = await openCatalog(t);
  await catalog.addUser({ name: 'alice', role: 'user', password: 'first secret' });
  await catalog.addUser({ name: 'bob', role: 'user' });
  t.equal(await catalog.checkPassword('alice', 'first secret'), true);
  t.equal(await catalog.checkPassword('alice', 'First secret'), false);
  t.equal(await catalog.checkPassword('bob', ''), false, 'a user with no password never passes');
  t.equal(await catalog.checkPassword('ghost', 'first secret'), false);
  t.equal(await catalog.checkPassword('NOT A NAME', 'x'), false, 'a malformed name is just a failed login');
  await catalog.setPassword('alice', 'second secret');
  t.equal(await catalog.checkPassword('alice', 'first secret'), false);
  t.equal(await catalog.checkPassword('alice', 'second secret'), true);
  const events = JSON.stringify(await catalog.eventsSince({}));
  t.notOk(events.includes('secret'), 'no event holds a password in clear');
  t.match(events, /scrypt\$/);
  await catalog.removeUser('alice');
  t.equal(await catalog.checkPassword('alice', 'second secret'), false, 'a removed user cannot log in');
});

t.test('keys: validated, normalized, one owner each, found by blob or line', async (t) => {
  const { catalog } = await openCatalog(t);
  await catalog.addUser({ name: 'alice', role: 'user' });
  await catalog.addUser({ name: 'bob', role: 'user' });
  const blob = keyBlob('ecdsa256');
  const line = `ecdsa-sha2-nistp256   ${blob.toString('base64')}  alice@pc `;
  const info = await catalog.addKey('alice', line);
  t.equal(info.line, `ecdsa-sha2-nistp256 ${blob.toString('base64')} alice@pc`);
  t.equal(catalog.userForKey(blob), 'alice');
  t.equal(catalog.userForKey(line), 'alice');
  t.equal(catalog.userForKey(keyBlob()), undefined, 'an unknown key');
  t.equal(catalog.userForKey(Buffer.from('garbage')), undefined, 'an unparsable blob from a client matches nobody');
  t.throws(() => catalog.userForKey('not a key'), { code: 'COLONY_INVALID' });
  await t.rejects(catalog.addKey('alice', line), { code: 'COLONY_EXISTS', message: /key SHA256:/ });
  await t.rejects(catalog.addKey('bob', `ecdsa-sha2-nistp256 ${blob.toString('base64')} other comment`), { code: 'COLONY_EXISTS' });
  await t.rejects(catalog.addUser({ name: 'carl', role: 'user', keys: [line] }), { code: 'COLONY_EXISTS' });
  await t.rejects(catalog.addKey('bob', `ssh-rsa ${keyBlob().toString('base64')}`), { code: 'COLONY_INVALID', message: /inside is 'ssh-ed25519'/ });
  await catalog.removeUser('alice');
  t.equal(catalog.userForKey(blob), undefined, "a removed user's keys no longer log in");
  await catalog.addKey('bob', line);
  t.equal(catalog.userForKey(blob), 'bob', 'and the key is free again');
});

t.test('the last admin cannot be removed', async (t) => {
  const { catalog } = await openCatalog(t);
  await catalog.addUser({ name: 'root', role: 'admin' });
  await catalog.addUser({ name: 'alice', role: 'user' });
  await t.rejects(catalog.removeUser('root'), { code: 'COLONY_PERMISSION', message: /last admin/ });
  await catalog.addUser({ name: 'boss', role: 'admin' });
  await catalog.removeUser('root');
  t.same(catalog.listUsers().map((u) => u.name), ['alice', 'boss']);
});

t.test('concurrent adds of one user: exactly one wins', async (t) => {
  const { catalog } = await openCatalog(t);
  const results = await Promise.allSettled([1, 2, 3].map(() => catalog.addUser({ name: 'dup', role: 'user', password: 'p' })));
  t.same(results.map((r) => r.status).sort(), ['fulfilled', 'rejected', 'rejected']);
  t.equal(catalog.stats().events, 1);
});
