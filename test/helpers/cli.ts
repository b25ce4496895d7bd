// Runs the real `colony` CLI (from source, through tsx) as a child process.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const cliEntry = fileURLToPath(new URL('../../appliance/cli/run.ts', import.meta.url));

/** Node flags that run our TypeScript sources in a child process. */
export const tsLoader: string[] = ['--import', 'tsx'];

/**
 * The environment for a child that runs our sources through tsx. Under tap it records no
 * coverage: tap compiles the tests with ts-node, and coverage of the same file compiled two
 * ways made tap's report drop every file the children shared with the tests.
 */
export function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...extra, _TAPJS_PROCESSINFO_COVERAGE_: '0' };
}

export interface CliResult { code: number | null; signal: NodeJS.Signals | null; stdout: Buffer; stderr: string }

export function runCli(args: string[], opts: { env?: NodeJS.ProcessEnv; input?: Buffer | string; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...tsLoader, cliEntry, ...args], {
      cwd: repoRoot,
      env: childEnv(opts.env),
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: opts.timeoutMs ?? 60_000,
    });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => { err += b.toString(); });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout: Buffer.concat(out), stderr: err }));
    // A command that exits before reading all its input (a refusal) closes the pipe: its
    // exit status says what happened, so EPIPE here is not the test's error.
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}
