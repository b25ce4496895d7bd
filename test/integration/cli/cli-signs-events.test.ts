// A one-shot command (no supervisor running) signs the catalog events it adds with the node
// key, as the supervisor does: they can leave this node at once, not only after a restart.
import { join } from 'node:path';
import t from 'tap';
import { Catalog } from '../../../appliance/catalog/index.js';
import { nodeIdOf } from '../../../appliance/supervisor/node-id.js';
import { runCli } from '../../helpers/cli.js';
import { tmpDir } from '../../helpers/tmp.js';

t.test('events a one-shot command adds are signed and can be sent', async (t) => {
  const data = await tmpDir(t);
  const r = await runCli(['users', 'add', 'bob', '--data', data], { input: 'a-long-password-for-bob\n' });
  t.equal(r.code, 0, r.stderr);
  const catalog = await Catalog.open(join(data, 'catalog'), { nodeId: await nodeIdOf(data) });
  t.teardown(() => catalog.close());
  const events = await catalog.eventsSince({});
  t.ok(events.length >= 2, `${events.length} events offered to a peer (the first admin and bob)`);
  t.ok(events.every((e) => typeof (e as { sig?: unknown }).sig === 'string' && (e as { sig: string }).sig.length > 0), 'every one signed');
  t.ok(JSON.stringify(events).includes('"bob"'), 'bob is among them');
});
