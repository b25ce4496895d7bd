import t from 'tap';
import { parseEvent, type EventBody } from '../../../appliance/catalog/event.js';
import { apply, emptyState } from '../../../appliance/catalog/state.js';
import { canSee, nameMatcher, resolveName, userForKeyLine, visibleNames } from '../../../appliance/catalog/view.js';
import { keyLine } from './fixtures.js';

const root = (n: number) => `b3:${n.toString(16).padStart(2, '0').repeat(32)}`;
let seq = 0;
const s = emptyState();
const add = (body: EventBody) => apply(s, parseEvent({ origin: 'n', seq: ++seq, time: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString(), ...body }));
const user = (name: string, role: 'admin' | 'user' = 'user') => add({ type: 'user.add', payload: { name, role, keys: [] } });
const reg = (owner: string, name: string) => add({ type: 'name.register', payload: { owner, name, root: root(seq), comment: '', meta: {} } });
const grant = (owner: string, name: string, to: string) => add({ type: 'name.grant', payload: { owner, name, to } });
user('root', 'admin'); user('alice'); user('bob'); user('carol');
reg('alice', 'debian'); reg('alice', 'alpine'); reg('bob', 'debian'); reg('carol', 'debian'); reg('bob', 'secret'); reg('carol', 'arch');
grant('bob', 'debian', 'alice'); grant('carol', 'debian', 'alice'); grant('carol', 'arch', 'alice');

const names = (user: string, filter?: string) => visibleNames(s, user, filter).map((r) => `${r.owner}/${r.name}`);

t.test('a user sees their own names and those granted to them, newest first; admins see all', async (t) => {
  t.same(names('alice'), ['carol/arch', 'carol/debian', 'bob/debian', 'alice/alpine', 'alice/debian']);
  t.same(names('bob'), ['bob/secret', 'bob/debian']);
  t.same(names('root'), ['carol/arch', 'bob/secret', 'carol/debian', 'bob/debian', 'alice/alpine', 'alice/debian']);
  t.ok(canSee(s, 'alice', 'bob', 'debian'));
  t.notOk(canSee(s, 'alice', 'bob', 'secret'));
  t.notOk(canSee(s, 'nobody', 'alice', 'debian'));
  t.throws(() => visibleNames(s, 'nobody'), { code: 'COLONY_NOT_FOUND' });
});

t.test('filters: a substring, or a whole-name glob when it holds * or ?', async (t) => {
  t.same(names('alice', 'deb'), ['carol/debian', 'bob/debian', 'alice/debian']);
  t.same(names('alice', 'a*'), ['carol/arch', 'alice/alpine']);
  t.same(names('alice', 'a'), ['carol/arch', 'carol/debian', 'bob/debian', 'alice/alpine', 'alice/debian'], 'substring matches anywhere');
  t.same(names('alice', '?rch'), ['carol/arch']);
  t.same(names('alice', 'deb'), names('alice', '*deb*'));
  t.ok(nameMatcher('a.b*')('a.bc'));
  t.notOk(nameMatcher('a.b*')('axbc'), 'regex characters in a glob are literal');
  t.ok(nameMatcher('')('anything'));
  t.notOk(nameMatcher('x?')('x'));
});

t.test('resolve: own name first, then a unique granted one, or owner/name', async (t) => {
  t.equal(resolveName(s, 'alice', 'debian').owner, 'alice');
  t.equal(resolveName(s, 'alice', 'arch').owner, 'carol');
  t.equal(resolveName(s, 'alice', 'bob/debian').owner, 'bob');
  t.equal(resolveName(s, 'root', 'secret').owner, 'bob', 'an admin sees every name');
  t.throws(() => resolveName(s, 'bob', 'arch'), { code: 'COLONY_NOT_FOUND' });
  t.throws(() => resolveName(s, 'root', 'debian'), { code: 'COLONY_INVALID', message: /ambiguous \(alice\/debian, bob\/debian, carol\/debian\)/ });
});

t.test("another user's hidden name answers exactly like a missing one", async (t) => {
  const err = (text: string) => { try { resolveName(s, 'alice', text); } catch (e) { return (e as Error).message.replace(text, 'X'); } return 'resolved'; };
  t.equal(err('bob/secret'), err('bob/nothing'));
  t.equal(err('secret'), err('nothing'));
  t.match(err('bob/secret'), /COLONY_NOT_FOUND/);
});

t.test('a key held by exactly one live user finds that user', async (t) => {
  const k = keyLine('ed25519', '');
  add({ type: 'user.key', payload: { name: 'bob', key: k } });
  t.equal(userForKeyLine(s, k), 'bob');
  t.equal(userForKeyLine(s, `${k} other comment`), 'bob', 'the comment is not part of identity');
  add({ type: 'user.key', payload: { name: 'carol', key: k } });
  t.equal(userForKeyLine(s, k), undefined, 'a key two users hold matches nobody');
});
