// A stand-in for the node's executor (appliance/exec) behind the SSH console's `cpu`: it runs
// `sh -c COMMAND` (or `sh` for a login shell) on this host, with no namespaces, and records
// every call the console makes (start, resize, signal, hangup), so the SSH side can be tested
// without 9p or cgroups. With a tty it has no real pty: stderr is folded into stdout, as a
// pty would, and `stderr` is undefined.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { CpuExit, CpuProcess, CpuRequest, CpuRunner } from '../../../appliance/console/index.js';
import { notFound, permission } from '../../../appliance/errors.js';

export type CpuCall =
  | { call: 'start'; user: string; env: string; req: CpuRequest }
  | { call: 'resize'; cols: number; rows: number }
  | { call: 'signal'; sig: string }
  | { call: 'hangup' };

export class FakeCpu implements CpuRunner {
  readonly calls: CpuCall[] = [];
  /** Environments alice may run in; `theirs` is bob's (permission refused). */
  constructor(readonly unavailable: string | undefined = undefined, private readonly envs = ['dev']) {}

  async start(user: string, env: string, req: CpuRequest): Promise<CpuProcess> {
    this.calls.push({ call: 'start', user, env, req });
    if (env === 'theirs') throw permission(`environment ${env} is not yours, and you were not invited into it`);
    if (!this.envs.includes(env)) throw notFound(`environment ${env}`);
    const script = req.command ?? 'exec sh';
    const child = spawn('sh', ['-c', req.tty ? `exec 2>&1; ${script}` : script], {
      stdio: ['pipe', 'pipe', 'pipe'], detached: true, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...(req.tty ? { TERM: req.tty.term } : {}) },
    });
    const group = (sig: NodeJS.Signals) => { try { process.kill(-child.pid!, sig); } catch { /* gone */ } };
    const exited = new Promise<CpuExit>((resolve) => {
      child.on('close', (code, signal) => resolve({ code, signal, status: code ?? 128 + (signal ? constants.signals[signal] : 0) }));
    });
    return {
      stdin: child.stdin!, stdout: child.stdout!, stderr: req.tty ? undefined : child.stderr!,
      resize: (cols, rows) => { this.calls.push({ call: 'resize', cols, rows }); },
      signal: (sig) => { this.calls.push({ call: 'signal', sig }); group(sig); },
      hangup: () => { this.calls.push({ call: 'hangup' }); group('SIGHUP'); },
      exited,
    };
  }

  /** Calls of one kind. */
  of<K extends CpuCall['call']>(kind: K): Array<Extract<CpuCall, { call: K }>> {
    return this.calls.filter((c): c is Extract<CpuCall, { call: K }> => c.call === kind);
  }
}

/** Waits (bounded) until `ok()`. */
export async function until(ok: () => boolean, what: string, ms = 10_000): Promise<void> {
  for (let i = 0; i < ms / 25 && !ok(); i++) await new Promise((r) => setTimeout(r, 25));
  if (!ok()) throw new Error(`timed out waiting for ${what}`);
}
