// bench/idle's meters and its loopback supervisors: what a process holds (RSS, PSS, the V8
// heap is not visible from outside, so anonymous vs file-backed), its CPU time and its
// context switches (each one a wakeup of some thread) over a window, read from /proc.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { childEnv, repoRoot } from '../test/helpers/cli.js';
import type { Lab, Runtime } from './grid-lab.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TICK = 100; // USER_HZ: /proc/PID/stat counts CPU time in 1/100 s

export interface Memory { rss: number; pss: number; anon: number; file: number; threads: number }

/** RSS and its parts from /proc/PID/status, PSS from smaps_rollup (bytes). */
export function memoryOf(pid: number): Memory {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (text: string, k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0) * 1024;
  let pss = 0;
  try { pss = kb(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'), 'Pss'); } catch { /* kernel without it */ }
  return { rss: kb(s, 'VmRSS'), pss, anon: kb(s, 'RssAnon'), file: kb(s, 'RssFile'), threads: Number(/^Threads:\s+(\d+)/m.exec(s)?.[1] ?? 0) };
}

/** CPU seconds (user + system, all threads) and context switches summed over the threads. */
export function countersOf(pid: number): { cpu: number; switches: number } {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  let switches = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const s = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
      switches += Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(s)?.[1] ?? 0) + Number(/^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(s)?.[1] ?? 0);
    } catch { /* the thread ended */ }
  }
  return { cpu: (Number(f[11]) + Number(f[12])) / TICK, switches };
}

export interface Window { pid: number; seconds: number; cpuPercent: number; wakeupsPerSecond: number; mem: Memory; maxRss: number }

/**
 * Watches several processes over the same `seconds`: CPU % of one core and wakeups/s from the
 * counters at both ends, memory sampled every 5 s (the last sample, and the highest RSS).
 */
export async function measure(pids: number[], seconds: number): Promise<Window[]> {
  const start = pids.map(countersOf);
  const t0 = performance.now();
  const maxRss = pids.map(() => 0);
  for (let left = seconds; left > 0; left -= 5) {
    await sleep(Math.min(5, left) * 1000);
    pids.forEach((p, i) => { maxRss[i] = Math.max(maxRss[i]!, memoryOf(p).rss); });
  }
  const wall = (performance.now() - t0) / 1000;
  return pids.map((pid, i) => {
    const end = countersOf(pid);
    return {
      pid, seconds: wall, cpuPercent: (100 * (end.cpu - start[i]!.cpu)) / wall,
      wakeupsPerSecond: (end.switches - start[i]!.switches) / wall, mem: memoryOf(pid), maxRss: maxRss[i]!,
    };
  });
}

/** `strace -f -c -p PID` for `seconds`: the syscall table (what the threads woke up to do). */
export function straceSummary(pid: number, seconds: number): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn('timeout', ['-s', 'INT', String(seconds), 'strace', '-f', '-c', '-p', String(pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let out = '';
    child.stderr.on('data', (b: Buffer) => { out += b.toString(); });
    child.on('error', (err) => resolve(`strace failed: ${err.message}`));
    child.on('close', () => resolve(out));
  });
}

export interface Served { name: string; data: string; peer: string; pid: number; child: ChildProcess; log(): string }

/** `colony serve` on loopback (9P and SSH on port 0, the peer network on `peerPort`, no front panel); waits for ready. */
export async function serveLoopback(lab: Lab, rt: Runtime, o: { name: string; data: string; peerPort: number; nodeFlags: string[]; config?: string; env?: NodeJS.ProcessEnv }): Promise<Served> {
  const peer = `127.0.0.1:${o.peerPort}`;
  const args = [...o.nodeFlags, ...rt.entry, 'serve', '--data', o.data, ...(o.config ? ['--config', o.config] : []),
    '--9p', '127.0.0.1:0', '--ssh', '127.0.0.1:0', '--peer', peer, '--web', 'off'];
  const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'], env: childEnv({ COLONY_LOG_LEVEL: process.env.COLONY_LOG_LEVEL ?? 'warn', ...o.env }) });
  lab.teardown(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((r) => child.once('close', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await gone;
    clearTimeout(timer);
  });
  let log = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (s: string) => { log = (log + s).slice(-50_000); });
  for (let i = 0; i < 900; i++) {
    let state = 'none';
    try { state = (JSON.parse(readFileSync(join(o.data, 'health.json'), 'utf8')) as { state: string }).state; } catch { /* not yet */ }
    if (state === 'ready' || state === 'degraded') return { name: o.name, data: o.data, peer, pid: child.pid!, child, log: () => log };
    if (child.exitCode !== null) break;
    await sleep(100);
  }
  throw new Error(`colony serve ${o.name} did not become ready: ${log.slice(-3000)}`);
}

