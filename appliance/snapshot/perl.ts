// One way to run the small perl scripts that make system calls Node cannot (utimensat to
// the nanosecond, xattrs on byte-string names). perl comes with perl-base, which is
// Essential on Debian, so every Debian system has it; the error still names the package.
import { spawn } from 'node:child_process';
import { ColonyError } from '../errors.js';

export interface PerlRun {
  /** What the script is for, in "running perl for …". */
  purpose: string;
  /** The start of the message when the script exits non-zero. */
  failure: string;
  cwd?: string;
}

/** Runs `script` with `args`, feeds it `input`, and resolves with its standard output. */
export function runPerl(script: string, args: string[], input: Buffer, run: PerlRun): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('perl', ['-e', script, ...args], { cwd: run.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => { if (err.length < 65536) err += b.toString(); });
    child.stdin.on('error', () => {}); // the exit code tells
    child.on('error', (e) => reject(new ColonyError('COLONY_UNSUPPORTED', `running perl for ${run.purpose} (Debian package perl-base): ${e.message}`, { cause: e })));
    child.on('close', (code) => (code === 0
      ? resolve(Buffer.concat(out))
      : reject(new ColonyError('COLONY_IO', `${run.failure}: ${err.trim().split('\n')[0] || `perl exited ${code}`}`))));
    child.stdin.end(input);
  });
}
