// The first admin's one-time password is marked "must change" in the catalog: the mark
// rides on the password event (absent in older events, which read as before), survives a
// reopen, and the next ordinary password clears it; replicas agree in any order.
import t from 'tap';
import { Catalog } from '../../../appliance/catalog/index.js';
import { encodeEvent, parseEvent } from '../../../appliance/catalog/event.js';
import { apply, emptyState, snapshot } from '../../../appliance/catalog/state.js';
import { tmpDir } from '../../helpers/tmp.js';
import { fastScrypt } from './fixtures.js';

const HASH = 'scrypt$1024$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
const head = { origin: 'n1', seq: 1, time: '2026-01-02T03:04:05.678Z' };

t.test('the temporary field: true or absent, canonical, needs a hash', async (t) => {
  const add = parseEvent({ ...head, type: 'user.add', payload: { name: 'admin', role: 'admin', keys: [], passwordHash: HASH, temporary: true } });
  t.same(parseEvent(JSON.parse(encodeEvent(add).toString())), add, 'round-trips');
  t.match(add, { payload: { temporary: true } });
  const old = parseEvent({ ...head, type: 'user.password', payload: { name: 'admin', passwordHash: HASH } });
  t.notOk('temporary' in old.payload, 'an older event has no mark and gets none');
  t.throws(() => parseEvent({ ...head, type: 'user.password', payload: { name: 'a', passwordHash: HASH, temporary: false } }), /temporary/);
  t.throws(() => parseEvent({ ...head, type: 'user.add', payload: { name: 'a', role: 'user', keys: [], temporary: true } }), /needs a password/);
});

t.test('the latest password event decides, in any order', async (t) => {
  const events = [
    parseEvent({ ...head, type: 'user.add', payload: { name: 'admin', role: 'admin', keys: [], passwordHash: HASH, temporary: true } }),
    parseEvent({ ...head, seq: 2, time: '2026-01-02T03:04:06.000Z', type: 'user.password', payload: { name: 'admin', passwordHash: HASH } }),
  ];
  const a = emptyState();
  apply(a, events[0]!);
  t.equal(snapshot(a).users[0]?.passwordTemporary, true, 'marked after the add');
  apply(a, events[1]!);
  const b = emptyState();
  apply(b, events[1]!);
  apply(b, events[0]!);
  t.same(snapshot(a), snapshot(b));
  t.notOk('passwordTemporary' in snapshot(a).users[0]!, 'the ordinary password cleared it');
});

t.test('ensureAdmin marks the password; a new one clears the mark, across a reopen', async (t) => {
  const dir = await tmpDir(t);
  const c = await Catalog.open(dir, { nodeId: 'node-a', scrypt: fastScrypt });
  const first = await c.ensureAdmin();
  t.equal(c.mustChangePassword('admin'), true);
  t.equal(c.mustChangePassword('nobody'), false);
  await c.addUser({ name: 'alice', role: 'user', password: 'pw' });
  t.equal(c.mustChangePassword('alice'), false, 'an ordinary user is not marked');
  await c.close();
  const again = await Catalog.open(dir, { nodeId: 'node-a', scrypt: fastScrypt });
  t.teardown(() => again.close());
  t.equal(again.mustChangePassword('admin'), true, 'the mark is in the log');
  const seen: string[] = [];
  const stop = again.onPasswordChange((name) => seen.push(name));
  await again.setPassword('admin', 'a chosen one');
  t.equal(again.mustChangePassword('admin'), false);
  t.equal(await again.checkPassword('admin', first.password ?? ''), false, 'the one-time password is gone');
  t.same(seen, ['admin'], 'watchers hear of the change');
  await again.setPassword('alice', 'again', { temporary: true });
  t.equal(again.mustChangePassword('alice'), true, 'a password can be set one-time on purpose');
  stop();
  await again.setPassword('alice', 'mine');
  t.same(seen, ['admin', 'alice'], 'a stopped watcher hears nothing more');
});
