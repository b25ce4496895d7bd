// DATA/health.json: what the supervisor says about itself, and how a reader judges it.
// Only the process that holds the data directory's lock (the store index) writes it, so a
// second instance that fails on the lock never overwrites the live one's state. A file
// left by a process that died without stopping (kill -9, power loss) still says `ready`:
// readers check the pid (and its start time, which pid reuse cannot fake) and report
// `dead` instead.
import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileDurably } from '../files.js';

/** `degraded`: serving, but a paired peer has been unreachable longer than peer.unreachableDegradedSeconds. */
export type HealthState = 'booting' | 'ready' | 'degraded' | 'stopping' | 'stopped' | 'error';

export interface HealthFile {
  state: HealthState;
  pid: number;
  /** The writer's start time in clock ticks since boot (/proc/PID/stat field 22), when known. */
  pidStart?: string;
  started: string;
  updated: string;
  /** With `error` (or `degraded`): the one line that says what went wrong. */
  error?: string;
  /** The board when the record was written (hw/sysinfo, the LED condition): temperature, memory, load, disk. Written on state changes only, to spare the SD card. */
  board?: Record<string, unknown>;
}

/** A reader's view: the file, and whether the process that wrote it still runs. */
export type HealthReport =
  | { state: 'absent' }
  | { state: 'unreadable'; error: string }
  | (Omit<HealthFile, 'state'> & { state: HealthState | 'dead'; written: HealthState; alive: boolean });

export const healthPath = (data: string) => join(data, 'health.json');

interface ProcStat { state: string; start: string }

/** State and start time of a process from /proc/PID/stat, or undefined (not Linux, gone). */
function procStat(pid: number): ProcStat | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', start: fields[19] ?? '' };
  } catch {
    return undefined;
  }
}

/** The start time of a process in clock ticks since boot, which pid reuse cannot fake. */
export const processStart = (pid: number): string | undefined => procStat(pid)?.start;

/**
 * True while `pid` runs and (when both are known) is the same process that wrote the file.
 * A zombie (killed, not yet reaped by its parent) counts as dead: kill(pid, 0) still
 * succeeds on it.
 */
export function processAlive(pid: number, pidStart: string | undefined): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false; // EPERM: it runs as someone else
  }
  const now = procStat(pid);
  if (!now) return true;
  if (now.state === 'Z' || now.state === 'X') return false;
  return pidStart === undefined || now.start === pidStart;
}

/**
 * Pure: what a reader should believe. A state that claims a running process (`booting`,
 * `ready`, `stopping`) with no such process means the supervisor died without stopping.
 */
export function judgeHealth(file: HealthFile, alive: boolean): HealthReport {
  const claimsRunning = file.state === 'booting' || file.state === 'ready' || file.state === 'degraded' || file.state === 'stopping';
  return { ...file, state: claimsRunning && !alive ? 'dead' : file.state, written: file.state, alive };
}

export async function readHealth(data: string): Promise<HealthReport> {
  let raw: string;
  try {
    raw = await readFile(healthPath(data), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'absent' };
    return { state: 'unreadable', error: (err as Error).message };
  }
  let file: HealthFile;
  try {
    file = JSON.parse(raw) as HealthFile;
    if (typeof file.state !== 'string' || typeof file.pid !== 'number') throw new Error('no state or pid');
  } catch (err) {
    return { state: 'unreadable', error: `${healthPath(data)} is not a health record: ${(err as Error).message}` };
  }
  return judgeHealth(file, processAlive(file.pid, file.pidStart));
}

/** Writes the record atomically (temporary file, fsync, rename), so a reader never sees half. */
export async function writeHealth(data: string, record: HealthFile): Promise<void> {
  await writeFileDurably(healthPath(data), JSON.stringify(record) + '\n', 0o600); // like all of DATA, the owner's only
}
