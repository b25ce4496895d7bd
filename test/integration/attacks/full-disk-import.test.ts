// An import onto a full disk (issue 12, "keep what held"). store/store-full-disk.test.ts keeps
// puts and syncs on a full tmpfs, supervisor/supervisor-data-dir.test.ts a `colony serve` that
// cannot start on one; this file fills the disk with `colony import -` itself: the import fails
// with COLONY_NO_SPACE and one clear line, registers no name, loses nothing acknowledged, and
// once room is freed the same data directory takes imports again. Needs root for the tmpfs
// mount (CI runs as root).
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { Catalog } from '../../../appliance/catalog/index.js';
import { exportDirectory } from '../../../appliance/snapshot/index.js';
import { BlockStore } from '../../../appliance/store/index.js';
import { nodeIdOf } from '../../../appliance/supervisor/node-id.js';
import { childEnv, cliEntry, repoRoot, runCli, tsLoader } from '../../helpers/cli.js';
import { tmpDir } from '../../helpers/tmp.js';
import { tarOf } from './ustar.js';

const MiB = 2 ** 20;
const isRoot = process.getuid?.() === 0;


/** `colony import - NAME` fed `input`; the child may stop reading early (it fails), so EPIPE is expected. */
function importStdin(env: NodeJS.ProcessEnv, name: string, input: Buffer): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...tsLoader, cliEntry, 'import', '-', name], { cwd: repoRoot, env: childEnv(env), stdio: ['pipe', 'ignore', 'pipe'], timeout: 60_000 });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
    child.stdin.on('error', () => {});
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
    child.stdin.end(input);
  });
}

t.test('colony import onto a full disk: COLONY_NO_SPACE, no name, nothing lost, and it recovers', { skip: isRoot ? false : 'needs root to mount a tmpfs' }, async (t) => {
  const base = await tmpDir(t);
  const mnt = join(base, 'small');
  await mkdir(mnt);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=12m', 'tmpfs', mnt]);
  t.teardown(() => execFileSync('umount', ['-l', mnt]));
  const data = join(mnt, 'var');
  const env = { COLONY_DATA: data };

  const first = await runCli(['import', '-', 'before'], { env, input: tarOf('./hello', Buffer.from('hello\n')) });
  t.equal(first.code, 0, `an acknowledged import first: ${first.stderr}`);
  await writeFile(join(mnt, 'filler'), Buffer.alloc(4 * MiB, 1)); // room the operator can free later

  const big = await importStdin(env, 'big', tarOf('./big', randomBytes(16 * MiB)));
  t.equal(big.code, 1, 'the import fails');
  t.match(big.stderr, /COLONY_NO_SPACE/, `with COLONY_NO_SPACE: ${big.stderr}`);
  t.notMatch(big.stderr, /\n\s+at /, 'and no stack trace');

  {
    const store = await BlockStore.open(join(data, 'store'));
    const catalog = await Catalog.open(join(data, 'catalog'), { nodeId: await nodeIdOf(data) });
    try {
      t.throws(() => catalog.getName('admin', 'big'), { code: 'COLONY_NOT_FOUND' }, 'no name for the failed import');
      const out = join(base, 'out');
      await exportDirectory(store, catalog.getName('admin', 'before').root, out);
      t.equal(await readFile(join(out, 'hello'), 'utf8'), 'hello\n', 'the acknowledged import is intact');
      const report = await store.verify();
      t.ok(report.ok, `the store verifies: ${JSON.stringify({ ...report, corrupt: report.corrupt.length })}`);
    } finally {
      await catalog.close().catch(() => {});
      await store.close().catch(() => {});
    }
  }

  await rm(join(mnt, 'filler'));
  const after = await runCli(['import', '-', 'after', '--json'], { env, input: tarOf('./again', randomBytes(2 * MiB)) });
  t.equal(after.code, 0, `with room again, the same data directory takes an import: ${after.stderr}`);
  const names = JSON.parse((await runCli(['scores', '--json'], { env })).stdout.toString()) as Array<{ name: string }>;
  t.same(names.map((n) => n.name).sort(), ['after', 'before']);
});
