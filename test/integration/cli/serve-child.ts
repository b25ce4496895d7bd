// A real `colony serve` child on a data directory, ready when it returns, stopped with
// SIGTERM at teardown (SIGKILL if it does not stop in time).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Test } from 'tap';
import { childEnv, cliEntry, repoRoot, tsLoader } from '../../helpers/cli.js';

export interface ServeChild { proc: ChildProcess; log: () => string }

export async function serveChild(t: Test, data: string, args: string[] = []): Promise<ServeChild> {
  const proc = spawn(process.execPath, [...tsLoader, cliEntry, 'serve', '--data', data, '--9p', '127.0.0.1:0', '--ssh', '127.0.0.1:0', '--peer', '127.0.0.1:0', '--web', 'off', ...args], {
    cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'], env: childEnv({ COLONY_LOG_LEVEL: 'info' }),
  });
  let log = '';
  proc.stderr!.on('data', (b: Buffer) => { log += b.toString(); });
  const closed = new Promise<void>((resolve) => proc.once('close', () => resolve()));
  t.teardown(async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 25_000);
    await closed;
    clearTimeout(timer);
  });
  const until = Date.now() + 60_000;
  for (;;) {
    const state = await readFile(join(data, 'health.json'), 'utf8').then((s) => (JSON.parse(s) as { state: string; pid: number }), () => undefined);
    if ((state?.state === 'ready' || state?.state === 'degraded') && state.pid === proc.pid) break; // degraded is serving too
    if (proc.exitCode !== null) throw new Error(`colony serve exited early:\n${log}`);
    if (Date.now() > until) throw new Error(`colony serve did not become ready:\n${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { proc, log: () => log };
}
