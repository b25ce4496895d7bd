// Two real supervisors paired on loopback: what one node's catalog learns reaches the other
// (`/colony/catalog/1`, started by the supervisor), and a name whose blocks are not here yet
// is not shown on the receiver until its blocks have arrived too (`/colony/blocks/1`).
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { MemoryLog } from '../../../appliance/log.js';
import { closureProgress } from '../../../appliance/grid/index.js';
import { exportDirectory, importDirectory } from '../../../appliance/snapshot/index.js';
import { defaultConfig, validateConfig } from '../../../appliance/supervisor/config.js';
import { Supervisor } from '../../../appliance/supervisor/index.js';
import { runCli } from '../../helpers/cli.js';
import { tmpDir } from '../../helpers/tmp.js';

async function started(t: Test) {
  const data = await tmpDir(t);
  const config = validateConfig({
    ninep: { listen: ['127.0.0.1:0'] }, ssh: { listen: '127.0.0.1:0' }, peer: { listen: ['127.0.0.1:0'] },
  }, defaultConfig(false));
  const sup = new Supervisor({ data, log: new MemoryLog(), config });
  await sup.start();
  t.teardown(() => sup.stop());
  return { data, sup, id: sup.nodeId, address: sup.peers!.addresses()[0]! };
}

async function cli(t: Test, args: string[], input = ''): Promise<string> {
  const r = await runCli(args, { input });
  t.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  return r.stdout.toString();
}

/** Bounded poll (600 × 100 ms). */
async function until(ok: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (ok()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} never happened`);
}

t.test('paired supervisors share users, names and blocks; a name shows only with its blocks', async (t) => {
  const a = await started(t);
  const b = await started(t);
  await cli(t, ['console', '--data', a.data], `pair ${b.id} ${b.address}\n`);
  await cli(t, ['console', '--data', b.data], `pair ${a.id} ${a.address}\n`);

  // On A: a user, and an imported tree with its name.
  await a.sup.catalog!.addUser({ name: 'carol', role: 'user', password: 'a-long-password-for-carol' });
  const src = await tmpDir(t);
  await writeFile(join(src, 'hello.txt'), 'hello from A\n');
  const { root } = await importDirectory(a.sup.store!, src);
  await a.sup.store!.sync();
  await a.sup.catalog!.registerName({ owner: 'admin', name: 'tree', root });
  t.ok(a.sup.grid!.scores('admin').some((r) => r.name === 'tree'), 'A shows its own name at once');

  // B shows the name only once every block it needs is in B's store: checked at each look.
  let looks = 0;
  for (let i = 0; i < 1500; i++) {
    const shown = b.sup.grid!.scores('admin').some((r) => r.name === 'tree');
    if (shown) break;
    if (b.sup.catalog!.allNames().some((r) => r.name === 'tree')) looks++;
    await new Promise((r) => setTimeout(r, 20));
  }
  t.ok(b.sup.grid!.scores('admin').some((r) => r.name === 'tree'), `the name is spawnable on B (${looks} looks at it pending first)`);
  const progress = await closureProgress(b.sup.store!, root);
  t.equal(progress.local, progress.total, `all ${progress.total} blocks of its closure are in B's store`);
  t.ok(b.sup.catalog!.getUser('carol'), 'the user reached B too');
  t.ok(b.sup.catalog!.stats().origins >= 2, 'B holds events of both origins');
  const out = join(await tmpDir(t), 'out');
  await exportDirectory(b.sup.store!, root, out);
  t.equal(await readFile(join(out, 'hello.txt'), 'utf8'), 'hello from A\n', 'B exports the tree from its own store');
});
