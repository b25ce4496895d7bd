// The data directory holds every scrypt hash and every byte of every imported file, so no
// other local user may read anything in it: `colony import` and `colony serve` (real CLI
// children) under umask 022 create nothing group- or other-accessible, and a data directory
// left 0755/0644 (older code, a careless copy) is made owner-only when the supervisor starts.
import { chmod, lstat, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { runCli } from '../../helpers/cli.js';
import { tmpDir } from '../../helpers/tmp.js';
import { ownerOnly } from '../../../appliance/supervisor/data-modes.js';
import { serve, waitForHealth } from './serve-helpers.js';

// The careless default: the children inherit it.
process.umask(0o022);

/** Every entry under `root` (itself included) whose mode lets group or other in, as `path 0644`. */
async function exposed(root: string): Promise<string[]> {
  const found: string[] = [];
  const pending = [root];
  for (let i = 0; i < 100_000 && pending.length > 0; i++) {
    const p = pending.pop()!;
    const st = await lstat(p).catch(() => undefined); // a socket or temporary file may go meanwhile
    if (!st || st.isSymbolicLink()) continue;
    if (st.mode & 0o077) found.push(`${p} ${(st.mode & 0o7777).toString(8)}`);
    if (st.isDirectory()) for (const n of await readdir(p).catch(() => [])) pending.push(join(p, n));
  }
  return found;
}

/** A tree with a file its owner keeps private, as a user would import it. */
async function sourceTree(base: string): Promise<string> {
  const src = join(base, 'src');
  await mkdir(join(src, 'sub'), { recursive: true });
  await writeFile(join(src, 'sub', 'secret.txt'), 'the private key of somebody\n', { mode: 0o600 });
  await writeFile(join(src, 'readme.txt'), 'hello\n');
  return src;
}

t.test('import and serve under umask 022 leave nothing readable by others', async (t) => {
  const base = await tmpDir(t);
  const data = join(base, 'data');
  const src = await sourceTree(base);

  const imported = await runCli(['--data', data, 'import', src, 'tree']);
  t.equal(imported.code, 0, imported.stderr);
  t.same(await exposed(data), [], 'after a one-shot import');

  const s = serve(t, data);
  await waitForHealth(data, (h) => h.state === 'ready', s);
  t.same(await exposed(data), [], 'while the supervisor runs (its sockets, health.json, node key)');
  const again = await runCli(['--data', data, 'import', src, 'tree-2']); // through the supervisor
  t.equal(again.code, 0, again.stderr);
  s.proc.kill('SIGTERM');
  t.equal(await s.exited, 0, s.stderr());
  t.same(await exposed(data), [], 'after a clean stop');
});

t.test('a data directory left 0755/0644 is made owner-only on start, and says so', async (t) => {
  const base = await tmpDir(t);
  const data = join(base, 'data');
  const imported = await runCli(['--data', data, 'import', await sourceTree(base), 'tree']);
  t.equal(imported.code, 0, imported.stderr);
  // What older code under umask 022 made: every directory 0755, every file 0644.
  const pending = [data];
  let opened = 0;
  for (let i = 0; i < 100_000 && pending.length > 0; i++) {
    const p = pending.pop()!;
    const st = await lstat(p);
    if (st.isDirectory()) { await chmod(p, 0o755); for (const n of await readdir(p)) pending.push(join(p, n)); } else if (st.isFile()) { await chmod(p, 0o644); opened++; }
  }
  t.ok(opened > 3, 'the store and catalog files were opened up');
  t.not((await exposed(data)).length, 0);

  const s = serve(t, data);
  await waitForHealth(data, (h) => h.state === 'ready', s);
  t.same(await exposed(data), [], 'repaired before anything was opened');
  t.match(s.stderr(), /made it owner-only/, 'the repair is logged');
  s.proc.kill('SIGTERM');
  t.equal(await s.exited, 0, s.stderr());
});

t.test('ownerOnly clears group and other bits and keeps the rest', async (t) => {
  t.equal(ownerOnly(0o755), 0o700);
  t.equal(ownerOnly(0o644), 0o600);
  t.equal(ownerOnly(0o600), 0o600);
  t.equal(ownerOnly(0o1777), 0o1700);
});

t.test('the systemd unit runs colony under umask 0077', async (t) => {
  t.match(await readFile(new URL('../../../image/systemd/colony.service', import.meta.url), 'utf8'), /^UMask=0077$/m);
});
