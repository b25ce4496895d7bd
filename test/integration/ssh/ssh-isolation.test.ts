// Two users over the real grid interpreter: each sees only their own names and
// environments, and the mount line of a spawn arrives as the grid wrote it.
import t from 'tap';
import { gridInterpreter } from '../../../appliance/console/ssh/index.js';
import { openWorld } from '../grid/helpers.js';
import { ssh, sshWorld } from './helpers.js';

t.test("alice and bob do not see each other's environments", async (t) => {
  const grid = await openWorld(t);
  const w = await sshWorld(t, { catalog: grid.catalog, interpreter: gridInterpreter(grid.grid) });

  const spawned = await ssh(w, 'alice', ['spawn', 'debian']);
  t.equal(spawned.code, 0, spawned.stderr);
  const [st] = grid.grid.status('alice');
  t.ok(st?.mount, 'the grid made a mount line');
  t.ok(spawned.stdout.includes(`${st!.mount}\n`), 'and it reached alice unchanged');

  const aliceStatus = await ssh(w, 'alice', ['status']);
  t.equal(aliceStatus.code, 0, aliceStatus.stderr);
  t.match(aliceStatus.stdout, /debian/);
  const bobStatus = await ssh(w, 'bob', ['status', '--json']);
  t.equal(bobStatus.code, 0, bobStatus.stderr);
  t.same((JSON.parse(bobStatus.stdout) as { result: unknown[] }).result, [], "bob sees none of alice's environments");
  t.notMatch((await ssh(w, 'bob', ['status'])).stdout, /debian/);
  t.equal((await ssh(w, 'bob', ['whoami'])).stdout, 'bob (user)\n');

  const bobScores = await ssh(w, 'bob', ['scores']);
  t.notMatch(bobScores.stdout, /alice\/debian/, "bob cannot see alice's names");
  const bobSpawn = await ssh(w, 'bob', ['spawn', 'debian']);
  t.equal(bobSpawn.code, 1, "bob cannot spawn alice's name");
  t.match(bobSpawn.stderr, /^error: /);
  const bobBoom = await ssh(w, 'bob', ['boom', 'debian']);
  t.equal(bobBoom.code, 1, "nor boom alice's environment");
  t.equal(grid.grid.status('alice').length, 1, 'which still runs');

  const boom = await ssh(w, 'alice', ['boom', 'debian']);
  t.equal(boom.code, 0, boom.stderr);
  t.same(grid.grid.status('alice'), []);
});
