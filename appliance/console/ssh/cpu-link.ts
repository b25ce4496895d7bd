// One `cpu` process tied to one SSH channel: the channel's bytes go to the process's stdin
// (with backpressure: the channel pauses while stdin is full), its stdout and stderr go to
// the channel's two streams, raw (a terminal's bytes are the program's business), and the
// client's window changes, signals and hang-up reach it. It never ends the channel: the
// session sends the exit status (exitOf) and closes, or, in the console, prompts again.
import os from 'node:os';
import type { ServerChannel } from 'ssh2';
import type { Log } from '../../log.js';
import type { CpuExit, CpuProcess } from '../cpu.js';

/** How long output may keep arriving after the last process is gone before the status is sent. */
const OUTPUT_GRACE_MS = 2_000;

/** An SSH signal name (RFC 4254 §6.9: `INT`, no `SIG`) as Node's, if this OS knows it. */
export function signalOf(name: string): NodeJS.Signals | undefined {
  const sig = `SIG${name.toUpperCase().replace(/^SIG/, '')}`;
  return sig in os.constants.signals ? (sig as NodeJS.Signals) : undefined;
}

/** What goes back to the client: exit-signal (RFC 4254 §6.10) for a signal death, as sshd does; else the status. */
export type ChannelExit = number | { signal: string; status: number };

export function exitOf(e: CpuExit): ChannelExit {
  return e.signal ? { signal: e.signal.replace(/^SIG/, ''), status: e.status } : e.status;
}

/** Sends `exit` on the channel; ssh2 knows RFC 4254's signal names only, so others go as 128+n. */
export function sendExit(channel: ServerChannel, exit: ChannelExit): void {
  try {
    if (typeof exit === 'number') { channel.exit(exit); return; }
    try {
      channel.exit(exit.signal, false, '');
    } catch {
      channel.exit(exit.status);
    }
  } catch { /* the channel is already gone */ }
}

export class CpuLink {
  private stdinOpen = true;
  private paused = false;
  private hungUp = false;
  /** Settles once the processes are gone and their output has reached the channel (bounded). */
  readonly done: Promise<CpuExit>;

  constructor(private readonly proc: CpuProcess, private readonly channel: ServerChannel, private readonly log: Log) {
    proc.stdin.on('error', (err: Error) => { log.debug({ err: err.message }, 'cpu stdin closed'); this.closeStdin(); });
    proc.stdin.on('close', () => this.closeStdin());
    proc.stdout.pipe(channel, { end: false });
    const flushed = [ended(proc.stdout)];
    if (proc.stderr) {
      proc.stderr.pipe(channel.stderr, { end: false });
      flushed.push(ended(proc.stderr));
    }
    this.done = proc.exited.then(async (e) => {
      this.closeStdin();
      await within(Promise.all(flushed), OUTPUT_GRACE_MS);
      proc.stdout.unpipe(channel);
      proc.stderr?.unpipe(channel.stderr);
      return e;
    });
  }

  /** Bytes the client typed or piped. */
  write(data: Buffer): void {
    if (!this.stdinOpen) return;
    if (!this.proc.stdin.write(data) && !this.paused) {
      this.paused = true;
      this.channel.pause();
      this.proc.stdin.once('drain', () => this.resume());
    }
  }

  /** The client sent EOF: the process reads end of file. */
  endInput(): void {
    if (!this.stdinOpen) return;
    this.stdinOpen = false;
    this.proc.stdin.end();
    this.resume();
  }

  resize(cols: number, rows: number): void {
    try { this.proc.resize(cols, rows); } catch (err) { this.log.debug({ err: (err as Error).message }, 'cpu resize failed'); }
  }

  signal(sig: NodeJS.Signals): void {
    try { this.proc.signal(sig); } catch (err) { this.log.debug({ err: (err as Error).message, sig }, 'cpu signal failed'); }
  }

  /** The client went away (or the console is closing): once. */
  hangup(): void {
    if (this.hungUp) return;
    this.hungUp = true;
    this.closeStdin();
    try { this.proc.hangup(); } catch (err) { this.log.debug({ err: (err as Error).message }, 'cpu hangup failed'); }
  }

  /** The process will read no more; a channel paused for it flows again (the console reads it next). */
  private closeStdin(): void {
    if (this.stdinOpen) {
      this.stdinOpen = false;
      if (!this.proc.stdin.destroyed) this.proc.stdin.end();
    }
    this.resume();
  }

  private resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.channel.resume();
  }
}

function ended(stream: NodeJS.ReadableStream & { readableEnded?: boolean; destroyed?: boolean }): Promise<void> {
  if (stream.readableEnded || stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    stream.once('end', resolve);
    stream.once('close', resolve);
    stream.once('error', resolve);
  });
}

async function within(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise<void>((resolve) => { timer = setTimeout(resolve, ms); })]);
  clearTimeout(timer);
}
