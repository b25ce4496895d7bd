// bench/grid's laboratory: real `colony serve` processes and an rsync daemon inside the
// namespaces of test/helpers/netns.ts, a long-lived `colony console --json` per node, and
// the meters (bytes on a namespace's eth0, a process's RSS and CPU time). Everything
// started here is registered with the Lab and stopped by PID in reverse order.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { childEnv, cliEntry, repoRoot, tsLoader } from '../test/helpers/cli.js';
import type { Lan } from '../test/helpers/netns.js';

export const PEER_PORT = 17034;

/** How `colony` is run: node flags + entry script (the compiled build, or the sources through tsx). */
export interface Runtime { entry: string[]; what: string }
export const fromSources: Runtime = { entry: [...tsLoader, cliEntry], what: 'sources through tsx' };

/**
 * Compiles appliance/ into DIR/build (what `npm run build` makes, as an appliance runs it)
 * without touching the shared dist/; node_modules and package.json are linked beside it.
 * Falls back to the sources when nothing was emitted.
 */
export async function buildRuntime(dir: string): Promise<Runtime> {
  const out = join(dir, 'build');
  await mkdir(out, { recursive: true });
  await symlink(join(repoRoot, 'node_modules'), join(out, 'node_modules'));
  await symlink(join(repoRoot, 'package.json'), join(out, 'package.json'));
  const tsc = join(repoRoot, 'node_modules/.bin/tsc');
  const r = spawnSync(tsc, ['-p', join(repoRoot, 'tsconfig.build.json'), '--outDir', join(out, 'dist'), '--tsBuildInfoFile', join(out, 'tsbuildinfo')], { cwd: repoRoot, encoding: 'utf8' });
  const run = join(out, 'dist/appliance/cli/run.js');
  if (existsSync(run)) {
    // Errors in files other helpers are editing still emit; say so rather than stop.
    if (r.status !== 0) process.stderr.write(`tsc reported errors (the build was emitted anyway):\n${r.stdout.slice(0, 2000)}\n`);
    return { entry: [run], what: 'the compiled build' };
  }
  process.stderr.write(`the build failed (${r.stdout.slice(0, 2000)}); running the sources through tsx\n`);
  return fromSources;
}

/** `colony` CLI children running now (see colony()). */
const transient = new Set<ChildProcess>();

/** A teardown stack (what createLan wants), run once: on success, failure or a signal. */
export class Lab {
  private fns: Array<() => unknown> = [];
  private ran?: Promise<void>;
  teardown(fn: () => unknown): void { this.fns.push(fn); }
  cleanup(): Promise<void> {
    this.ran ??= (async () => {
      // Short-lived CLI commands still running (an import cut short by Ctrl-C) go first.
      for (const c of transient) c.kill('SIGKILL');
      for (const fn of this.fns.splice(0).reverse()) {
        try { await fn(); } catch (err) { process.stderr.write(`cleanup: ${(err as Error).message}\n`); }
      }
    })();
    return this.ran;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Stops a child by its PID: SIGTERM, SIGKILL after `graceMs`; resolves when it is gone. */
async function stopChild(child: ChildProcess, graceMs = 20_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || !child.pid) return;
  const gone = new Promise<void>((r) => child.once('close', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); }, graceMs);
  await gone;
  clearTimeout(timer);
}

export interface ServeNode {
  name: string;
  data: string;
  address: string;
  /** `ip netns exec` execs node in place: this is the supervisor's own PID. */
  pid: number;
  log(): string;
  /** SIGTERM and wait (a --cpu-prof profile is written on that clean exit). */
  stop(): Promise<void>;
}

/** `colony serve` in the node's namespace, peer network on <its address>:17034; waits for ready. */
export async function startServe(lab: Lab, rt: Runtime, lan: Lan, name: string, data: string, profileDir?: string): Promise<ServeNode> {
  const n = lan.node(name);
  const [cmd, args] = lan.wrap(name, process.execPath, [
    '--initial-old-space-size=64', '--max-semi-space-size=2', ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), ...rt.entry, 'serve', '--data', data,
    // Each namespace has its own loopback: fixed ports cannot collide.
    '--9p', '127.0.0.1:5640', '--ssh', '127.0.0.1:2222', '--peer', `${n.address}:${PEER_PORT}`,
  ]);
  const child = spawn(cmd, args, { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'], env: childEnv({ COLONY_LOG_LEVEL: process.env.COLONY_LOG_LEVEL ?? 'warn' }) });
  lab.teardown(() => stopChild(child));
  let log = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (s: string) => { log = (log + s).slice(-100_000); });
  for (let i = 0; i < 600; i++) {
    let state = 'none';
    try { state = (JSON.parse(readFileSync(join(data, 'health.json'), 'utf8')) as { state: string }).state; } catch { /* not yet */ }
    if (state === 'ready') return { name, data, address: n.address, pid: child.pid!, log: () => log, stop: () => stopChild(child) };
    if (child.exitCode !== null) break;
    await sleep(100);
  }
  throw new Error(`colony serve on ${name} did not become ready: ${log.slice(-3000)}`);
}

export interface ConsoleAnswer { command?: string; ok: boolean; output?: string; result?: unknown; error?: unknown }

