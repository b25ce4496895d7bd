// bench/grid --profile: a cheap summary of a V8 .cpuprofile (`node --cpu-prof`): where the
// samples' self time went, by package (a node_modules package, our folder under appliance/,
// or node's own) and by function. Enough to say what dominates; open the file in a
// profiler for more.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }
interface CpuProfile { nodes: ProfileNode[]; startTime: number; endTime: number; samples: number[] }

/** node_modules/@scope/pkg, node_modules/pkg, appliance/<folder>, node:internal, or (program)/(gc)/(idle). */
export function bucketOf(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  const ours = /\/(appliance\/[^/]+)\//.exec(url);
  if (ours) return ours[1]!;
  if (url.startsWith('node:')) return 'node (built-in modules)';
  return url.replace(/^.*\//, '');
}

function table(totals: Map<string, number>, all: number, top: number): string[] {
  return [...totals.entries()].sort((x, y) => y[1] - x[1]).slice(0, top)
    .map(([k, n]) => `    ${(100 * n / all).toFixed(1).padStart(5)}%  ${k}`);
}

/** Lines describing every .cpuprofile in `dir` (one per process). */
export function summarizeProfiles(dir: string, label: string, top = 10): string[] {
  const out: string[] = [];
  let files: string[] = [];
  try { files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')); } catch { /* none written */ }
  if (files.length === 0) return [`  ${label}: no profile was written in ${dir}`];
  for (const f of files) {
    const p = JSON.parse(readFileSync(join(dir, f), 'utf8')) as CpuProfile;
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    const buckets = new Map<string, number>();
    const fns = new Map<string, number>();
    let busy = 0;
    // Self samples: each sample names the node on top of the stack.
    for (const id of p.samples) {
      const n = byId.get(id);
      if (!n) continue;
      const { functionName, url, lineNumber } = n.callFrame;
      if (functionName === '(idle)') continue;
      busy++;
      const b = bucketOf(url, functionName);
      buckets.set(b, (buckets.get(b) ?? 0) + 1);
      const fn = `${functionName || '(anonymous)'} ${url ? `${url.replace(/^.*\/(node_modules|appliance)\//, '$1/')}:${lineNumber + 1}` : ''}`;
      fns.set(fn, (fns.get(fn) ?? 0) + 1);
    }
    const secs = (p.endTime - p.startTime) / 1e6;
    out.push(`  ${label} (${f}): ${secs.toFixed(1)} s profiled, busy ${(100 * busy / Math.max(1, p.samples.length)).toFixed(0)}% of samples; self time of the busy samples by package:`);
    out.push(...table(buckets, busy, top));
    out.push('  by function:');
    out.push(...table(fns, busy, top));
  }
  return out;
}

// x86_64 syscall numbers worth naming (elsewhere the number is printed).
const SYSCALLS: Record<string, string> = {
  0: 'read', 1: 'write', 3: 'close', 4: 'stat', 5: 'fstat', 7: 'poll', 17: 'pread64', 18: 'pwrite64', 19: 'readv', 20: 'writev',
  9: 'mmap', 11: 'munmap', 44: 'sendto', 45: 'recvfrom', 74: 'fsync', 75: 'fdatasync', 77: 'ftruncate', 82: 'rename', 202: 'futex', 232: 'epoll_wait', 257: 'openat', 262: 'newfstatat', 281: 'epoll_pwait',
};

/**
 * Samples every thread of `pid` each `everyMs`: running (R), or blocked in which system call
 * (/proc/PID/task/TID/syscall), main thread apart from the others; R is on a CPU or queued for one. Says whether a process
 * that is not busy waits on the network, the disk (fsync) or nothing, at no cost to it.
 */
export function threadSampler(pid: number, everyMs = 50): { stop(): string[] } {
  const counts = new Map<string, number>();
  let ticks = 0;
  const timer = setInterval(() => {
    let tids: string[];
    try { tids = readdirSync(`/proc/${pid}/task`); } catch { return; }
    ticks++;
    for (const tid of tids) {
      try {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
        const sc = readFileSync(`/proc/${pid}/task/${tid}/syscall`, 'utf8').split(' ')[0]!.trim();
        const what = state === 'R' || sc === 'running' ? 'runnable (R: on a CPU, or waiting for one)' : `${state} in ${SYSCALLS[sc] ?? `syscall ${sc}`}`;
        const key = `${Number(tid) === pid ? 'main thread' : 'other threads'}: ${what}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      } catch { /* the thread ended */ }
    }
  }, everyMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      const idle = /in (epoll_wait|epoll_pwait|futex)$/;
      return [...counts.entries()].filter(([k]) => k.startsWith('main') || !idle.test(k)).sort((x, y) => y[1] - x[1]).slice(0, 8)
        .map(([k, n]) => `    ${(100 * n / Math.max(1, ticks)).toFixed(0).padStart(4)}% of samples  ${k}`);
    },
  };
}
