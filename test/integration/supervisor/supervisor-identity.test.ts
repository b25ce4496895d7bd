// The node's identity through a real `colony serve`: a data directory made before the
// node key keeps its catalog origin (DATA/node-id) and gains a key; a new one records the
// key's peer id as its origin; a damaged key stops the start with one line and is never
// replaced by a new identity.
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { Catalog } from '../../../appliance/catalog/index.js';
import { tmpDir } from '../../helpers/tmp.js';
import { plainLines, serve, waitForHealth } from './serve-helpers.js';

const FIXTURE = new URL('../../fixtures/data-dir-v0/', import.meta.url).pathname;
const OLD_ID = '1c13750d918eb23a2328f80ddb136708';

async function serveUntilReady(t: Test, data: string): Promise<string> {
  const s = serve(t, data);
  await waitForHealth(data, (h) => h.state === 'ready', s);
  s.proc.kill('SIGTERM');
  t.equal(await s.exited, 0, 'served and stopped cleanly');
  return s.stderr();
}

t.test('a data directory made before the node key keeps its catalog history', async (t) => {
  const data = join(await tmpDir(t), 'data');
  await cp(FIXTURE, data, { recursive: true });
  const log = await serveUntilReady(t, data);
  t.equal((await readFile(join(data, 'node-id'), 'utf8')).trim(), OLD_ID, 'node-id is unchanged');
  const key = await readFile(join(data, 'node_ed25519_key'), 'utf8');
  t.match(key, /BEGIN PRIVATE KEY/, 'a node key was made');
  const ready = JSON.parse(log.split('\n').find((l) => l.includes('"colony supervisor ready"'))!) as { node: string; catalogOrigin?: string };
  t.match(ready.node, /^12D3KooW/);
  t.equal(ready.catalogOrigin, OLD_ID, 'the log says which origin the catalog uses');
  const catalog = await Catalog.open(join(data, 'catalog'), { nodeId: OLD_ID });
  t.same(catalog.listUsers().map((u) => u.name).sort(), ['admin', 'alice'], 'the users made by the old code are there');
  t.match(catalog.stats(), { origins: 1, seq: 2 }, 'every event still comes from the one old origin');
  await catalog.close();
  // A second start reads the same key.
  await serveUntilReady(t, data);
  t.equal(await readFile(join(data, 'node_ed25519_key'), 'utf8'), key);
});

t.test('a new data directory: the peer id is the catalog origin', async (t) => {
  const data = await tmpDir(t);
  const log = await serveUntilReady(t, data);
  const ready = JSON.parse(log.split('\n').find((l) => l.includes('"colony supervisor ready"'))!) as { node: string; catalogOrigin?: string };
  t.equal((await readFile(join(data, 'node-id'), 'utf8')).trim(), ready.node);
  t.equal(ready.catalogOrigin, undefined);
});

t.test('a damaged node key stops the start; no new identity', async (t) => {
  const data = await tmpDir(t);
  await serveUntilReady(t, data);
  await writeFile(join(data, 'node_ed25519_key'), 'not a key\n');
  const s = serve(t, data);
  t.equal(await s.exited, 1);
  const lines = plainLines(s.stderr());
  t.equal(lines.length, 1, JSON.stringify(lines));
  t.match(lines[0], /^colony: COLONY_CORRUPT_DATA: the node key .*node_ed25519_key is damaged .*restore it from a backup/);
  t.equal(await readFile(join(data, 'node_ed25519_key'), 'utf8'), 'not a key\n', 'the key file was left alone');
  t.match(JSON.parse(await readFile(join(data, 'health.json'), 'utf8')), { state: 'error', error: /node key/ });
});
