import t from 'tap';
import { ColonyError, corruptBlock, exists, invalid, notFound, permission, type ErrorCode } from '../../../appliance/errors.js';
import { E, enameFor, errnoFor, errnoOf, errorFromEname, errorFromErrno, withErrno } from '../../../appliance/ninep/errno.js';

t.test('every error code has an errno, and the common ones are the POSIX answers', async (t) => {
  const codes: ErrorCode[] = ['COLONY_NOT_FOUND', 'COLONY_EXISTS', 'COLONY_NOT_EMPTY', 'COLONY_PERMISSION', 'COLONY_IS_DIRECTORY',
    'COLONY_NOT_DIRECTORY', 'COLONY_INVALID', 'COLONY_NO_SPACE', 'COLONY_CORRUPT_BLOCK', 'COLONY_TOO_LARGE', 'COLONY_UNSUPPORTED'];
  t.same(codes.map((c) => errnoOf[c]), [E.ENOENT, E.EEXIST, E.ENOTEMPTY, E.EACCES, E.EISDIR, E.ENOTDIR, E.EINVAL, E.ENOSPC, E.EIO, E.EFBIG, E.EOPNOTSUPP]);
  t.equal(errnoFor(notFound('x')), 2);
  t.equal(errnoFor(exists('x')), 17);
  t.equal(errnoFor(corruptBlock('s', 'here')), 5, 'a corrupt block is EIO');
  t.equal(errnoFor(new Error('bug')), E.EIO, 'anything unknown is EIO');
  t.equal(errnoFor(Object.assign(new Error('x'), { code: 'EXDEV' })), E.EXDEV, 'a passed-through system error keeps its errno');
});

t.test('a backend can name the exact errno: EPERM rather than EACCES, ELOOP, EXDEV', async (t) => {
  const e = withErrno(permission('not the owner'), 'EPERM');
  t.equal(errnoFor(e), E.EPERM);
  t.equal(e.code, 'COLONY_PERMISSION', 'the code is unchanged');
  t.equal(errnoFor(withErrno(invalid('loop'), E.ELOOP)), 40);
  t.equal(enameFor(e), 'operation not permitted');
  t.equal(enameFor(notFound('x')), 'file does not exist', 'Rerror strings are the Plan 9 ones');
});

t.test('the client turns errnos and strings back into codes', async (t) => {
  t.match(errorFromErrno(E.ENOENT, 'Twalk'), { code: 'COLONY_NOT_FOUND' });
  t.match(errorFromErrno(E.EIO, 'Tread'), { code: 'COLONY_IO' });
  t.equal(errnoFor(errorFromErrno(E.EPERM, 'x')), E.EPERM, 'and keep the errno');
  t.match(errorFromEname('directory not empty', 'Tremove'), { code: 'COLONY_NOT_EMPTY' });
  t.match(errorFromEname('unknown fid', 'Tclunk'), { code: 'COLONY_CLOSED' });
  t.match(errorFromEname('something odd', 'x'), { code: 'COLONY_IO' });
  t.ok(errorFromErrno(999, 'x') instanceof ColonyError);
});
