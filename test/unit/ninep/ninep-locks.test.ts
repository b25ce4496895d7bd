import t from 'tap';
import { LOCK_TYPE_RDLCK as RD, LOCK_TYPE_UNLCK as UN, LOCK_TYPE_WRLCK as WR } from '../../../appliance/ninep/constants.js';
import { LockTable } from '../../../appliance/ninep/locks.js';

const req = (owner: string, type: number, start: number, length: number) => ({ owner, type, start, length, procId: 1, clientId: owner });

t.test('read locks share, write locks exclude, length 0 means to the end', async (t) => {
  const l = new LockTable();
  t.ok(l.set('f', req('a', RD, 0, 10)));
  t.ok(l.set('f', req('b', RD, 5, 10)), 'two readers');
  t.notOk(l.set('f', req('c', WR, 9, 1)), 'a writer conflicts');
  t.ok(l.set('f', req('c', WR, 15, 0)), 'after both ranges');
  t.notOk(l.set('f', req('a', RD, 1000, 1)), 'length 0 reaches to the end');
  t.ok(l.set('g', req('a', WR, 0, 0)), 'other files are independent');
  t.match(l.conflict('f', 'z', WR, 0, 1), { owner: 'a' });
  t.equal(l.conflict('f', 'a', WR, 0, 1), undefined, 'an owner never conflicts with itself');
});

t.test('unlocking part of a range keeps the rest; owners go all at once', async (t) => {
  const l = new LockTable();
  l.set('f', req('s1/a', WR, 0, 100));
  t.ok(l.set('f', req('s1/a', UN, 40, 20)));
  t.equal(l.size, 2, 'split in two');
  t.ok(l.set('f', req('s2/b', WR, 45, 10)), 'the hole is free');
  t.notOk(l.set('f', req('s2/b', WR, 30, 1)));
  t.ok(l.set('f', req('s1/a', RD, 0, 40)), 'an owner may convert its own lock');
  t.notOk(l.set('f', req('s2/b', WR, 0, 1)));
  l.releaseOwners('s1/');
  t.equal(l.size, 1);
  t.ok(l.set('f', req('s2/b', WR, 0, 0)));
});
