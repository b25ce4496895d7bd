// `colony forget`, `colony gc` and `colony usage` as a person runs them: on the data
// directory alone (forget writes the catalog; gc and usage say to start the supervisor),
// and through a running `colony serve`, where they are the console's verbs word for word.
import { join } from 'node:path';
import t from 'tap';
import { Catalog } from '../../../appliance/catalog/index.js';
import { nodeIdOf } from '../../../appliance/cli/data-dir.js';
import { runCli } from '../../helpers/cli.js';
import { fastScrypt } from '../../unit/catalog/fixtures.js';
import { serveChild } from '../cli/serve-child.js';
import { consoleRun, seededData } from './helpers.js';

/** The seeded directory (alice's debian and plain), with debian granted to bob. */
async function sharedData(t: Parameters<typeof seededData>[0]): Promise<string> {
  const data = await seededData(t);
  const catalog = await Catalog.open(join(data, 'catalog'), { nodeId: await nodeIdOf(data), scrypt: fastScrypt });
  try { await catalog.grant('alice', 'debian', 'bob'); } finally { await catalog.close(); }
  return data;
}

const colony = (data: string, ...args: string[]) => runCli([...args, '--data', data]);

t.test('without a supervisor: forget works on the data directory, gc and usage say to start one', async (t) => {
  const data = await sharedData(t);
  const shared = await colony(data, 'forget', 'debian', '--user', 'alice');
  t.equal(shared.code, 2, 'a usage mistake until --yes');
  t.equal(shared.stderr, 'colony: debian is shared with bob: they lose it too; run forget debian --yes\n');
  const done = await colony(data, 'forget', 'debian', '--user', 'alice', '--yes');
  t.equal(done.code, 0, done.stderr);
  t.match(done.stdout.toString(), /^forgot alice\/debian \(b3:[0-9a-f]{12}…\); it can never be bound again, here or on any node\nbob lost it too[^\n]*\nenvironments spawned from it, if any, keep running; gc keeps its blocks while they do\n$/);
  const scores = await colony(data, 'scores', '--json');
  t.same((JSON.parse(scores.stdout.toString()) as Array<{ name: string }>).map((r) => r.name), ['plain']);
  const again = await colony(data, 'forget', 'debian', '--user', 'alice');
  t.equal(again.code, 1);
  t.match(again.stderr, /COLONY_NOT_FOUND: name 'alice\/debian' was forgotten already\n$/);
  const imp = await runCli(['import', join(data, 'catalog'), 'debian', '--user', 'alice', '--data', data]);
  t.equal(imp.code, 1);
  t.match(imp.stderr, /COLONY_EXISTS: alice\/debian was forgotten; names are never reused/);

  const noReason = await colony(data, 'forget', 'alice/plain');
  t.equal(noReason.code, 2);
  t.match(noReason.stderr, /forgetting alice's name needs a reason: forget alice\/plain --reason TEXT \(admin\)/);
  const badReason = await colony(data, 'forget', 'alice/plain', '--reason', 'two\nlines');
  t.equal(badReason.code, 2);
  t.match(badReason.stderr, /one line/);
  const byAdmin = await colony(data, 'forget', 'alice/plain', '--reason', 'the disk  is full', '--json');
  t.equal(byAdmin.code, 0, byAdmin.stderr);
  t.match(JSON.parse(byAdmin.stdout.toString()), { owner: 'alice', name: 'plain', by: 'admin', reason: 'the disk  is full', grantees: [], running: [] });

  for (const verb of ['gc', 'usage']) {
    const r = await colony(data, verb);
    t.equal(r.code, 1, verb);
    t.match(r.stderr, new RegExp(`^colony: COLONY_UNSUPPORTED: 'colony ${verb}' needs the running supervisor, and none runs on .*: start the supervisor \\(colony serve\\) and try again\\n$`));
  }
  const help = await colony(data, 'gc', '--help');
  t.equal(help.code, 0);
  t.match(help.stdout.toString(), /^usage: colony gc \[options\]\n[\s\S]*--dry-run\s+print the plan/);
  for (const verb of ['forget', 'usage']) t.match((await colony(data, verb, '--help')).stdout.toString(), new RegExp(`^usage: colony ${verb} `));
});

t.test('through a running supervisor: the same verbs, and the console and the CLI agree', async (t) => {
  const data = await sharedData(t);
  await serveChild(t, data);
  const shared = await colony(data, 'forget', 'debian', '--user', 'alice');
  t.equal(shared.code, 2);
  t.equal(shared.stderr, 'colony: debian is shared with bob: they lose it too; run forget debian --yes\n');
  const byBob = await colony(data, 'forget', 'alice/debian', '--user', 'bob', '--reason', 'mine now');
  t.equal(byBob.code, 1);
  t.match(byBob.stderr, /COLONY_PERMISSION: only alice or an admin may forget alice\/debian/);
  const done = await colony(data, 'forget', 'debian', '--user', 'alice', '--yes', '--json');
  t.equal(done.code, 0, done.stderr);
  t.match(JSON.parse(done.stdout.toString()), { owner: 'alice', name: 'debian', by: 'alice', grantees: ['bob'] });
  // The supervisor's own view (its grid, its catalog) lost the name at once.
  const bob = await consoleRun(data, ['--user', 'bob'], ['scores', 'spawn alice/debian']);
  t.match(bob.stdout.toString(), /^no names\nerror: name 'alice\/debian' not found\n$/);
  const ctl = await runCli(['9p', '--uname', 'alice', 'write', join(data, '9p.sock'), 'ctl', 'forget plain']);
  t.equal(ctl.code, 0, ctl.stderr);
  t.match(ctl.stdout.toString(), /^forgot alice\/plain [^\n]*\n[^\n]*keep running[^\n]*\n$/, 'ctl runs it too');
  const console = await consoleRun(data, ['--user', 'alice'], ['forget plain']);
  t.equal(console.stdout.toString(), "error: name 'alice/plain' was forgotten already\n");
  // gc and usage reach the supervisor: whether it has a collector or not, it is the one answering.
  for (const verb of ['gc', 'usage']) {
    const r = await colony(data, verb, '--json');
    t.notMatch(r.stderr, /none runs on/, `${verb} went to the supervisor`);
    if (r.code === 0) t.ok(JSON.parse(r.stdout.toString()), `${verb} answered`);
    else t.match(r.stderr, /COLONY_UNSUPPORTED: garbage collection is not reachable from here/);
  }
  const asUser = await colony(data, 'gc', '--user', 'alice');
  t.equal(asUser.code, 1);
  t.match(asUser.stderr, /COLONY_PERMISSION: 'gc' is for admins/);
});