/** One `colony console --json` session over DATA/console.sock: one JSON line per command. */
export class ConsoleSession {
  private waiting: Array<(a: ConsoleAnswer) => void> = [];
  private constructor(private child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let a: ConsoleAnswer;
      try { a = JSON.parse(line) as ConsoleAnswer; } catch { return; }
      this.waiting.shift()?.(a);
    });
  }
  static open(lab: Lab, rt: Runtime, data: string): ConsoleSession {
    const child = spawn(process.execPath, [...rt.entry, 'console', '--json', '--data', data], { cwd: repoRoot, stdio: ['pipe', 'pipe', 'inherit'], env: childEnv() });
    const s = new ConsoleSession(child);
    lab.teardown(() => s.close());
    return s;
  }
  close(): Promise<void> {
    this.child.stdin!.end();
    return stopChild(this.child, 5_000);
  }
  /** Sends one line; rejects after `timeoutMs` or on `ok: false`. */
  ask(line: string, timeoutMs = 60_000): Promise<ConsoleAnswer> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`console '${line}': no answer in ${timeoutMs} ms`)), timeoutMs);
      timer.unref();
      this.waiting.push((a) => {
        clearTimeout(timer);
        if (a.ok) resolve(a); else reject(new Error(`console '${line}': ${JSON.stringify(a)}`));
      });
      this.child.stdin!.write(`${line}\n`);
    });
  }
}

/** A `colony` CLI command against DATA (forwarded to its supervisor); rejects unless it exits 0. */
export function colony(rt: Runtime, args: string[], data: string, timeoutMs = 3_600_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...rt.entry, ...args, '--data', data], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs, env: childEnv({ COLONY_LOG_LEVEL: 'warn' }) });
    transient.add(child);
    child.on('close', () => transient.delete(child));
    let out = '';
    let err = '';
    child.stdout!.on('data', (b: Buffer) => { out += b.toString(); });
    child.stderr!.on('data', (b: Buffer) => { err = (err + b.toString()).slice(-4000); });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`colony ${args.join(' ')} exited ${code}: ${err}`))));
  });
}

/** eth0 received + sent bytes inside the node's namespace (the veth to the switch). */
export function wireBytes(lan: Lan, name: string): number {
  const line = lan.exec(name, 'cat', ['/proc/net/dev']).split('\n').find((l) => l.trim().startsWith('eth0:'));
  if (!line) throw new Error(`no eth0 in ${name}'s namespace`);
  const f = line.split(':')[1]!.trim().split(/\s+/).map(Number);
  return f[0]! + f[8]!; // rx bytes, tx bytes
}

/** Resident set now and its high-water mark (bytes), from /proc/PID/status. */
export function rssOf(pid: number): { rss: number; hwm: number; parts: string } {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? 0) * 1024;
  const mb = (k: string) => `${(kb(k) / 1e6).toFixed(0)} MB`;
  // Anonymous (heap, buffers) against file-backed (node's binary, mapped code) memory.
  return { rss: kb('VmRSS'), hwm: kb('VmHWM'), parts: `anon ${mb('RssAnon')}, file ${mb('RssFile')}` };
}

/** User + system CPU seconds the process has used (all its threads). */
export function cpuOf(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
}

/** Samples a process's RSS every `everyMs` until stopped; keeps the peak. */
export function rssSampler(pid: number, everyMs = 100): { stop(): { peak: number; hwm: number; samples: number; atPeak: string } } {
  let peak = 0;
  let samples = 0;
  let atPeak = '';
  const sample = () => {
    const r = rssOf(pid);
    samples++;
    if (r.rss >= peak) { peak = r.rss; atPeak = r.parts; }
    return r;
  };
  const timer = setInterval(() => { try { sample(); } catch { /* exiting */ } }, everyMs);
  timer.unref();
  return { stop: () => { clearInterval(timer); const now = sample(); return { peak, hwm: now.hwm, samples, atPeak }; } };
}

/** An rsync daemon in `name`'s namespace on port 873, one writable module `mod` at `dir`. */
export async function startRsyncDaemon(lab: Lab, lan: Lan, name: string, dir: string, confDir: string): Promise<{ url: string }> {
  const addr = lan.node(name).address;
  const conf = join(confDir, 'rsyncd.conf');
  await writeFile(conf, `uid = root\ngid = root\nuse chroot = no\npid file = ${join(confDir, 'rsyncd.pid')}\nlog file = ${join(confDir, 'rsyncd.log')}\n[mod]\n  path = ${dir}\n  read only = false\n`);
  const [cmd, args] = lan.wrap(name, 'rsync', ['--daemon', '--no-detach', `--config=${conf}`, '--port=873', `--address=${addr}`]);
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  lab.teardown(() => stopChild(child, 5_000));
  const others = lan.nodes.filter((n) => n.name !== name);
  for (let i = 0; i < 100; i++) {
    try {
      if (/\bmod\b/.test(lan.exec(others[0]!.name, 'rsync', [`rsync://${addr}/`]))) return { url: `rsync://${addr}/mod/` };
    } catch { /* not listening yet */ }
    if (child.exitCode !== null) break;
    await sleep(100);
  }
  throw new Error('the rsync daemon did not start');
}

/** `rsync -a SRC/ URL` from `name`'s namespace; resolves with the wall time in ms. */
export function rsyncTo(lan: Lan, name: string, src: string, url: string): Promise<number> {
  const [cmd, args] = lan.wrap(name, 'rsync', ['-a', `${src}/`, url]);
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(performance.now() - t0) : reject(new Error(`rsync exited ${code}`))));
  });
}
