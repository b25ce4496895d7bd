// The `colony` command's side of the supervisor's local API (DATA/console.sock; frames in
// console/local-protocol.ts). `colony console` sends each line as a LINE request and shows
// the REPLY; a one-shot command is sent whole as EXEC and its output streams back.
import { connect, type Socket } from 'node:net';
import { ColonyError, fromSystemError } from '../errors.js';
import {
  CHUNK, FRAME, FrameReader, encodeFrame, jsonFrame, parseJson, PROTOCOL, PROTOCOL_VERSION,
  type ExecRequest, type Failure, type Frame, type Welcome,
} from '../console/local-protocol.js';
import type { ConsoleReply } from '../console/index.js';
import { interrupted, ownTerminal, unechoedLines } from './secret-input.js';

type Ask = (prompt: string, o: { secret: boolean }) => Promise<string | undefined>;

/** A connection to the running supervisor, or undefined when none listens at `path`. */
export async function dialSupervisor(path: string): Promise<Socket | undefined> {
  const sock = connect(path);
  try {
    await new Promise<void>((resolve, reject) => { sock.once('connect', resolve); sock.once('error', reject); });
    return sock;
  } catch (err) {
    sock.destroy();
    const code = (err as NodeJS.ErrnoException).code;
    // No socket, or a stale one left by a supervisor that died: nobody is there.
    if (code === 'ENOENT' || code === 'ECONNREFUSED') return undefined;
    throw fromSystemError(err, `connecting to the supervisor at ${path}`);
  }
}

const gone = () => new ColonyError('COLONY_IO', 'the supervisor closed the connection (did it stop?)');

/**
 * One conversation with the supervisor. Frames arrive in order; each request waits for its
 * answer, so a LocalClient runs one request at a time.
 */
export class LocalClient {
  private readonly reader = new FrameReader();
  private readonly queue: Frame[] = [];
  private waiting: (() => void) | undefined;
  private closed = false;
  private failure: Error | undefined;

  private constructor(readonly sock: Socket) {
    sock.on('data', (chunk: Buffer) => {
      try {
        this.queue.push(...this.reader.push(chunk));
      } catch (err) {
        this.failure = err as Error;
        sock.destroy();
      }
      this.wake();
    });
    sock.on('close', () => { this.closed = true; this.wake(); });
    sock.on('error', () => {});
  }

  /** Says hello as `user` (the first admin when undefined). */
  static async open(sock: Socket, user: string | undefined): Promise<LocalClient> {
    const c = new LocalClient(sock);
    c.sock.write(jsonFrame(FRAME.HELLO, { protocol: PROTOCOL, version: PROTOCOL_VERSION, ...(user !== undefined ? { user } : {}) }));
    const f = await c.next();
    if (f.type !== FRAME.WELCOME) throw new ColonyError('COLONY_PROTOCOL', `expected a welcome, got frame type ${f.type}`);
    parseJson<Welcome>(f);
    return c;
  }

  private wake(): void {
    const w = this.waiting;
    this.waiting = undefined;
    w?.();
  }

  /** The next frame; a FAIL frame or the end of the connection is thrown. */
  private async next(): Promise<Frame> {
    for (;;) {
      const f = this.queue.shift();
      if (f?.type === FRAME.FAIL) {
        const e = parseJson<Failure>(f);
        throw new ColonyError(e.code, e.message);
      }
      if (f) return f;
      if (this.failure) throw this.failure;
      if (this.closed) throw gone();
      await new Promise<void>((resolve) => { this.waiting = resolve; });
    }
  }

  /** Runs one console line; questions (passwd) are put through `ask`. */
  async line(line: string, ask: Ask): Promise<ConsoleReply> {
    this.sock.write(jsonFrame(FRAME.LINE, { line }));
    for (;;) {
      const f = await this.next();
      if (f.type === FRAME.REPLY) return parseJson<ConsoleReply>(f);
      if (f.type === FRAME.ASK) {
        const q = parseJson<{ prompt: string; secret: boolean }>(f);
        this.sock.write(jsonFrame(FRAME.ANSWER, { text: (await ask(q.prompt, { secret: q.secret })) ?? null }));
        continue;
      }
      throw new ColonyError('COLONY_PROTOCOL', `frame type ${f.type} in answer to a line`);
    }
  }

  /**
   * Runs a `colony` command in the supervisor; its output goes to `io`. Resolves with its exit
   * status. `secretStdin`: the command reads a secret, so a terminal's echo is turned off here
   * while it reads (the terminal is ours; the supervisor gets only the lines typed).
   */
  async exec(req: ExecRequest, io: { out: NodeJS.WritableStream; err: NodeJS.WritableStream; stdin: NodeJS.ReadableStream }, o: { secretStdin?: boolean } = {}): Promise<number> {
    this.sock.write(jsonFrame(FRAME.EXEC, req));
    let stopStdin: (() => void) | undefined;
    let wanted = false;
    let ctrlC = false;
    // A secret on our terminal: the echo is off from the start (the prompt may come before
    // the supervisor asks for input), and the lines wait here until it does.
    const held: Buffer[] = [];
    const send = (frame: Buffer) => { if (!wanted) held.push(frame); else if (!this.closed) this.sock.write(frame); };
    if (o.secretStdin && ownTerminal(io.stdin)) {
      stopStdin = unechoedLines(io.stdin, {
        line: (text) => send(encodeFrame(FRAME.STDIN, Buffer.from(text + '\n'))),
        end: () => send(encodeFrame(FRAME.STDIN_END)),
        // As Ctrl-C kills a command that echoes: the supervisor stops it when we go away.
        interrupt: () => { ctrlC = true; io.err.write('\n'); this.sock.destroy(); },
      });
    }
    try {
      for (;;) {
        const f = await this.next();
        switch (f.type) {
          case FRAME.STDOUT:
          case FRAME.STDERR: {
            const to = f.type === FRAME.STDOUT ? io.out : io.err;
            // A slow reader (a pipe into tar) slows the supervisor down rather than filling memory.
            if (!to.write(f.payload)) { this.sock.pause(); to.once('drain', () => this.sock.resume()); }
            break;
          }
          case FRAME.STDIN_WANTED:
            wanted = true;
            for (const frame of held.splice(0)) send(frame);
            stopStdin ??= this.pumpStdin(io.stdin);
            break;
          case FRAME.EXIT:
            return parseJson<{ code: number }>(f).code;
          default:
            throw new ColonyError('COLONY_PROTOCOL', `frame type ${f.type} in answer to a command`);
        }
      }
    } catch (err) {
      throw ctrlC ? interrupted() : err;
    } finally {
      stopStdin?.();
      this.sock.destroy();
    }
  }

  /**
   * Sends standard input as STDIN frames, pausing it while the socket is full. Returns a
   * stop function: a terminal never ends, so the pump must be stopped when the command is.
   */
  private pumpStdin(stdin: NodeJS.ReadableStream): () => void {
    const onData = (chunk: Buffer | string) => {
      const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
      let ok = true;
      for (let at = 0; at < b.length && !this.closed; at += CHUNK) ok = this.sock.write(encodeFrame(FRAME.STDIN, b.subarray(at, at + CHUNK)));
      if (!ok) { stdin.pause(); this.sock.once('drain', () => stdin.resume()); }
    };
    const onEnd = () => { if (!this.closed) this.sock.write(encodeFrame(FRAME.STDIN_END)); };
    stdin.on('data', onData);
    stdin.once('end', onEnd);
    stdin.resume();
    return () => { stdin.off('data', onData); stdin.off('end', onEnd); stdin.pause(); };
  }

  close(): void {
    this.sock.end();
  }
}
