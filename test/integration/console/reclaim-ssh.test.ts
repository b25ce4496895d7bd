// forget, gc and usage over real OpenSSH: the SSH console reaches the same registry verbs,
// the catalog through its accounts and the collector through NodeInfo.gc (a stand-in here).
import t from 'tap';
import type { GcReport, GcRunner } from '../../../appliance/console/index.js';
import { score } from '../../unit/catalog/fixtures.js';
import { ssh, sshWorld } from '../ssh/helpers.js';

const report: GcReport = {
  dryRun: true, liveBytes: 100, garbageBytes: 2048, storeBytes: 2148, rewrite: [], remove: [7],
  bytesToFree: 2048, bytesToWrite: 0, freedBytes: 0, writtenBytes: 0, copied: [], seconds: 0.1,
};

t.test('forget, gc and usage over SSH', async (t) => {
  const asked: unknown[] = [];
  const gc: GcRunner = {
    run: async (o) => { asked.push(o); return report; },
    usage: async () => ({ users: [{ user: 'alice', bytes: 2048, names: 1, environments: 0 }], storeBytes: 2148, note: 'shared blocks count once per user' }),
  };
  const w = await sshWorld(t, { node: { gc } });
  await w.catalog.registerName({ owner: 'alice', name: 'deb', root: score(1) });
  await w.catalog.grant('alice', 'deb', 'bob');

  const refused = await ssh(w, 'alice', ['forget', 'deb']);
  t.equal(refused.stderr, 'error: deb is shared with bob: they lose it too; run forget deb --yes\n', 'an exec channel sends errors to standard error');
  t.not(refused.code, 0);
  const json = await ssh(w, 'alice', ['forget', 'deb', '--yes', '--json']);
  t.equal(json.code, 0, json.stderr);
  t.match(JSON.parse(json.stdout), { ok: true, result: { owner: 'alice', name: 'deb', by: 'alice', grantees: ['bob'] } });
  t.same(w.catalog.scores('bob'), []);
  await t.rejects(w.catalog.registerName({ owner: 'alice', name: 'deb', root: score(2) }), { code: 'COLONY_EXISTS' });

  const plan = await ssh(w, 'root', ['gc', '--dry-run']);
  t.equal(plan.code, 0, plan.stderr);
  t.match(plan.stdout, /^gc plan \(dry run: nothing was changed\)\n[\s\S]*delete {4}1 arena with nothing live \(7\)\n[\s\S]*would free 2\.0 KiB/);
  t.same(asked, [{ dryRun: true, by: 'root' }]);
  t.match((await ssh(w, 'alice', ['gc'])).stderr, /^error: 'gc' is for admins\n$/);
  t.equal((await ssh(w, 'alice', ['usage'])).stdout, 'alice: 2.0 KiB in 1 name and 0 environments, no quota\nshared blocks count once per user\n');
});
