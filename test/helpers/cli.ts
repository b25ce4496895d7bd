// Runs the real `colony` CLI (from source, through tsx) as a child process.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const cliEntry = fileURLToPath(new URL('../../appliance/cli/run.ts', import.meta.url));

export interface CliResult { code: number | null; signal: NodeJS.Signals | null; stdout: Buffer; stderr: string }

export function runCli(args: string[], opts: { env?: NodeJS.ProcessEnv; input?: Buffer | string; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', cliEntry, ...args], {
      cwd: repoRoot,
      env: { ...process.env, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: opts.timeoutMs ?? 60_000,
    });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => { err += b.toString(); });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout: Buffer.concat(out), stderr: err }));
    child.stdin.end(opts.input ?? '');
  });
}
