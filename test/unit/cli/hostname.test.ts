// `colony hostname`: the appliance's name from its node id.
import t from 'tap';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostnameOf } from '../../../appliance/cli/hostname-command.js';
import { loadOrCreateIdentity } from '../../../appliance/identity/index.js';
import { runCli } from '../../helpers/cli.js';

t.test('the name is colony- and the id tail, lowercased, a valid DNS label', async (t) => {
  t.equal(hostnameOf('12D3KooWQx7yZ4AbCd'), 'colony-z4abcd');
  t.equal(hostnameOf('12D3KooWQx7yZ4Ab9Z'), 'colony-z4ab9z');
  t.match(hostnameOf('12D3KooWQx7yZ4AbCd'), /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/);
});

t.test('the command makes the key if needed and prints the name of that key for life', async (t) => {
  const data = await mkdtemp(join(tmpdir(), 'colony-hostname-'));
  const first = await runCli(['hostname', '--data', data]);
  t.equal(first.code, 0, first.stderr);
  const id = (await loadOrCreateIdentity(data)).nodeId;
  t.equal(first.stdout.toString(), hostnameOf(id) + '\n');
  const again = await runCli(['hostname', '--data', data]);
  t.equal(again.stdout.toString(), first.stdout.toString(), 'the same key, the same name');
});