/**
 * The files a process opens for writing, renames and syncs over `seconds` (strace), counted by
 * path with digits folded (`health.json.tmp-123` → `health.json.tmp-N`): what an idle
 * supervisor writes to its disk, and how often.
 */
export function straceFiles(pid: number, seconds: number): Promise<Array<{ what: string; count: number }>> {
  return new Promise((resolve) => {
    const child = spawn('timeout', ['-s', 'INT', String(seconds), 'strace', '-f', '-qq', '-e', 'trace=openat,rename,renameat,renameat2,fsync,fdatasync,unlink,unlinkat', '-y', '-p', String(pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let out = '';
    child.stderr.on('data', (b: Buffer) => { out += b.toString(); });
    child.on('error', () => resolve([]));
    child.on('close', () => {
      const counts = new Map<string, number>();
      const fold = (s: string) => s.replace(/\d+/g, 'N');
      for (const l of out.split('\n')) {
        const call = /(\w+)\((.*)\)\s+=/.exec(l.replace(/^\[pid\s+\d+\]\s*/, ''));
        if (!call) continue;
        const [, name, args] = call;
        let what: string | undefined;
        if (name === 'openat' && /O_WRONLY|O_RDWR|O_CREAT/.test(args!)) what = `open for write ${/"([^"]+)"/.exec(args!)?.[1]}`;
        else if (name!.startsWith('rename')) what = `rename ${[...args!.matchAll(/"([^"]+)"/g)].map((m) => m[1]).join(' -> ')}`;
        else if (name === 'fsync' || name === 'fdatasync') what = `${name} ${/<([^>]+)>/.exec(args!)?.[1] ?? args}`;
        else if (name!.startsWith('unlink')) what = `unlink ${/"([^"]+)"/.exec(args!)?.[1]}`;
        if (what) counts.set(fold(what), (counts.get(fold(what)) ?? 0) + 1);
      }
      resolve([...counts].map(([what, count]) => ({ what, count })).sort((a, b) => b.count - a.count));
    });
  });
}

/** Resident bytes by mapping (/proc/PID/smaps): files by name, anonymous memory as [anon] or [heap]; largest first. */
export function residentByMapping(pid: number, top = 8): Array<{ what: string; rss: number }> {
  const by = new Map<string, number>();
  let what = '';
  for (const l of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+\s+\S+\s+\S+\s+\S+\s+\d+\s*(.*)$/.exec(l);
    if (head) { what = head[1]!.trim() || '[anon]'; continue; }
    const rss = /^Rss:\s+(\d+) kB/.exec(l);
    if (rss) by.set(what, (by.get(what) ?? 0) + Number(rss[1]) * 1024);
  }
  return [...by].map(([w, rss]) => ({ what: w, rss })).sort((a, b) => b.rss - a.rss).slice(0, top);
}

/** Which descriptors `calls` are made on over `seconds` (strace -y), counted by call and descriptor (digits folded). */
export function straceDescriptors(pid: number, seconds: number, calls: string[]): Promise<Array<{ what: string; count: number }>> {
  return new Promise((resolve) => {
    const child = spawn('timeout', ['-s', 'INT', String(seconds), 'strace', '-f', '-qq', '-yy', '-e', `trace=${calls.join(',')}`, '-p', String(pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let out = '';
    child.stderr.on('data', (b: Buffer) => { out += b.toString(); });
    child.on('error', () => resolve([]));
    child.on('close', () => {
      const counts = new Map<string, number>();
      for (const l of out.split('\n')) {
        const m = /(\w+)\((\d+<(?:->|[^<>])*>|\d+)/.exec(l.replace(/^\[pid\s+\d+\]\s*/, ''));
        if (!m) continue;
        const what = `${m[1]} ${m[2]!.replace(/^\d+/, 'fd').replace(/\[\d+\]/g, '[N]')}`;
        counts.set(what, (counts.get(what) ?? 0) + 1);
      }
      resolve([...counts].map(([what, count]) => ({ what, count })).sort((a, b) => b.count - a.count));
    });
  });
}
