// `colony console` with piped input: replies only (no prompt), one per command, errors as
// `error: …` lines, exit status 1 when a command failed.
import t from 'tap';
import { consoleRun, seededData } from './helpers.js';

t.test('a whole session as alice', async (t) => {
  const data = await seededData(t);
  const r = await consoleRun(data, ['--user', 'alice'], [
    'help',
    'scores',
    'spawn debian',
    'spawn debian',
    'status',
    'save debian debian-dev',
    'invite bob debian',
    'boom debian',
    'boom debian',
    'status',
    'spawn nonesuch',
    'frobnicate',
    'exit',
    'status',
  ]);
  const out = r.stdout.toString();
  t.equal(r.code, 1, 'a command failed');
  t.notMatch(out, /colony> /, 'no prompt when piped');
  t.match(out, /^commands:\n/);
  t.match(out, /^alice\/debian\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+b3:/m);
  t.match(out, /^spawned debian \(ram cache, 100\.0 MiB\) from alice\/debian b3:/m);
  t.match(out, /^aname: env\/debian\/[A-Za-z0-9_-]{32}$/m);
  t.match(out, /^mount: mount -t 9p -o trans=tcp,port=564,version=9p2000\.L,access=user,aname=env\/debian\/\S+ HOST \/mnt$/m);
  t.match(out, /^error: debian is running; spawn it as debian-2 with `spawn debian as debian-2`$/m);
  t.match(out, /^debian\s+alice\s+alice\/debian\s+ram\s+/m);
  t.match(out, /^saved debian as alice\/debian-dev \(b3:[0-9a-f]{64}\); debian keeps running on it$/m);
  t.match(out, /^invited bob into debian: added to \/etc\/passwd as uid 1001, in group sudo; saved as bob\/debian, which only bob sees$/m);
  t.match(out, /^boomed debian\nwarning: debian had unsaved changes/m, 'the invite edited /etc/passwd after the save');
  t.match(out, /^error: environment debian not found$/m);
  t.match(out, /^no environments running$/m);
  t.match(out, /^error: name 'nonesuch' not found$/m);
  t.match(out, /^error: unknown command 'frobnicate' \(type help for the list\)$/m);
  t.equal((out.match(/no environments running/g) ?? []).length, 1, 'nothing runs after exit');

  const bob = await consoleRun(data, ['--user', 'bob'], ['scores', 'spawn debian', 'status']);
  t.equal(bob.code, 0, bob.stderr);
  const bobOut = bob.stdout.toString();
  t.match(bobOut, /^bob\/debian\s/m, 'bob sees his invitation');
  t.notMatch(bobOut, /alice\/debian/, 'but not alice’s names');
  t.match(bobOut, /^spawned debian \(ram cache, 100\.0 MiB\) from bob\/debian/m);
  const alice = await consoleRun(data, ['--user', 'alice'], ['scores']);
  t.notMatch(alice.stdout.toString(), /bob\//, 'alice does not see bob’s copy');
});

t.test('the default user is the admin; --json gives one object per command', async (t) => {
  const data = await seededData(t);
  const r = await consoleRun(data, ['--json'], ['spawndisk alice/plain as p', 'status', 'boom nope', '# a comment', '']);
  t.equal(r.code, 1);
  const replies = r.stdout.toString().trim().split('\n').map((l) => JSON.parse(l) as { command: string; ok: boolean; result?: Record<string, unknown>; error?: string; message?: string });
  t.same(replies.map((x) => [x.command, x.ok]), [['spawndisk alice/plain as p', true], ['status', true], ['boom nope', false]]);
  t.equal((replies[0]?.result?.env as { owner: string }).owner, 'admin');
  t.same(replies[2], { command: 'boom nope', ok: false, error: 'COLONY_NOT_FOUND', message: 'environment nope not found' }, 'the one JSON form of a failure, as over SSH');
});

t.test('an unknown --user is refused', async (t) => {
  const data = await seededData(t);
  const r = await consoleRun(data, ['--user', 'mallory'], ['status']);
  t.equal(r.code, 1);
  t.match(r.stderr, /user 'mallory' not found/);
});

t.test('a fresh data directory: the first admin is made and its password shown once', async (t) => {
  const { tmpDir } = await import('../../helpers/tmp.js');
  const data = await tmpDir(t);
  const r = await consoleRun(data, [], ['status', 'scores']);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stderr, /created the first admin user 'admin'; its one-time password is in \S+first-admin-password/);
  t.notMatch(r.stderr, /one-time password: /, 'piped standard error never holds the password');
  t.equal(r.stdout.toString(), 'no environments running\nno names\n');
  const again = await consoleRun(data, [], ['status']);
  t.notMatch(again.stderr, /one-time password/);
});
