// A 9P client for tests, the CLI and later the grid itself. Requests are concurrent: each
// gets a free tag and its reply settles its promise, in whatever order replies arrive.
import { createConnection, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { closed, ColonyError, fromSystemError } from '../errors.js';
import { decode, decodeStats, encode, FrameReader } from './codec.js';
import { GETATTR_BASIC, L_O_RDONLY, NOFID, NONUNAME, NOTAG, VERSION_9P2000L, type Dialect } from './constants.js';
import { errorFromEname, errorFromErrno, withErrno } from './errno.js';
import type { AnyBody, Body, Message, MessageName, Msg, Qid, Stat } from './messages.js';
import { parseAddress } from './server.js';

type ReplyOf<N extends MessageName> = N extends `T${infer R}` ? (`R${R}` extends MessageName ? Msg<`R${R}`> : Message) : Message;

export interface DirEntryL { qid: Qid; offset: number; type: number; name: string }

export class NinepClient {
  msize = 64 * 1024;
  dialect: Dialect = VERSION_9P2000L;
  private frames = new FrameReader(16 * 1024 * 1024);
  private waiting = new Map<number, { resolve: (m: Message) => void; reject: (e: unknown) => void; flushes?: number }>();
  private nextTag = 0;
  private nextFid = 1;
  private ended: ColonyError | undefined;

  constructor(readonly stream: Duplex) {
    stream.on('data', (chunk: Buffer) => this.onData(chunk));
    stream.on('error', (err) => this.end(fromSystemError(err, '9P connection')));
    stream.on('close', () => this.end(closed('9P connection')));
  }

  /** Connects to `host:port` or a socket path and negotiates the version. */
  static async connect(addr: string, opts: { msize?: number; version?: string } = {}): Promise<NinepClient> {
    const a = parseAddress(addr);
    const sock: Socket = a.kind === 'tcp' ? createConnection(a.port, a.host) : createConnection(a.path);
    await new Promise<void>((resolve, reject) => {
      sock.once('connect', resolve);
      sock.once('error', (err) => reject(fromSystemError(err, `connecting to ${addr}`)));
    });
    const c = new NinepClient(sock);
    await c.version(opts.msize ?? 1024 * 1024, opts.version ?? VERSION_9P2000L);
    return c;
  }

  get closed(): boolean { return this.ended !== undefined; }
  get outstanding(): number { return this.waiting.size; }

  private onData(chunk: Buffer): void {
    this.frames.push(chunk);
    try {
      for (let f = this.frames.next(); f; f = this.frames.next()) {
        const m = decode(f, this.dialect);
        const w = this.waiting.get(m.tag);
        if (!w) throw new ColonyError('COLONY_PROTOCOL', `reply for unknown tag ${m.tag}`);
        this.waiting.delete(m.tag);
        if (m.type === 'Rflush' && w.flushes !== undefined) {
          // Rflush with the old request still waiting means its reply was suppressed.
          const old = this.waiting.get(w.flushes);
          this.waiting.delete(w.flushes);
          old?.reject(withErrno(new ColonyError('COLONY_IO', `request with tag ${w.flushes} was flushed`), 'EINTR'));
        }
        w.resolve(m);
      }
    } catch (err) {
      this.end(err instanceof ColonyError ? err : new ColonyError('COLONY_PROTOCOL', String(err)));
      this.stream.destroy();
    }
  }

  private end(err: ColonyError): void {
    if (this.ended) return;
    this.ended = err;
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
  }

  private allocTag(): number {
    for (let i = 0; i < 0xffff; i++) {
      const t = this.nextTag;
      this.nextTag = (this.nextTag + 1) % 0xffff;
      if (!this.waiting.has(t)) return t;
    }
    throw new ColonyError('COLONY_LIMIT', 'all 9P tags are in use');
  }

  allocFid(): number { return this.nextFid++; }

  /** Sends one request; `reply` settles with whatever answer comes (Rlerror included). */
  request(body: AnyBody, tag = this.allocTag()): { tag: number; reply: Promise<Message> } {
    if (this.ended) return { tag, reply: Promise.reject(this.ended) };
    const frame = encode({ ...body, tag } as AnyBody & { tag: number }, this.dialect);
    const flushes = body.type === 'Tflush' ? body.oldtag : undefined;
    const reply = new Promise<Message>((resolve, reject) => this.waiting.set(tag, { resolve, reject, ...(flushes === undefined ? {} : { flushes }) }));
    this.stream.write(frame);
    return { tag, reply };
  }

  /** Sends bytes as they are (tests use this for malformed frames). */
  sendRaw(bytes: Buffer): void { this.stream.write(bytes); }

  /** A request whose error replies become thrown ColonyErrors (errno kept, see errno.ts). */
  async rpc<N extends MessageName>(body: Body<N>): Promise<ReplyOf<N>> {
    const m = await this.request(body as unknown as AnyBody).reply;
    return check(m, body.type) as ReplyOf<N>;
  }

  async version(msize: number, version: string = VERSION_9P2000L): Promise<{ msize: number; version: string }> {
    const r = check(await this.request({ type: 'Tversion', msize, version }, NOTAG).reply, 'Tversion') as Msg<'Rversion'>;
    this.msize = r.msize;
    if (r.version === '9P2000' || r.version === VERSION_9P2000L) this.dialect = r.version;
    this.frames.maxSize = r.msize;
    return { msize: r.msize, version: r.version };
  }

  async attach(aname: string, uname = 'nobody', nUname = NONUNAME): Promise<{ fid: number; qid: Qid }> {
    const fid = this.allocFid();
    const r = await this.rpc({ type: 'Tattach', fid, afid: NOFID, uname, aname, nUname });
    return { fid, qid: r.qid };
  }

  /** Walks up to 16 names at a time; fails unless every name is found. */
  async walk(fid: number, names: string[], newfid = this.allocFid()): Promise<{ fid: number; qids: Qid[] }> {
    const r = await this.rpc({ type: 'Twalk', fid, newfid, names });
    if (r.qids.length !== names.length) throw new ColonyError('COLONY_NOT_FOUND', `${names[r.qids.length] ?? ''} not found`);
    return { fid: newfid, qids: r.qids };
  }

  /** Walks a slash-separated path from `fid` to a new fid. */
  async walkPath(fid: number, path: string): Promise<number> {
    const names = path.split('/').filter((n) => n !== '');
    let cur = await this.walk(fid, names.slice(0, 16));
    for (let i = 16; i < names.length; i += 16) {
      const next = await this.walk(cur.fid, names.slice(i, i + 16)).finally(() => this.clunk(cur.fid).catch(() => {}));
      cur = next;
    }
    return cur.fid;
  }

  getattr(fid: number, mask = GETATTR_BASIC): Promise<Msg<'Rgetattr'>> { return this.rpc({ type: 'Tgetattr', fid, mask }); }

  async stat(fid: number): Promise<Stat> { return (await this.rpc({ type: 'Tstat', fid })).stat; }

  /** Opens for the negotiated dialect: Tlopen with Linux flags, or Topen with a 9P2000 mode. */
  async open(fid: number, flags = L_O_RDONLY): Promise<{ qid: Qid; iounit: number }> {
    const r = this.dialect === VERSION_9P2000L ? await this.rpc({ type: 'Tlopen', fid, flags }) : await this.rpc({ type: 'Topen', fid, mode: flags });
    return { qid: r.qid, iounit: r.iounit };
  }

  async read(fid: number, offset: number, count: number): Promise<Buffer> {
    return (await this.rpc({ type: 'Tread', fid, offset, count })).data;
  }

  /** Reads from offset 0 until a short read gives the end. */
  async readAll(fid: number, limit = 64 * 1024 * 1024): Promise<Buffer> {
    const parts: Buffer[] = [];
    const chunk = this.msize - 24;
    let off = 0;
    while (off < limit) {
      const b = await this.read(fid, off, chunk);
      if (b.length === 0) break;
      parts.push(Buffer.from(b));
      off += b.length;
    }
    return Buffer.concat(parts);
  }

  async write(fid: number, offset: number, data: Buffer): Promise<number> {
    let done = 0;
    const chunk = this.msize - 24;
    while (done < data.length) {
      const n = (await this.rpc({ type: 'Twrite', fid, offset: offset + done, data: data.subarray(done, done + chunk) })).count;
      if (n === 0) break;
      done += n;
    }
    return done;
  }

  /** Every entry of an open directory, from either dialect. */
  async readdir(fid: number): Promise<DirEntryL[]> {
    const out: DirEntryL[] = [];
    if (this.dialect !== VERSION_9P2000L) {
      const all = await this.readAll(fid);
      return decodeStats(all).map((s) => ({ qid: s.qid, offset: 0, type: s.qid.type & 0x80 ? 4 : 8, name: s.name }));
    }
    // Cookies are opaque and may use all 64 bits (diod passes the host's telldir values).
    let cookie = 0n;
    for (let round = 0; round < 1_000_000; round++) {
      const data = (await this.rpc({ type: 'Treaddir', fid, offset: cookie as unknown as number, count: this.msize - 24 })).data;
      if (data.length === 0) break;
      let p = 0;
      while (p < data.length) {
        const qid = { type: data.readUInt8(p), version: data.readUInt32LE(p + 1), path: Number(data.readBigUInt64LE(p + 5)) };
        cookie = data.readBigUInt64LE(p + 13);
        const offset = Number(cookie);
        const type = data.readUInt8(p + 21);
        const n = data.readUInt16LE(p + 22);
        out.push({ qid, offset, type, name: data.subarray(p + 24, p + 24 + n).toString() });
        p += 24 + n;
      }
    }
    return out;
  }

  async lcreate(fid: number, name: string, flags: number, mode: number, gid = 0): Promise<Qid> {
    return (await this.rpc({ type: 'Tlcreate', fid, name, flags, mode, gid })).qid;
  }

  async create(fid: number, name: string, perm: number, mode: number): Promise<Qid> {
    return (await this.rpc({ type: 'Tcreate', fid, name, perm, mode })).qid;
  }

  async mkdir(dfid: number, name: string, mode = 0o755, gid = 0): Promise<Qid> {
    return (await this.rpc({ type: 'Tmkdir', dfid, name, mode, gid })).qid;
  }

  async clunk(fid: number): Promise<void> { await this.rpc({ type: 'Tclunk', fid }); }
  async remove(fid: number): Promise<void> { await this.rpc({ type: 'Tremove', fid }); }

  /** Flushes an outstanding tag; resolves when Rflush arrives. */
  async flush(oldtag: number): Promise<void> { await this.rpc({ type: 'Tflush', oldtag }); }

  close(): void { this.stream.destroy(); }
}

function check(m: Message, doing: string): Message {
  if (m.type === 'Rlerror') throw errorFromErrno(m.ecode, doing);
  if (m.type === 'Rerror') throw errorFromEname(m.ename, doing);
  return m;
}
