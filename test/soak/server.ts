// The soak's supervisor: one `colony serve` child on a data directory that outlives it,
// started again on the same ports after every SIGKILL. Also the three ways the soak talks
// to it: the ctl file on DATA/9p.sock (no password there), the OpenSSH client with the key of
// the soak's own admin (so the first admin's one-time password does not matter), and
// the CLI (`colony export`, forwarded to the running supervisor).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { childEnv, cliEntry, repoRoot, runCli, tsLoader, type CliResult } from '../helpers/cli.js';
import { runSshClient, sshOptions, type SshResult } from '../helpers/openssh.js';
import { freePort } from '../helpers/colony-server.js';
import { readHealth } from '../../appliance/supervisor/health.js';
import { NinepClient, L_O_RDWR } from '../../appliance/ninep/index.js';

export class SoakServer {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private logTail = '';
  /** Peak VmRSS of any supervisor process so far, in bytes, and the samples taken. */
  peakRss = 0;
  /** Peak VmRSS of the current (or last) process. */
  lifePeakRss = 0;
  samples = 0;
  private sampler: NodeJS.Timeout | undefined;

  private constructor(readonly data: string, readonly ninepPort: number, readonly sshPort: number, readonly sshKey: string) {}

  static async create(data: string, sshKey: string): Promise<SoakServer> {
    return new SoakServer(data, await freePort(), await freePort(), sshKey);
  }

  get pid(): number | undefined { return this.child?.pid; }
  get tcp(): string { return `127.0.0.1:${this.ninepPort}`; }
  get unix(): string { return join(this.data, '9p.sock'); }
  log(): string { return this.logTail; }

  /** Starts `colony serve` and waits (bounded, 120 s) until this very process says ready. */
  async start(): Promise<void> {
    const child = spawn(process.execPath, [
      '--initial-old-space-size=64', ...tsLoader, cliEntry, 'serve', '--data', this.data,
      '--9p', this.tcp, '--ssh', `127.0.0.1:${this.sshPort}`, '--peer', '127.0.0.1:0',
    ], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'], env: childEnv({ COLONY_LOG_LEVEL: 'warn' }) });
    this.child = child;
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (s: string) => { this.logTail = (this.logTail + s).slice(-20_000); });
    this.exited = new Promise((resolve) => child.on('close', () => resolve()));
    const deadline = Date.now() + 120_000;
    for (;;) {
      const h = await readHealth(this.data);
      // health.json left by the killed process still says ready: only this pid counts.
      if (h.state === 'ready' && 'pid' in h && h.pid === child.pid) break;
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`colony serve exited while starting: ${this.logTail.slice(-3000)}`);
      if (Date.now() > deadline) throw new Error(`colony serve not ready after 120 s (${h.state}): ${this.logTail.slice(-3000)}`);
      await sleep(100);
    }
    this.lifePeakRss = 0;
    this.sampleRss();
    this.sampler = setInterval(() => this.sampleRss(), 2000);
  }

  private sampleRss(): void {
    const pid = this.child?.pid;
    if (!pid) return;
    readFile(`/proc/${pid}/status`, 'utf8').then((s) => {
      const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(s)?.[1] ?? 0);
      this.samples++;
      this.peakRss = Math.max(this.peakRss, kb * 1024);
      this.lifePeakRss = Math.max(this.lifePeakRss, kb * 1024);
    }, () => {});
  }

  /** SIGKILL by pid, then waits for the child to be reaped. */
  async kill(): Promise<void> {
    clearInterval(this.sampler);
    const c = this.child;
    if (c && c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM, SIGKILL after 30 s. */
  async stop(): Promise<void> {
    clearInterval(this.sampler);
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    c.kill('SIGTERM');
    const timer = setTimeout(() => c.kill('SIGKILL'), 30_000);
    await this.exited;
    clearTimeout(timer);
  }

  /** One console line through the ctl file as the soak's user; throws on a failed write or `error:`. */
  async ctl(line: string): Promise<string> {
    const c = await NinepClient.connect(this.unix);
    try {
      const { fid } = await c.attach('ctl', SOAK_USER);
      const f = await c.walkPath(fid, 'ctl');
      await c.open(f, L_O_RDWR);
      await c.write(f, 0, Buffer.from(line));
      const out = (await c.readAll(f)).toString();
      if (/^error:/m.test(out)) throw new Error(`ctl '${line}': ${out}`);
      return out;
    } finally { c.close(); }
  }

  /** One console line as the soak's user through the OpenSSH client with the soak's key, 60 s at most. */
  ssh(line: string): Promise<SshResult> {
    const args = [...sshOptions(), '-T', '-i', this.sshKey, '-o', 'IdentitiesOnly=yes', '-o', 'PreferredAuthentications=publickey',
      '-o', 'BatchMode=yes', '-p', String(this.sshPort), `${SOAK_USER}@127.0.0.1`, line];
    return runSshClient('ssh', args, { timeoutMs: 60_000 });
  }

  cli(args: string[]): Promise<CliResult> {
    return runCli([...args, '--data', this.data], { timeoutMs: 300_000, env: { COLONY_LOG_LEVEL: 'warn' } });
  }
}

/** The admin the soak works as: made with `colony users add --admin --key`, no password. */
export const SOAK_USER = 'soak';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
