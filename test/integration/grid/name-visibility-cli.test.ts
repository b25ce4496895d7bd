// The one-shot `colony scores` (no supervisor: it opens the data directory itself) applies
// the same visibility as the supervisor's: a name replicated from another node whose blocks
// are not all in the local store is listed apart as pending, not among the spawnable names.
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import t from 'tap';
import { openDataDir } from '../../../appliance/cli/data-dir.js';
import { importDirectory } from '../../../appliance/snapshot/index.js';
import { runCli } from '../../helpers/cli.js';
import { tmpDir, tmpStore } from '../../helpers/tmp.js';
import { openCatalog } from '../catalog/helpers.js';

t.test('colony scores without a supervisor: replicated names lacking blocks are pending, apart', async (t) => {
  const data = await tmpDir(t);
  const d = await openDataDir(data, new PassThrough());
  const src = await tmpDir(t);
  await writeFile(join(src, 'f'), 'here\n');
  const { root: here } = await importDirectory(d.store, src);
  await d.store.sync();
  await d.catalog.registerName({ owner: 'admin', name: 'mine', root: here });

  // Another node's names: one whose blocks are all here too, one whose blocks are not.
  const { store: far } = await tmpStore(t);
  const farSrc = await tmpDir(t);
  await writeFile(join(farSrc, 'g'), randomBytes(50_000));
  const { root: farRoot } = await importDirectory(far, farSrc);
  const { catalog: b } = await openCatalog(t, undefined, { nodeId: 'node-b' });
  await b.addUser({ name: 'alice', role: 'user' });
  await b.registerName({ owner: 'alice', name: 'copied', root: here });
  await b.registerName({ owner: 'alice', name: 'far', root: farRoot });
  await d.catalog.applyRemote(await b.eventsSince({}));
  await d.close();

  const text = await runCli(['scores', '--data', data]);
  t.equal(text.code, 0, text.stderr);
  const [shown, pending] = text.stdout.toString().split(/\n\npending[^\n]*\n/);
  t.match(shown, /^admin\/mine /m);
  t.match(shown, /^alice\/copied /m, 'a replicated name whose blocks are here is listed');
  t.notMatch(shown, /alice\/far/, 'the one whose blocks are missing is not among them');
  t.match(pending, /^alice\/far .*pending: blocks arriving$/m, `it is listed apart as pending:\n${text.stdout.toString()}`);

  const json = JSON.parse((await runCli(['scores', '--data', data, '--json'])).stdout.toString()) as Array<{ name: string; pending?: unknown }>;
  t.same(json.map((r) => [r.name, r.pending]).sort(), [['copied', undefined], ['far', { local: 0 }], ['mine', undefined]]);
});
