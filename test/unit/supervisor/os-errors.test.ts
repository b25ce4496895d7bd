// Expected OS errors become one line with the path or address and a remedy; bugs do not.
import t from 'tap';
import { ColonyError, fromSystemError } from '../../../appliance/errors.js';
import { errnoOf, explainOsError, isExpectedOsError, loggable, unwritableDataDir } from '../../../appliance/supervisor/os-errors.js';

const sys = (code: string, message: string) => Object.assign(new Error(message), { code });

t.test('as data', async (t) => {
  const cases: Array<[Error, string, RegExp]> = [
    [sys('EACCES', "EACCES: permission denied, open '/d/health.json'"), 'COLONY_PERMISSION', /^writing: EACCES: permission denied, open '\/d\/health.json'; give the user that runs colony write access/],
    [sys('EROFS', "EROFS: read-only file system, open '/d/x'"), 'COLONY_PERMISSION', /'\/d\/x'; the file system is read-only: mount it read-write/],
    [sys('ENOSPC', 'ENOSPC: no space left on device, write'), 'COLONY_NO_SPACE', /no space left on device, write; free some space on that disk/],
    [sys('EADDRINUSE', 'listen EADDRINUSE: address already in use 0.0.0.0:564'), 'COLONY_IO', /0\.0\.0\.0:564; another program listens there/],
    [sys('EADDRNOTAVAIL', 'listen EADDRNOTAVAIL: address not available 10.9.9.9:22'), 'COLONY_IO', /10\.9\.9\.9:22; this machine has no such address/],
  ];
  for (const [err, code, re] of cases) {
    const out = explainOsError(err, 'writing') as ColonyError;
    t.equal(out.code, code, err.message);
    t.match(out.detail, re);
    t.notMatch(out.message, /\n/, 'one line');
    t.equal(out.cause, err);
    t.ok(isExpectedOsError(err));
  }
});

t.test('a ColonyError keeps its code and gains the remedy once', async (t) => {
  const wrapped = fromSystemError(sys('EROFS', 'EROFS: read-only file system, mkdir /d/store'), 'creating /d/store');
  t.equal(errnoOf(wrapped), 'EROFS');
  const once = explainOsError(wrapped, 'opening the block store') as ColonyError;
  t.equal(once.code, 'COLONY_PERMISSION');
  t.match(once.detail, /^creating \/d\/store: EROFS.*mount it read-write/);
  t.equal(explainOsError(once, 'again'), once, 'not explained twice');
});

t.test("LevelDB's errors say the errno in text only", async (t) => {
  const io = Object.assign(new Error('IO error: /d/catalog/000001.dbtmp: No space left on device'), { code: 'LEVEL_IO_ERROR' });
  const notOpen = Object.assign(new Error('Database failed to open', { cause: io }), { code: 'LEVEL_DATABASE_NOT_OPEN' });
  const wrapped = fromSystemError(notOpen, 'opening the catalog /d/catalog');
  t.equal(errnoOf(wrapped), 'ENOSPC');
  const out = explainOsError(wrapped, 'opening the catalog') as ColonyError;
  t.equal(out.code, 'COLONY_NO_SPACE');
  t.equal(out.detail, 'opening the catalog /d/catalog: Database failed to open (IO error: /d/catalog/000001.dbtmp: No space left on device); free some space on that disk and start again');
  t.equal(errnoOf(Object.assign(new Error('Permission denied'), { code: 'SOMETHING_ELSE' })), undefined, 'only LevelDB text is read');
});

t.test('a port below 1024 without the right', async (t) => {
  const err = Object.assign(sys('EACCES', 'listen EACCES: permission denied 0.0.0.0:564'), { syscall: 'listen' });
  const out = explainOsError(err, 'listening for 9P on 0.0.0.0:564') as ColonyError;
  t.equal(out.code, 'COLONY_PERMISSION');
  t.match(out.detail, /^listening for 9P on 0\.0\.0\.0:564: listen EACCES: permission denied 0\.0\.0\.0:564; ports below 1024 need root or CAP_NET_BIND_SERVICE/);
  t.equal(loggable(err), 'listen EACCES: permission denied 0.0.0.0:564', 'logged without its stack');
  const bug = new Error('bug');
  t.equal(loggable(bug), bug);
});

t.test('anything else is left alone', async (t) => {
  const bug = new TypeError('x is undefined');
  t.equal(explainOsError(bug, 'starting'), bug);
  t.notOk(isExpectedOsError(bug));
  const eio = sys('EIO', 'EIO: i/o error');
  t.equal(explainOsError(eio, 'starting'), eio);
});

t.test('the data directory line', async (t) => {
  t.match(unwritableDataDir('/d', 'EROFS', 0).message, /^COLONY_PERMISSION: the data directory \/d is on a read-only file system: mount it read-write, or choose another with --data/);
  t.match(unwritableDataDir('/d', 'EACCES', 65534).message, /the data directory \/d is not writable by uid 65534 \(EACCES\): give that user write access/);
});
