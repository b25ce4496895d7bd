// A real `colony serve` signs the catalog with its node key: the history an older data
// directory holds (unsigned, under its old DATA/node-id origin) and what a new one writes.
import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { Catalog } from '../../../appliance/catalog/index.js';
import { tmpDir } from '../../helpers/tmp.js';
import { serve, waitForHealth } from '../supervisor/serve-helpers.js';
import { openCatalog } from './helpers.js';

const FIXTURE = new URL('../../fixtures/data-dir-v0/', import.meta.url).pathname;
const OLD_ID = '1c13750d918eb23a2328f80ddb136708';

async function serveUntilReady(t: Test, data: string): Promise<string> {
  const s = serve(t, data);
  await waitForHealth(data, (h) => h.state === 'ready', s);
  s.proc.kill('SIGTERM');
  t.equal(await s.exited, 0, 'served and stopped cleanly');
  const ready = JSON.parse(s.stderr().split('\n').find((l) => l.includes('"colony supervisor ready"'))!) as { node: string };
  return ready.node;
}

t.test('an older data directory: its unsigned history is signed by the node key and replicates', async (t) => {
  const data = join(await tmpDir(t), 'data');
  await cp(FIXTURE, data, { recursive: true });
  const node = await serveUntilReady(t, data);
  const catalog = await Catalog.open(join(data, 'catalog'), { nodeId: OLD_ID });
  const events = await catalog.eventsSince({});
  await catalog.close();
  t.equal(events.length, 2, 'both old events are offered to peers');
  t.ok(events.every((e) => e.origin === OLD_ID && e.signer === node), 'signed by the node key, under the old origin');
  const { catalog: peer } = await openCatalog(t, undefined, { nodeId: 'peer' });
  t.same(await peer.applyRemote(events), { applied: 2, skipped: 0 });
  t.same(peer.listUsers().map((u) => u.name).sort(), ['admin', 'alice']);
});

t.test('a new data directory: the first admin is signed by the key its origin names', async (t) => {
  const data = await tmpDir(t);
  const node = await serveUntilReady(t, data);
  const catalog = await Catalog.open(join(data, 'catalog'), { nodeId: node });
  const events = await catalog.eventsSince({});
  await catalog.close();
  t.match(events, [{ origin: node, seq: 1, type: 'user.add', signer: node }]);
});
