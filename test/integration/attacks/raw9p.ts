// A raw 9P connection for the attack tests: sends any bytes, collects whole reply frames
// (decoded when they decode) and notices when the server closes the connection.
import { createConnection, type Socket } from 'node:net';
import { decode } from '../../../appliance/ninep/codec.js';
import { NOTAG } from '../../../appliance/ninep/constants.js';
import type { Message } from '../../../appliance/ninep/messages.js';
import { encode } from '../../../appliance/ninep/codec.js';
import type { AnyBody } from '../../../appliance/ninep/messages.js';

export class Raw {
  frames: Buffer[] = [];
  closed = false;
  private buf = Buffer.alloc(0);
  private wake: (() => void) | undefined;
  readonly closedP: Promise<void>;

  private constructor(private readonly sock: Socket) {
    sock.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      while (this.buf.length >= 4 && this.buf.length >= this.buf.readUInt32LE(0)) {
        const n = this.buf.readUInt32LE(0);
        if (n < 7) break;
        this.frames.push(this.buf.subarray(0, n));
        this.buf = this.buf.subarray(n);
      }
      this.wake?.();
    });
    sock.on('error', () => {});
    this.closedP = new Promise((r) => sock.once('close', () => { this.closed = true; this.wake?.(); r(); }));
  }

  static open(path: string): Promise<Raw> {
    return new Promise((resolve, reject) => {
      const s = createConnection(path);
      s.once('connect', () => resolve(new Raw(s)));
      s.once('error', reject);
    });
  }

  send(b: Buffer): void { if (!this.closed) this.sock.write(b); }
  /** Encodes and sends a request on `tag`. */
  req(body: AnyBody, tag: number, dialect = '9P2000.L'): void { this.send(encode({ ...body, tag } as AnyBody & { tag: number }, dialect as '9P2000.L')); }
  destroy(): void { this.sock.destroy(); }

  /** Waits (bounded: 10 s) for the reply on `tag`, or the close (then undefined). */
  async reply(tag: number, dialect = '9P2000.L'): Promise<Message | undefined> {
    for (let i = 0; i < 10_000; i++) {
      const at = this.frames.findIndex((f) => f.readUInt16LE(5) === tag);
      if (at >= 0) return decode(this.frames.splice(at, 1)[0]!, dialect as '9P2000.L');
      if (this.closed) return undefined;
      const woke = await new Promise<boolean>((r) => {
        const timer = setTimeout(() => r(false), 10_000);
        this.wake = () => { clearTimeout(timer); r(true); };
      });
      if (!woke) throw new Error(`no reply on tag ${tag} and no close within 10 s`);
    }
    throw new Error('too many wake-ups');
  }

  /** Waits (bounded: 10 s) for the server to close the connection; true when it did. */
  async closedByServer(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const ok = await Promise.race([this.closedP.then(() => true), new Promise<boolean>((r) => { timer = setTimeout(() => r(false), 10_000); })]);
    clearTimeout(timer);
    return ok;
  }

  /** Tversion (on NOTAG) then attach `aname` as fid 0; returns the Rattach. */
  async start(aname = 'mem', msize = 8192): Promise<Message | undefined> {
    this.req({ type: 'Tversion', msize, version: '9P2000.L' }, NOTAG);
    await this.reply(NOTAG);
    this.req({ type: 'Tattach', fid: 0, afid: 0xffffffff, uname: 'u', aname, nUname: 1000 }, 1);
    return this.reply(1);
  }
}

/** A frame with a given size field, type and tag, and `body` after the header. */
export function frame(type: number, tag: number, body: Buffer = Buffer.alloc(0), size = 7 + body.length): Buffer {
  const b = Buffer.alloc(7);
  b.writeUInt32LE(size, 0);
  b[4] = type;
  b.writeUInt16LE(tag, 5);
  return Buffer.concat([b, body]);
}
