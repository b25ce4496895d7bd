// One session of the xcpu tree (the directory N/): its settings before exec, its process
// after, and the blocking reads over it. Knows nothing of 9P; xcpu.ts maps files onto it.
//
// States: new → starting → running → exited; a failed start goes back to new (the error is
// kept for the state text) so the user may fix `cwd` and exec again.
//
// Concurrency: every method may be called at any time from concurrent 9P requests. State
// changes happen synchronously (exec moves to `starting` before its first await), so two
// racing execs start one process and the other fails COLONY_INVALID. Reads of stdout,
// stderr and wait made before exec wait for it (abortably).
import { ColonyError, closed, invalid } from '../errors.js';
import type { ExecProcess, ExecService, ExitStatus } from './types.js';
import { formatExit, parseCtl, quote, MAX_ENV, type XcpuCommand } from './xcpu-ctl.js';
import { StreamPull, Wakeup, interrupted } from './xcpu-stream.js';

export type SessionState = 'new' | 'starting' | 'running' | 'exited';

export class XcpuSession {
  state: SessionState = 'new';
  /** Open 9P handles on this session's files (xcpu.ts counts them; reaping needs 0). */
  handles = 0;
  /** Handles open for writing on N/stdin: the last one's release closes stdin. */
  stdinWriters = 0;
  argv: string[] | undefined;
  readonly vars: Record<string, string> = {};
  cwd: string | undefined;
  lastError: string | undefined;
  exit: ExitStatus | undefined;
  /** Set when the state changes to one a reaper cares about (exited, or a failed start). */
  onIdle: (() => void) | undefined;

  private proc: ExecProcess | undefined;
  private starting: Promise<void> | undefined;
  private stdinClosed = false;
  private disposed = false;
  private out = new StreamPull(undefined);
  private err = new StreamPull(undefined);
  private readonly changed = new Wakeup();

  constructor(readonly id: number, private readonly exec: ExecService, readonly user: string, readonly env: string) {}

  /** Runs one ctl write, command by command; the first failure fails the write. */
  async ctl(text: string): Promise<void> {
    for (const cmd of parseCtl(text)) await this.apply(cmd);
  }

  private async apply(cmd: XcpuCommand): Promise<void> {
    switch (cmd.verb) {
      case 'env':
        this.beforeExec('env');
        if (!(cmd.name in this.vars) && Object.keys(this.vars).length >= MAX_ENV) throw invalid(`at most ${MAX_ENV} env settings`);
        this.vars[cmd.name] = cmd.value;
        return;
      case 'cwd':
        this.beforeExec('cwd');
        this.cwd = cmd.path;
        return;
      case 'exec':
        return this.start(cmd.argv);
      case 'eof':
        this.closeStdin();
        return;
      case 'kill':
        if (this.state === 'starting') await this.starting;
        if (this.state === 'new') throw invalid('kill: nothing has been started');
        if (this.state === 'running') this.proc!.signal(cmd.signal);
        return;
    }
  }

  private beforeExec(verb: string): void {
    if (this.state !== 'new') throw invalid(`${verb} must come before exec`);
  }

  private async start(argv: string[]): Promise<void> {
    this.beforeExec('exec');
    this.state = 'starting';
    this.argv = argv;
    const started = this.exec.start(this.user, this.env, { argv, env: { ...this.vars }, ...(this.cwd === undefined ? {} : { cwd: this.cwd }) });
    this.starting = started.then(() => undefined, () => undefined);
    let proc: ExecProcess;
    try {
      proc = await started;
    } catch (err) {
      this.state = 'new';
      this.lastError = err instanceof ColonyError ? err.detail : String(err);
      this.changed.wake();
      this.onIdle?.();
      throw err;
    }
    if (this.disposed) {
      // Reaped or closed while starting: nobody can reach this process any more.
      proc.hangup();
      throw closed(`session ${this.id}`);
    }
    this.proc = proc;
    this.lastError = undefined;
    this.out = new StreamPull(proc.stdout);
    this.err = new StreamPull(proc.stderr);
    // EPIPE once the process is gone is expected; writes see it through their callback.
    proc.stdin.on('error', () => {});
    if (this.stdinClosed) proc.stdin.end();
    this.state = 'running';
    this.changed.wake();
    void proc.exited.then((st) => {
      this.exit = st;
      this.state = 'exited';
      this.changed.wake();
      this.onIdle?.();
    });
  }

  /** Waits (abortably) until exec has started a process, or returns at once if it has. */
  private async started(signal: AbortSignal): Promise<void> {
    // Bounded by the signal: a read before exec waits as long as its client does.
    while (this.state === 'new' || this.state === 'starting') await this.changed.wait(signal);
  }

  closeStdin(): void {
    this.stdinClosed = true;
    if (this.proc && !this.proc.stdin.writableEnded) this.proc.stdin.end();
  }

  /** Writes to the process's stdin; resolves once the bytes reached its pipe. */
  async writeStdin(data: Buffer, signal: AbortSignal): Promise<void> {
    await this.started(signal);
    const stdin = this.proc!.stdin;
    if (this.stdinClosed || stdin.writableEnded || stdin.destroyed || this.state === 'exited') throw closed('stdin');
    if (data.length === 0) return;
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => reject(interrupted());
      if (signal.aborted) { onAbort(); return; }
      signal.addEventListener('abort', onAbort, { once: true });
      stdin.write(data, (err) => {
        signal.removeEventListener('abort', onAbort);
        if (err) reject(closed('stdin')); else resolve();
      });
    });
  }

  async read(which: 'stdout' | 'stderr', count: number, signal: AbortSignal): Promise<Buffer> {
    await this.started(signal);
    return (which === 'stdout' ? this.out : this.err).read(count, signal);
  }

  /** The exit status text, once the process has exited. */
  async wait(signal: AbortSignal): Promise<string> {
    while (this.state !== 'exited') await this.changed.wait(signal);
    return formatExit(this.exit!);
  }

  /** What reading ctl (or status) gives: one `key value` per line. */
  stateText(): string {
    const lines = [`session ${this.id}`, `environment ${this.env}`, `state ${this.state}`];
    if (this.argv) lines.push(`argv ${this.argv.map(quote).join(' ')}`);
    if (this.cwd !== undefined) lines.push(`cwd ${quote(this.cwd)}`);
    for (const [k, v] of Object.entries(this.vars)) lines.push(`env ${k}=${quote(v)}`);
    if (this.proc) lines.push(`process ${this.proc.id}`);
    if (this.exit) lines.push(`exit ${formatExit(this.exit).trim()}`);
    if (this.lastError) lines.push(`error ${this.lastError}`);
    return `${lines.join('\n')}\n`;
  }

  /** Lets everything go: a running process gets hung up (SIGHUP, then killed by the service). */
  dispose(): void {
    this.disposed = true;
    if (this.state === 'running') this.proc!.hangup();
    this.out.destroy();
    this.err.destroy();
    if (this.proc && !this.proc.stdin.destroyed) this.proc.stdin.destroy();
    this.changed.wake();
  }
}
