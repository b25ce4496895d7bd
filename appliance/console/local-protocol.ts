// The supervisor's local API on DATA/console.sock: small frames over a unix socket whose
// 0600 mode admits only the daemon's own uid (and root). Pure: encoding and an incremental
// decoder, no sockets. supervisor/console-socket.ts serves it; cli/console-client.ts speaks it.
//
// A frame is u32 length (big-endian, of what follows) | u8 type | payload. Control frames
// carry one JSON object; data frames carry raw bytes. A connection opens with HELLO and
// WELCOME, then carries, one at a time:
//   LINE {line}            → REPLY {reply}          a console line through the command registry;
//                            ASK {prompt, secret} ← → ANSWER {text|null} while it runs (passwd)
//   EXEC {argv, cwd, tty}  → STDOUT/STDERR bytes…, EXIT {code}
//                            a `colony` one-shot command run inside the supervisor; the
//                            server sends STDIN_WANTED the first time the command reads its
//                            standard input, and the client then streams STDIN…, STDIN_END
// A broken rule ends the connection with FAIL {code, message}.
import { ColonyError, type ErrorCode } from '../errors.js';

export const PROTOCOL = 'colony-local';
export const PROTOCOL_VERSION = 1;

export const FRAME = {
  HELLO: 1, WELCOME: 2, LINE: 3, REPLY: 4, ASK: 5, ANSWER: 6, EXEC: 7,
  STDIN_WANTED: 8, STDIN: 9, STDIN_END: 10, STDOUT: 11, STDERR: 12, EXIT: 13, FAIL: 14,
} as const;
export type FrameType = (typeof FRAME)[keyof typeof FRAME];

/** The largest payload: data is sent in chunks well under it. */
export const MAX_PAYLOAD = 1 << 20;
/** Data frames are cut to this size. */
export const CHUNK = 64 * 1024;

export interface Frame { type: FrameType; payload: Buffer }

export interface Hello { protocol: string; version: number; user?: string }
export interface Welcome { user: string; node: string }
export interface ExecRequest {
  argv: string[];
  cwd: string;
  tty: { stdin: boolean; stdout: boolean; stderr: boolean };
}
export interface Failure { code: ErrorCode; message: string }

const KNOWN = new Set<number>(Object.values(FRAME));

export function encodeFrame(type: FrameType, payload: Buffer | string = Buffer.alloc(0)): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  if (body.length > MAX_PAYLOAD) throw new ColonyError('COLONY_TOO_LARGE', `a ${body.length}-byte frame is over ${MAX_PAYLOAD} bytes`);
  const head = Buffer.alloc(5);
  head.writeUInt32BE(body.length + 1, 0);
  head[4] = type;
  return Buffer.concat([head, body]);
}

export const jsonFrame = (type: FrameType, value: unknown): Buffer => encodeFrame(type, JSON.stringify(value));

export function parseJson<T>(frame: Frame): T {
  try {
    return JSON.parse(frame.payload.toString()) as T;
  } catch (err) {
    throw new ColonyError('COLONY_PROTOCOL', `frame type ${frame.type} does not hold JSON`, { cause: err });
  }
}

/** Cuts a byte stream into frames. Throws COLONY_PROTOCOL on an oversized or unknown frame. */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const frames: Frame[] = [];
    while (this.buf.length >= 4) {
      const len = this.buf.readUInt32BE(0);
      if (len < 1 || len > MAX_PAYLOAD + 1) throw new ColonyError('COLONY_PROTOCOL', `a frame of ${len} bytes`);
      if (this.buf.length < 4 + len) break;
      const type = this.buf[4]!;
      if (!KNOWN.has(type)) throw new ColonyError('COLONY_PROTOCOL', `unknown frame type ${type}`);
      // A view, not a copy: `buf` is never written to, only replaced (a 64 MiB stream is not copied twice).
      frames.push({ type: type as FrameType, payload: this.buf.subarray(5, 4 + len) });
      this.buf = this.buf.subarray(4 + len);
    }
    return frames;
  }

  /** Bytes of an unfinished frame (a clean end has none). */
  get pending(): number { return this.buf.length; }
}
