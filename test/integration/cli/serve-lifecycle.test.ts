// `colony serve` is a real long-running process: it reports ready, stops cleanly on
// SIGTERM and SIGINT, and fails fast with a clear message on a bad data directory.
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { BlockStore } from '../../../appliance/store/index.js';
import { cliEntry, repoRoot, runCli, tsLoader, childEnv } from '../../helpers/cli.js';
import { tmpDir } from '../../helpers/tmp.js';

async function waitFor(check: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('timed out waiting');
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  t.test(`serve becomes ready and stops cleanly on ${signal}`, async (t) => {
    const data = await tmpDir(t);
    const proc = spawn(process.execPath, [...tsLoader, cliEntry, 'serve', '--data', data, '--9p', '127.0.0.1:0', '--ssh', '127.0.0.1:0', '--peer', '127.0.0.1:0'], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'], env: childEnv({ COLONY_LOG_LEVEL: 'info' }) });
    t.teardown(() => { if (proc.exitCode === null) proc.kill('SIGKILL'); });
    let log = '';
    proc.stderr.on('data', (b) => { log += b; });
    const health = async () => JSON.parse(await readFile(join(data, 'health.json'), 'utf8')) as { state: string; pid: number };
    await waitFor(async () => (await health()).state === 'ready');
    t.equal((await health()).pid, proc.pid);
    const exited = new Promise<number | null>((r) => proc.on('close', (code) => r(code)));
    proc.kill(signal);
    t.equal(await exited, 0);
    t.equal((await health()).state, 'stopped');
    t.match(log, /"msg":"shutting down"/);
    // The store was closed properly: another process can open it at once.
    const store = await BlockStore.open(join(data, 'store'));
    await store.close();
  });
}

t.test('serve on an unusable data directory exits 1 with a clear message', async (t) => {
  const dir = await tmpDir(t);
  await writeFile(join(dir, 'file'), '');
  const r = await runCli(['serve', '--data', join(dir, 'file', 'sub'), '--9p', '127.0.0.1:0'], { timeoutMs: 30_000 });
  t.equal(r.code, 1);
  t.match(r.stderr, /not a directory/);
});

t.test('serve refuses a data directory that another process holds', async (t) => {
  const data = await tmpDir(t);
  const store = await BlockStore.open(join(data, 'store'));
  t.teardown(() => store.close());
  const r = await runCli(['serve', '--data', data, '--9p', '127.0.0.1:0'], { timeoutMs: 30_000 });
  t.equal(r.code, 1);
  t.match(r.stderr, /COLONY_LOCKED/);
});
