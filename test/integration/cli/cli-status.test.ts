// `colony status`: the running supervisor's health, node and environments; one clear line
// when no supervisor runs on the data directory.
import t from 'tap';
import { runCli } from '../../helpers/cli.js';
import { consoleRun, seededData } from '../console/helpers.js';
import { serveChild } from './serve-child.js';

t.test('status without and with a supervisor', async (t) => {
  const data = await seededData(t);
  const none = await runCli(['status', '--data', data]);
  t.equal(none.code, 1);
  t.equal(none.stdout.toString(), '');
  t.match(none.stderr, /^colony: no supervisor is running on \S+ \(start one with 'colony serve'\)\n$/);

  const sup = await serveChild(t, data);
  t.equal((await consoleRun(data, ['--user', 'alice'], ['spawn debian'])).code, 0);
  const r = await runCli(['status', '--data', data]);
  t.equal(r.code, 0, r.stderr);
  const out = r.stdout.toString();
  t.match(out, /^health\s+ready$/m);
  t.match(out, new RegExp(`^pid\\s+${sup.proc.pid}$`, 'm'));
  t.match(out, /^node\s+\S+/m);
  t.match(out, /^debian\s+alice\s+alice\/debian\s+ram\s/m, 'every environment, for the admin');
  const json = await runCli(['status', '--data', data, '--json']);
  const s = JSON.parse(json.stdout.toString()) as { health: string; node: { id: string }; environments: Array<{ name: string }> };
  t.equal(s.health, 'ready');
  t.same(s.environments.map((e) => e.name), ['debian']);
});
