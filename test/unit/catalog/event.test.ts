import t from 'tap';
import {
  decodeEventKey, describeKey, encodeEvent, eventKey, originRange, parseEvent, type CatalogEvent,
} from '../../../appliance/catalog/event.js';
import { keyLine } from './fixtures.js';

const HASH = 'scrypt$1024$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
const ROOT = `b3:${'ab'.repeat(32)}`;
const head = { origin: 'n1', seq: 1, time: '2026-01-02T03:04:05.678Z' };

t.test('every event type parses into canonical form and round-trips through its encoding', async (t) => {
  const key = keyLine('ed25519', 'c');
  const events: unknown[] = [
    { ...head, type: 'user.add', payload: { name: 'alice', role: 'admin', keys: [key], passwordHash: HASH } },
    { ...head, type: 'user.add', payload: { name: 'bob', role: 'user', keys: [] } },
    { ...head, type: 'user.remove', payload: { name: 'bob' } },
    { ...head, type: 'user.password', payload: { name: 'alice', passwordHash: HASH } },
    { ...head, type: 'user.key', payload: { name: 'alice', key } },
    { ...head, type: 'name.register', payload: { owner: 'alice', name: 'debian', root: ROOT, comment: 'hi', meta: { b: '1', a: '2' } } },
    { ...head, type: 'name.grant', payload: { owner: 'alice', name: 'debian', to: 'bob' } },
  ];
  for (const raw of events) {
    const e = parseEvent(raw);
    t.same(parseEvent(JSON.parse(encodeEvent(e).toString())), e, e.type);
    t.same(encodeEvent(parseEvent({ ...e, extra: 1, payload: { ...e.payload, junk: true } })), encodeEvent(e), 'extra fields are dropped');
  }
  const reg = parseEvent(events[5]);
  t.same(Object.keys(reg.type === 'name.register' ? reg.payload.meta : {}), ['a', 'b']);
});

t.test('bad events are refused with the field that is wrong', async (t) => {
  const ok = { ...head, type: 'name.grant', payload: { owner: 'alice', name: 'debian', to: 'bob' } };
  const cases: Array<[unknown, RegExp]> = [
    [null, /must be an object/],
    [{ ...ok, origin: 'a b' }, /node id/],
    [{ ...ok, seq: 0 }, /seq/],
    [{ ...ok, seq: 1.5 }, /seq/],
    [{ ...ok, seq: '1' }, /seq/],
    [{ ...ok, time: '2026-01-02' }, /time/],
    [{ ...ok, time: '2026-02-30T00:00:00.000Z' }, /time/],
    [{ ...ok, type: 'user.teleport' }, /unknown event type/],
    [{ ...ok, payload: [] }, /payload/],
    [{ ...ok, payload: { ...ok.payload, to: 'B' } }, /user name/],
    [{ ...ok, type: 'user.add', payload: { name: 'x', role: 'root', keys: [] } }, /role/],
    [{ ...ok, type: 'user.add', payload: { name: 'x', role: 'user', keys: 'k' } }, /keys/],
    [{ ...ok, type: 'user.add', payload: { name: 'x', role: 'user', keys: [], passwordHash: 'hunter2' } }, /passwordHash/],
    [{ ...ok, type: 'user.key', payload: { name: 'x', key: `${keyLine('ed25519', '')}  two  spaces` } }, /normal form/],
    [{ ...ok, type: 'name.register', payload: { owner: 'a', name: 'n', root: 'b3:00', comment: '', meta: {} } }, /root/],
    [{ ...ok, type: 'name.register', payload: { owner: 'a', name: 'n', root: ROOT.toUpperCase(), comment: '', meta: {} } }, /root/],
    [{ ...ok, type: 'name.register', payload: { owner: 'a', name: 'a/b', root: ROOT, comment: '', meta: {} } }, /'\/'/],
  ];
  cases.forEach(([raw, msg], i) => t.throws(() => parseEvent(raw), { code: 'COLONY_INVALID', message: msg }, `case ${i}`));
});

t.test('event keys sort by origin then numerically by seq, and decode back', async (t) => {
  const keys = [eventKey('a', 1), eventKey('a', 2), eventKey('a', 256), eventKey('a', 2 ** 40), eventKey('ab', 1), eventKey('b', 1)];
  const sorted = [...keys].sort(Buffer.compare);
  t.same(sorted, keys);
  t.same(decodeEventKey(eventKey('node:x', 2 ** 53 - 1)), { origin: 'node:x', seq: 2 ** 53 - 1 });
  t.match(decodeEventKey(Buffer.from([0, 1, 2])), /not an event key/);
  const zero = eventKey('a', 1); zero.writeBigUInt64BE(0n, zero.length - 8);
  t.match(decodeEventKey(zero), /out of range/);
  t.match(describeKey(eventKey('n1', 7)), /^event n1#7 \(key 016e3100/);
});

t.test("one origin's range never reaches into an origin that extends its name", async (t) => {
  const r = originRange('ab', 1);
  const inside = (k: Buffer) => Buffer.compare(k, r.gt) > 0 && Buffer.compare(k, r.lt) < 0;
  t.notOk(inside(eventKey('ab', 1)), 'after seq 1 means seq 1 is excluded');
  t.ok(inside(eventKey('ab', 2)));
  t.ok(inside(eventKey('ab', 2 ** 50)));
  t.notOk(inside(eventKey('abc', 5)));
  t.notOk(inside(eventKey('a', 5)));
  t.notOk(inside(eventKey('ab-', 5)));
});

t.test('encoding is deterministic: the same event is the same bytes', async (t) => {
  const e: CatalogEvent = { ...head, type: 'user.remove', payload: { name: 'bob' } };
  t.equal(encodeEvent(e).toString(), '{"origin":"n1","seq":1,"time":"2026-01-02T03:04:05.678Z","type":"user.remove","payload":{"name":"bob"}}');
});
