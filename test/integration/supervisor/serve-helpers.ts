// `colony serve` as a real child process for the supervisor's tests: started with any
// arguments, environment, user or wrapper command (setpriv, unshare), its standard error
// collected, killed with SIGKILL at teardown if it still runs.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import type { Test } from 'tap';
import { childEnv, cliEntry, repoRoot, tsLoader } from '../../helpers/cli.js';
import { readHealth, type HealthReport } from '../../../appliance/supervisor/health.js';

export interface Served {
  proc: ChildProcess;
  stderr: () => string;
  /** Resolves with the exit code (or the signal's name). */
  exited: Promise<number | string>;
}

export interface ServeOptions {
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** A command that runs the child: e.g. ['unshare', '-m', 'sh', '-c', '… exec "$@"', 'sh']. */
  wrapper?: string[];
  spawn?: SpawnOptions;
}

export function serve(t: Test, data: string, opts: ServeOptions = {}): Served {
  const argv = [process.execPath, ...tsLoader, cliEntry, 'serve', '--data', data, '--9p', '127.0.0.1:0', '--ssh', '127.0.0.1:0', '--peer', '127.0.0.1:0', '--web', 'off', ...(opts.args ?? [])];
  const [file, ...args] = [...(opts.wrapper ?? []), ...argv];
  const proc = spawn(file!, args, { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'], env: childEnv({ COLONY_LOG_LEVEL: 'info', ...opts.env }), timeout: 120_000, ...opts.spawn });
  let err = '';
  proc.stderr!.on('data', (b: Buffer) => { err += b.toString(); });
  const exited = new Promise<number | string>((resolve) => proc.on('close', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  t.teardown(() => { if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL'); });
  return { proc, stderr: () => err, exited };
}

/** Waits (bounded) until the health report satisfies `ok`, or the child exits. */
export async function waitForHealth(data: string, ok: (h: HealthReport) => boolean, served?: Served): Promise<HealthReport> {
  let last: HealthReport = { state: 'absent' };
  for (let i = 0; i < 1200; i++) {
    last = await readHealth(data);
    if (ok(last)) return last;
    if (served && served.proc.exitCode !== null) throw new Error(`colony serve exited early; health ${JSON.stringify(last)}\n${served.stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`health never matched; last ${JSON.stringify(last)}\n${served?.stderr() ?? ''}`);
}

/** Lines of standard error that are not JSON log records. */
export const plainLines = (stderr: string) => stderr.split('\n').filter((l) => l.trim() && !l.startsWith('{'));
