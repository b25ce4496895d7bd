// The interpreter against a fake grid: which verb is called with what, and what is shown.
import t from 'tap';
import { run, type GridVerbs } from '../../../appliance/console/interpreter.js';
import { permission } from '../../../appliance/errors.js';

const root = Buffer.alloc(32, 1);
const rec = (owner: string, name: string) => ({ owner, name, root, created: '2026-11-21T10:00:00.000Z', origin: 'n', comment: 'c', meta: {} });
const info = (name: string, owner: string, mine: boolean) => ({
  name, owner, kind: 'ram' as const, base: { owner, name, root: `b3:${'01'.repeat(32)}` }, head: `b3:${'01'.repeat(32)}`,
  cache: { used: 2048, size: 100 << 20 }, dirtyBytes: 1024, clients: 2, started: '2026-11-21T10:00:00.000Z', uptimeMs: 3_725_000, unsaved: true,
  ...(mine ? { aname: `env/${name}/TOKEN`, mount: `mount … aname=env/${name}/TOKEN HOST /mnt` } : {}),
});

function fake() {
  const calls: unknown[][] = [];
  const grid: GridVerbs = {
    scores: (...a) => { calls.push(['scores', ...a]); return [rec('alice', 'debian')]; },
    spawn: async (...a) => { calls.push(['spawn', ...a]); return { env: info('debian', 'alice', true), token: 'TOKEN', aname: 'env/debian/TOKEN', mount: 'mount -t 9p … /mnt' }; },
    save: async (...a) => { calls.push(['save', ...a]); return rec('alice', 'debian-dev'); },
    invite: async (...a) => { calls.push(['invite', ...a]); return { record: rec('bob', 'debian'), via: 'passwd', uid: 1001, sysGroup: 'sudo' }; },
    boom: async (...a) => { calls.push(['boom', ...a]); return { name: 'debian', unsaved: true, warning: 'debian had unsaved changes; they are gone' }; },
    status: (...a) => { calls.push(['status', ...a]); return [info('debian', 'alice', true), info('other', 'bob', false)]; },
  } as GridVerbs;
  return { grid, calls };
}

t.test('each line calls one verb as the asking user', async (t) => {
  const { grid, calls } = fake();
  await run(grid, 'alice', 'scores deb');
  await run(grid, 'alice', 'spawn debian as d1');
  await run(grid, 'alice', 'spawndisk debian');
  await run(grid, 'alice', 'savedisk d1 debian-dev');
  await run(grid, 'alice', 'invite bob d1');
  await run(grid, 'alice', 'boom d1');
  await run(grid, 'alice', 'status');
  t.same(calls, [
    ['scores', 'alice', 'deb'],
    ['spawn', 'alice', 'debian', { cache: 'ram', as: 'd1' }],
    ['spawn', 'alice', 'debian', { cache: 'disk' }],
    ['save', 'alice', 'd1', 'debian-dev'],
    ['invite', 'alice', 'bob', 'd1'],
    ['boom', 'alice', 'd1'],
    ['status', 'alice'],
  ]);
});

t.test('replies for people', async (t) => {
  const { grid } = fake();
  t.match((await run(grid, 'alice', 'spawn debian')).output, /^spawned debian \(ram cache, 100\.0 MiB\) from alice\/debian b3:(01)+…\naname: env\/debian\/TOKEN\nmount: mount -t 9p/);
  t.equal((await run(grid, 'alice', 'save debian debian-dev')).output, `saved debian as alice/debian-dev (b3:${'01'.repeat(32)}); debian keeps running on it`);
  t.match((await run(grid, 'alice', 'invite bob debian')).output, /uid 1001, in group sudo; saved as bob\/debian, which only bob sees/);
  t.equal((await run(grid, 'alice', 'boom debian')).output, 'boomed debian\nwarning: debian had unsaved changes; they are gone');
  const status = (await run(grid, 'alice', 'status')).output;
  t.match(status, /^ENV\s+OWNER\s+BASE\s+CACHE\s+USE\s+DIRTY\s+CLIENTS\s+UPTIME\s+ANAME/);
  t.match(status, /debian\s+alice\s+alice\/debian\*\s+ram\s+2\.0 KiB\/100\.0 MiB\s+1\.0 KiB\s+2\s+1h02m\s+env\/debian\/TOKEN/);
  t.match(status, /other\s+bob\s+bob\/other\*.*\s-$/m, 'no token for an environment that is not yours');
  t.match(status, /^debian: mount/m);
  t.notMatch(status, /^other: mount/m);
  t.match((await run(grid, 'alice', 'scores')).output, /^NAME\s+CREATED\s+ROOT\s+COMMENT\nalice\/debian\s+2026-11-21 10:00:00\s+b3:0101/);
  t.match((await run(grid, 'alice', 'help')).output, /^commands:/);
  t.same(await run(grid, 'alice', 'exit'), { output: '', exit: true });
  t.same(await run(grid, 'alice', ''), { output: '' });
});

t.test('errors are one line starting with error:, with their code', async (t) => {
  const { grid } = fake();
  grid.boom = async () => { throw permission('environment debian is not yours; you cannot boom it'); };
  t.same(await run(grid, 'bob', 'boom debian'), {
    output: 'error: environment debian is not yours; you cannot boom it', error: 'COLONY_PERMISSION',
  });
  const usage = await run(grid, 'bob', 'spawn');
  t.equal(usage.output, 'error: usage: spawn NAME [as ENV]');
  t.equal(usage.error, 'COLONY_USAGE');
  grid.status = () => { throw new TypeError('boom'); };
  t.equal((await run(grid, 'bob', 'status')).error, 'COLONY_INTERNAL');
});
