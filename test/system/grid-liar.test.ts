// A lying peer on the LAN (fixtures/lying-peer.ts, its own process, namespace and identity),
// paired by B's admin, offers B the very blocks of a tree and answers every fetch with bytes
// that do not hash to the score. B rejects them, logs the peer, keeps nothing of them, and
// gets the same tree from the honest A: the name shows, spawns with every byte right, and
// B's `store verify` finds nothing wrong.
import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { childEnv, repoRoot, tsLoader } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';
import { connected, lanUnavailable, pairBoth, PEER_PORT, spawnOn, startGrid, until, watchName, type GridNode } from './fixtures/grid.js';
import { compareOver9P, writeTree } from './fixtures/tree.js';

const skip = lanUnavailable();
const liarScript = fileURLToPath(new URL('./fixtures/lying-peer.ts', import.meta.url));

t.test('a peer that sends blocks with wrong bytes is rejected and named; B gets the tree from A', { skip }, async (t) => {
  const scratch = await tmpDir(t, 'colony-grid-liar-');
  const src = join(scratch, 'src');
  await mkdir(src);
  const tree = await writeTree(src, { small: 120, big: 2, seed: 5 });
  const grid = await startGrid(t, ['a', 'b'], { bare: ['liar'] });
  const [a, b] = ['a', 'b'].map(grid.node) as [GridNode, GridNode];

  // The liar, in its namespace; stopped by PID at teardown.
  const liarDir = join(scratch, 'liar');
  await mkdir(liarDir);
  const liarAddress = `${grid.lan.node('liar').address}:${PEER_PORT}`;
  const [cmd, args] = grid.lan.wrap('liar', process.execPath, [...tsLoader, liarScript, liarDir, liarAddress, b.id, src]);
  const liar = spawn(cmd, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: childEnv({ COLONY_LOG_LEVEL: 'info' }) });
  const exited = new Promise<void>((resolve) => liar.on('close', () => resolve()));
  t.teardown(async () => { if (liar.exitCode === null && liar.signalCode === null) liar.kill('SIGKILL'); await exited; });
  let liarLog = '';
  liar.stderr.setEncoding('utf8').on('data', (s: string) => { liarLog = (liarLog + s).slice(-100_000); });
  const lines = createInterface({ input: liar.stdout });
  const said: Array<Record<string, unknown>> = [];
  lines.on('line', (l) => { try { said.push(JSON.parse(l) as Record<string, unknown>); } catch { /* not ours */ } });
  const liarId = await until('the liar is listening', () => said.find((s) => typeof s.id === 'string')?.id as string | undefined, { timeoutMs: 90_000 })
    .catch((err: Error) => { throw new Error(`${err.message}: ${liarLog.slice(-2000)}`); });

  // B's admin pairs the liar; B asks it for the tree's blocks and rejects every one.
  await b.line(`pair ${liarId} ${liarAddress}`);
  const rejection = (l: string) => /do not match its score/.test(l) && l.includes(liarId);
  await until('B logs a rejection naming the liar', () => b.sup.log().split('\n').some(rejection), { timeoutMs: 90_000 });
  t.pass('B logged a block whose bytes do not match its score, naming the liar');
  t.notOk((await b.shown()).has('admin/tree'), 'B has no name from the liar (it sends no catalog)');

  // Now the honest A: pair, import the same tree; B completes from A despite the liar.
  const watch = watchName([b], 'tree', scratch);
  await pairBoth(a, b);
  await connected(b, a);
  const imported = await a.exec(['import', src, 'tree']);
  t.equal(imported.code, 0, `colony import on A: ${imported.err.trim()}`);
  await watch.done(180_000);
  const seen = watch.seen.get('b')!;
  t.ok(seen.shownAt >= 0, 'B shows admin/tree');
  t.equal(seen.exportOk, true, `B exports it from its own store the moment it shows it: ${seen.exportMessage}`);
  const aname = await spawnOn(b, 'tree', 'envb');
  const r = await compareOver9P(b.sup.socket, aname, tree);
  t.same(r.problems, [], `B reads all ${r.files} files over 9P, equal to the source`);
  const verify = await b.exec(['store', 'verify']);
  t.equal(verify.code, 0, `B's store verify: ${verify.out.trim()}`);
  const rejections = b.sup.log().split('\n').filter(rejection).length;
  t.ok(rejections >= 1, `B rejected the liar's bytes ${rejections} time(s) (each closes that session)`);

  liar.kill('SIGTERM');
  await exited;
  const final = said.find((s) => typeof s.lies === 'number');
  t.ok(final && (final.lies as number) >= 1, `the liar sent ${String(final?.lies)} bad blocks in ${String(final?.sessions)} sessions`);
});
