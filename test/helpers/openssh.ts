// The OpenSSH client as the tests drive it: options that read no config file and trust any
// host key, a password-only login (through sshpass), and one run of the client, bounded in time.
import { spawn } from 'node:child_process';

export interface SshResult { code: number | null; stdout: string; stderr: string }

/** No config file, any host key, nothing remembered. LogLevel ERROR hides banners; INFO (OpenSSH's default) shows them. */
export function sshOptions(logLevel: 'ERROR' | 'INFO' = 'ERROR'): string[] {
  return ['-F', '/dev/null', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', `LogLevel=${logLevel}`, '-o', 'ConnectTimeout=20'];
}

/** A password login and nothing else, one prompt; `prefs` is PreferredAuthentications. */
export function passwordOnly(prefs = 'password'): string[] {
  return ['-o', `PreferredAuthentications=${prefs}`, '-o', 'PubkeyAuthentication=no', '-o', 'NumberOfPasswordPrompts=1'];
}

/**
 * Runs `file` (ssh, or sshpass in front of it) once and collects its output; SIGKILL after
 * `timeoutMs`. `input` is written to its standard input and closed; without it the standard
 * input is /dev/null.
 */
export function runSshClient(file: string, args: string[], opts: { timeoutMs: number; input?: string | Buffer }): Promise<SshResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.on('error', (err) => { clearTimeout(timer); reject(err); });
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
    // A client that exits before reading its input (a refused login) closes the pipe: EPIPE
    // here is expected, and the exit status tells the test what happened.
    if (opts.input !== undefined) { child.stdin!.on('error', () => {}); child.stdin!.end(opts.input); }
  });
}
