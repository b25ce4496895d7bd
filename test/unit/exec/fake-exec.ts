// A small ExecService for the xcpu and proc tree tests: real child processes on this host
// (no namespaces), environments as a table of owner and invited users. A program that does
// not exist exits 127 with a line on stderr, as the real service does inside an environment.
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import type { Test } from 'tap';
import { notFound, permission } from '../../../appliance/errors.js';
import type { ExecProcess, ExecRequest, ExecService, ExitStatus, ProcessInfo } from '../../../appliance/exec/types.js';

interface Running { proc: ExecProcess; child: ChildProcess; argv: string[] }

export class FakeExec implements ExecService {
  readonly unavailable = undefined;
  readonly running = new Map<number, Running>();
  starts: ExecRequest[] = [];
  private nextId = 1;

  /** env name → owner and invited users. */
  constructor(readonly envs: Record<string, { owner: string; invited?: string[] }>) {}

  private canUse(user: string, env: string): boolean {
    const e = this.envs[env];
    return !!e && (e.owner === user || !!e.invited?.includes(user));
  }

  async start(user: string, envName: string, req: ExecRequest): Promise<ExecProcess> {
    if (!this.envs[envName]) throw notFound(`environment ${envName}`);
    if (!this.canUse(user, envName)) throw permission(`${user} may not run processes in ${envName}`);
    this.starts.push(req);
    const argv = req.argv ?? ['sh', '-c', req.command ?? 'exec sh'];
    // `exec "$@"` through sh: a missing program becomes sh's "not found" and status 127.
    const child = spawn('sh', ['-c', 'exec "$@"', 'sh', ...argv], {
      cwd: req.cwd ?? '/', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...req.env }, stdio: ['pipe', 'pipe', 'pipe'],
    });
    const exited = new Promise<ExitStatus>((resolve) => {
      // 'exit', not 'close': the process is gone even while its output waits to be read.
      child.on('exit', (code, signal) => {
        const sigNo = signal ? (constants.signals as Record<string, number>)[signal] ?? 0 : 0;
        resolve({ code, signal, status: code ?? 128 + sigNo });
        this.running.delete(proc.id);
      });
    });
    const proc: ExecProcess = {
      id: this.nextId++, env: envName, user, uid: 0,
      stdin: child.stdin!, stdout: child.stdout!, stderr: child.stderr!,
      resize() {},
      signal: (sig) => { child.kill(sig); },
      hangup: () => { child.kill('SIGHUP'); },
      exited,
    };
    this.running.set(proc.id, { proc, child, argv });
    return proc;
  }

  listCalls = 0;
  async processes(user: string): Promise<ProcessInfo[]> {
    this.listCalls++;
    const out: ProcessInfo[] = [];
    for (const { proc, child, argv } of this.running.values()) {
      if (!this.canUse(user, proc.env) || child.pid === undefined) continue;
      out.push({
        env: proc.env, owner: this.envs[proc.env]!.owner, pid: child.pid, ppid: process.pid, uid: proc.uid,
        state: 'S', name: argv[0]!, cmdline: argv, session: proc.id, rssBytes: 4096,
      });
    }
    return out;
  }

  killCalls = 0;
  async kill(user: string, envName: string, pid: number, sig: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    this.killCalls++;
    const p = (await this.processes(user)).find((i) => i.env === envName && i.pid === pid);
    if (!p) throw notFound(`process ${pid} in ${envName}`);
    process.kill(pid, sig);
  }

  async close(): Promise<void> {
    for (const { child } of this.running.values()) child.kill('SIGKILL');
    await Promise.all([...this.running.values()].map((r) => r.proc.exited));
  }
}

/** A FakeExec closed (every child killed) when the test ends. */
export function fakeExec(t: Test, envs: ConstructorParameters<typeof FakeExec>[0]): FakeExec {
  const exec = new FakeExec(envs);
  t.teardown(() => exec.close());
  return exec;
}
