import t from 'tap';
import * as E from '../../appliance/errors.js';

t.test('every constructor gives a ColonyError with its stable code and a human message', async (t) => {
  const cases: Array<[E.ColonyError, E.ErrorCode, RegExp]> = [
    [E.notFound('block x'), 'COLONY_NOT_FOUND', /block x not found/],
    [E.exists('name debian'), 'COLONY_EXISTS', /name debian already exists/],
    [E.corruptBlock('b3:00', 'arena 0'), 'COLONY_CORRUPT_BLOCK', /does not match its score/],
    [E.corruptData('bad record'), 'COLONY_CORRUPT_DATA', /bad record/],
    [E.permission('not yours'), 'COLONY_PERMISSION', /not yours/],
    [E.invalid('bad name'), 'COLONY_INVALID', /bad name/],
    [E.tooLarge('too big'), 'COLONY_TOO_LARGE', /too big/],
    [E.closed('the store'), 'COLONY_CLOSED', /the store is closed/],
    [E.usage('wrong'), 'COLONY_USAGE', /wrong/],
    [E.unsupported('v9'), 'COLONY_UNSUPPORTED', /v9/],
    [E.internal('oops'), 'COLONY_INTERNAL', /oops/],
  ];
  for (const [err, code, msg] of cases) {
    t.ok(err instanceof E.ColonyError);
    t.equal(err.code, code);
    t.match(err.message, new RegExp(`^${code}: `));
    t.match(err.detail, msg);
    t.ok(E.isColonyError(err, code));
    t.notOk(E.isColonyError(err, code === 'COLONY_IO' ? 'COLONY_NOT_FOUND' : 'COLONY_IO'));
  }
  t.notOk(E.isColonyError(new Error('plain')));
});

t.test('system errors map to stable codes and keep their cause', async (t) => {
  const sys = (code: string) => Object.assign(new Error(`${code}: boom`), { code });
  const map: Array<[string, E.ErrorCode]> = [
    ['ENOSPC', 'COLONY_NO_SPACE'], ['EDQUOT', 'COLONY_NO_SPACE'], ['ENOENT', 'COLONY_NOT_FOUND'],
    ['EACCES', 'COLONY_PERMISSION'], ['EPERM', 'COLONY_PERMISSION'], ['EROFS', 'COLONY_PERMISSION'], ['EIO', 'COLONY_IO'],
  ];
  for (const [sysCode, code] of map) {
    const cause = sys(sysCode);
    const err = E.fromSystemError(cause, 'writing x');
    t.equal(err.code, code, sysCode);
    t.equal(err.cause, cause);
    t.match(err.detail, /^writing x: /);
  }
  const already = E.notFound('y');
  t.equal(E.fromSystemError(already, 'z'), already, 'a ColonyError passes through');
  t.equal(E.fromSystemError('string', 'z').code, 'COLONY_IO');
});
