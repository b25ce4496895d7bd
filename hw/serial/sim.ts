// The simulated serial line: a unix socket, simRoot/serial.sock (mode 0600), that carries
// raw bytes as a serial line would, for a machine with no port (a laptop, CI):
//   socat -,raw,echo=0 UNIX-CONNECT:DATA/hw/serial.sock
// One terminal at a time, as on a real line; a second is told so and closed. Listening
// failures are retried like a port's.
//
// Concurrency: the server accepts at any time; a new terminal is served only after the
// previous one's clean-up ran (close events are serialised by the event loop).
import { randomBytes } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, renameSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { Log } from '../../appliance/log.js';
import type { RetryOptions } from './config.js';
import type { OnOpen, SerialLine, SerialStatus } from './line.js';
import { Retry } from './retry.js';

export const SIM_SOCKET = 'serial.sock';

export function openSimLine(opts: { simRoot: string; log: Log; onOpen: OnOpen; why: string; retry?: RetryOptions }): SerialLine {
  return new SimLine(opts);
}

class SimLine implements SerialLine {
  readonly simulated = true;
  readonly path: string;
  private server: Server | undefined;
  private client: Socket | undefined;
  private stopped = false;
  private readonly retry: Retry;

  constructor(private readonly opts: { simRoot: string; log: Log; onOpen: OnOpen; why: string; retry?: RetryOptions }) {
    this.path = join(opts.simRoot, SIM_SOCKET);
    this.retry = new Retry(opts.log, this.path, opts.retry);
    opts.log.info({ path: this.path, why: opts.why }, `no serial port: the serial console is simulated on a unix socket (socat -,raw,echo=0 UNIX-CONNECT:${this.path})`);
    this.listen();
  }

  status(): SerialStatus {
    return { open: this.server?.listening === true, ...(this.retry.error ? { error: this.retry.error } : {}), retries: this.retry.retries };
  }

  private listen(): void {
    if (this.stopped) return;
    // Bound under a private name, made 0600, then renamed into place: the socket never
    // sits at its public path with the umask's mode.
    const temp = join(this.opts.simRoot, `.serial-${randomBytes(6).toString('hex')}.sock`);
    const server = createServer((socket) => this.accept(socket));
    const fail = (err: unknown) => {
      server.close();
      try { unlinkSync(temp); } catch { /* not made */ }
      this.retry.failed(err, () => this.listen(), this.stopped);
    };
    try {
      mkdirSync(this.opts.simRoot, { recursive: true, mode: 0o700 });
      removeStaleSocket(this.path);
    } catch (err) { fail(err); return; }
    server.once('error', fail);
    server.listen(temp, () => {
      try {
        chmodSync(temp, 0o600);
        renameSync(temp, this.path);
      } catch (err) { fail(err); return; }
      if (this.stopped) { server.close(); unlinkQuietly(this.path); return; }
      server.off('error', fail);
      server.on('error', (err) => this.opts.log.warn({ err, path: this.path }, 'simulated serial line: server error'));
      this.server = server;
      this.retry.opened();
    });
  }

  private accept(socket: Socket): void {
    if (this.stopped) { socket.destroy(); return; }
    if (this.client) {
      socket.end('the serial line is in use (one terminal at a time)\r\n');
      return;
    }
    this.client = socket;
    this.opts.log.info({ path: this.path }, 'simulated serial line: a terminal connected');
    let cleanup: (() => void) | void;
    let done = false;
    const end = () => {
      if (done) return;
      done = true;
      if (this.client === socket) this.client = undefined;
      try { cleanup?.(); } catch (e) { this.opts.log.error({ err: e }, 'serial console clean-up failed'); }
      socket.destroy();
      this.opts.log.info({ path: this.path }, 'simulated serial line: the terminal left');
    };
    socket.on('error', (err) => { this.opts.log.debug({ err }, 'simulated serial line: socket error'); end(); });
    socket.on('close', end);
    // A serial line has no end of input: a terminal that half-closes has left.
    socket.on('end', end);
    try { cleanup = this.opts.onOpen(socket); } catch (e) { this.opts.log.error({ err: e }, 'serial console failed to start'); }
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.retry.cancel();
    this.client?.destroy();
    const server = this.server;
    this.server = undefined;
    if (server) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      unlinkQuietly(this.path);
    }
  }
}

/** A socket left by an earlier run (the data directory is locked, so it is no one's now); anything else is refused. */
function removeStaleSocket(path: string): void {
  let st;
  try { st = lstatSync(path); } catch { return; }
  if (!st.isSocket()) throw new Error(`${path} exists and is not a socket; not replacing it`);
  unlinkSync(path);
}

function unlinkQuietly(path: string): void {
  try { unlinkSync(path); } catch { /* gone */ }
}
