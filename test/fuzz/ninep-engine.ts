// The 9P fuzzer shared by the CI test (a bounded run) and `npm run fuzz` (a long one).
// It throws malformed frames at a real NinepServer over a unix socket and checks that each
// one is answered (once, on its tag) or ends the connection — never a crash, never a hang,
// and that the server's heap stays bounded.
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { encode } from '../../appliance/ninep/codec.js';
import { NOFID, NOTAG } from '../../appliance/ninep/constants.js';
import { SCHEMA, type AnyBody, type FieldKind, type MessageName } from '../../appliance/ninep/messages.js';
import { routeTable } from '../../appliance/ninep/router.js';
import { NinepServer } from '../../appliance/ninep/server.js';
import { SynthFs, synthDir, synthFile } from '../../appliance/ninep/synth.js';
import { MemFs } from '../../appliance/ninep/memfs.js';
import { mulberry32 } from '../helpers/random.js';
import type { Caller, Handle, Node } from '../../appliance/ninep/backend.js';

/** mulberry32: small, fast, seeded; the same seed gives the same frames. */
export const prng = mulberry32;

const T_NAMES = (Object.keys(SCHEMA) as MessageName[]).filter((n) => n.startsWith('T') && n !== 'Tversion');
const R_NAMES = (Object.keys(SCHEMA) as MessageName[]).filter((n) => n.startsWith('R'));
const KNOWN = new Set<number>(Object.values(SCHEMA).map(([n]) => n));
const NASTY_NAMES = ['a/b', 'x\0y', '/', '\0', '.', '..', '', 'status', 'ctl', 'env', 'web', 'é', 'x'.repeat(300)];

export interface FuzzResult {
  frames: number;
  replies: number;
  connections: number;
  closedByServer: number;
  heapGrowthBytes: number;
  byKind: Record<string, number>;
}

/** Runs `frames` malformed frames with `seed`. Throws if an invariant breaks. */
export async function fuzzServer(opts: { frames: number; seed: number; batch?: number; progress?: (n: number) => void }): Promise<FuzzResult> {
  const rnd = prng(opts.seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const value = (kind: FieldKind): unknown => {
    switch (kind) {
      case 'u8': return int(256);
      case 'u16': return int(65536);
      case 'u32': return rnd() < 0.5 ? int(8) : rnd() < 0.5 ? NOFID : int(2 ** 32);
      case 'u64': return rnd() < 0.5 ? int(1 << 20) : int(2 ** 52);
      case 'nuname': return rnd() < 0.5 ? 0 : NOFID;
      case 's': return pick(NASTY_NAMES);
      case 'qid': return { type: int(256), version: int(2 ** 32), path: int(2 ** 40) };
      case 'qids': return [];
      case 'names': return Array.from({ length: rnd() < 0.3 ? 17 + int(20) : int(5) }, () => pick(NASTY_NAMES));
      case 'data': return Buffer.alloc(int(64), int(256));
      case 'stat': return { type: 0, dev: 0, qid: { type: 0, version: 0, path: 0 }, mode: int(2 ** 32), atime: 0, mtime: 0, length: int(100), name: pick(NASTY_NAMES), uid: '', gid: '', muid: '' };
    }
  };
  const valid = (name: MessageName): Buffer => {
    const body: Record<string, unknown> = { type: name, tag: 0 };
    for (const [f, kind] of Object.entries(SCHEMA[name][1])) body[f] = value(kind);
    return encode(body as AnyBody & { tag: number });
  };
  /** A frame whose size field is right but whose body is not to be trusted. */
  const framed = (): [string, Buffer] => {
    const r = rnd();
    if (r < 0.15) { // random body, random type
      const b = Buffer.alloc(7 + int(120));
      for (let i = 4; i < b.length; i++) b[i] = int(256);
      return ['random', b];
    }
    if (r < 0.25) { // unknown type
      const b = Buffer.alloc(7 + int(40));
      let ty = int(256);
      for (let i = 0; i < 256 && KNOWN.has(ty); i++) ty = (ty + 1) % 256;
      b[4] = ty;
      return ['unknown-type', b];
    }
    if (r < 0.32) return ['reply-as-request', valid(pick(R_NAMES))];
    if (r < 0.6) return ['valid-ish', valid(pick(T_NAMES))]; // bad fids, long walks, '/' and NUL in names
    const b = Buffer.from(valid(pick(T_NAMES)));
    const m = rnd();
    if (m < 0.4) { for (let i = 0; i < 1 + int(4); i++) if (b.length > 7) b[7 + int(b.length - 7)] = int(256); return ['mutated', b]; }
    if (m < 0.7 && b.length > 7) return ['truncated-body', b.subarray(0, 7 + int(b.length - 7))];
    return ['trailing-bytes', Buffer.concat([b, Buffer.alloc(1 + int(8), int(256))])];
  };
  /** A frame that breaks the framing itself: the connection must close. */
  const breaker = (msize: number): [string, Buffer] => {
    const b = Buffer.alloc(7);
    const r = rnd();
    if (r < 0.4) { b.writeUInt32LE(int(7), 0); return ['size-below-header', b]; }
    if (r < 0.8) { b.writeUInt32LE(msize + 1 + int(2 ** 31), 0); return ['size-over-msize', b]; }
    b.writeUInt32LE(100 + int(1000), 0); return ['truncated-at-eof', b];
  };

  const tree = new SynthFs(synthDir({
    status: synthFile({ read: () => 'ok\n' }),
    ctl: synthFile({ write: (_c, d) => `got ${d.length}\n` }),
    env: synthDir({ web: synthDir({ status: synthFile({ read: () => 'running\n' }) }) }),
  }));
  // A fresh small MemFs per attach exercises the writable paths; it dies with its connection.
  const live = { handles: 0 };
  class CountingMemFs extends MemFs {
    // MemFs.create opens through this.open, so counting open covers create too.
    override async open(c: Caller, n: Node, flags: number): Promise<Handle> { const h = await super.open(c, n, flags); live.handles++; return h; }
    override async release(h: Handle): Promise<void> { live.handles--; return super.release(h); }
  }
  const server = new NinepServer({
    router: routeTable({
      ctl: async (req) => ({ backend: tree, root: tree.root, user: { uid: 0, gid: 0, uname: req.uname } }),
      mem: async (req) => {
        const fs = new CountingMemFs({ maxBytes: 256 * 1024 });
        fs.writeFile('status', 'x'); fs.writeFile('env/web', 'y');
        return { backend: fs, root: fs.root, user: { uid: 0, gid: 0, uname: req.uname } };
      },
    }),
    maxMsize: 65536, maxFids: 1024,
  });
  const dir = await mkdtemp(join(tmpdir(), 'colony-fuzz-'));
  const result: FuzzResult = { frames: 0, replies: 0, connections: 0, closedByServer: 0, heapGrowthBytes: 0, byKind: {} };
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  try {
    const { address } = await server.listen(join(dir, '9p.sock'));
    const batch = opts.batch ?? 200;
    let heapStart = 0;
    for (let round = 0; result.frames < opts.frames && round < opts.frames; round++) {
      const conn = await Conn.open(address);
      result.connections++;
      // A proper start: version and attach, so frames meet a session with fids.
      conn.send(encode({ type: 'Tversion', tag: NOTAG, msize: 65536, version: rnd() < 0.8 ? '9P2000.L' : '9P2000' }));
      const dialect = (await conn.replies(1))[0]!.subarray(13).toString().includes('.L') ? '9P2000.L' : '9P2000';
      conn.send(encode({ type: 'Tattach', tag: 1, fid: 0, afid: NOFID, uname: 'fuzz', aname: rnd() < 0.5 ? 'ctl' : 'mem', nUname: 0 }, dialect));
      await conn.replies(1);
      // Several batches per connection, then (often) a framing breaker.
      for (let b = 0; b < 10 && result.frames < opts.frames; b++) {
        const base = 100 + ((round * 10 + b) % Math.floor(60_000 / batch)) * batch;
        const frames: Buffer[] = [];
        for (let i = 0; i < batch; i++) {
          const [kind, f] = framed();
          f.writeUInt32LE(f.length, 0);
          // Unique tags, a fresh range per batch: every frame is owed exactly one reply, and a
          // late reply to an earlier batch cannot be mistaken for one of these.
          f.writeUInt16LE(base + i, 5);
          result.byKind[kind] = (result.byKind[kind] ?? 0) + 1;
          frames.push(f);
        }
        // Tversion aborts what is outstanding and Tflush may suppress a reply: then fewer come.
        const lenient = frames.some((f) => f[4] === 100 || f[4] === 108);
        conn.send(Buffer.concat(frames));
        result.frames += frames.length;
        const got = await conn.replies(frames.length, lenient ? 100 : 10_000, (tag) => tag >= base && tag < base + batch);
        result.replies += got.length;
        if (conn.closed) { result.closedByServer++; break; }
        const tags = new Set(got.map((r) => r.readUInt16LE(5)));
        if (tags.size !== got.length) throw new Error(`seed ${opts.seed}: a tag was answered twice`);
        if (got.length !== frames.length && !lenient) throw new Error(`seed ${opts.seed}: ${frames.length - got.length} frames were never answered`);
        opts.progress?.(result.frames);
      }
      if (!conn.closed && rnd() < 0.5) {
        const [kind, f] = breaker(65536);
        result.byKind[kind] = (result.byKind[kind] ?? 0) + 1;
        conn.send(f);
        result.frames++;
        if (kind === 'truncated-at-eof') conn.end();
        await conn.closedP;
        result.closedByServer++;
      }
      conn.destroy();
      if (round === 2) { gc(); heapStart = process.memoryUsage().heapUsed; }
    }
    // Everything must be released once the fuzzing clients are gone.
    for (let i = 0; i < 400 && server.stats().connections > 0; i++) await new Promise((r) => setTimeout(r, 5));
    const st = server.stats();
    if (st.connections || st.fids || st.outstanding) throw new Error(`seed ${opts.seed}: leftovers ${JSON.stringify(st)}`);
    if (tree.openHandles !== 0 || live.handles !== 0) throw new Error(`seed ${opts.seed}: ${tree.openHandles + live.handles} handles leaked`);
    gc();
    result.heapGrowthBytes = process.memoryUsage().heapUsed - heapStart;
    // The server still answers properly.
    const check = await Conn.open(address);
    check.send(encode({ type: 'Tversion', tag: NOTAG, msize: 8192, version: '9P2000.L' }));
    if ((await check.replies(1))[0]?.[4] !== 101) throw new Error('the server no longer answers Tversion');
    check.destroy();
  } finally {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
  return result;
}

/** A raw connection that counts whole reply frames. */
class Conn {
  private buf: Buffer = Buffer.alloc(0);
  private frames: Buffer[] = [];
  private wake: (() => void) | undefined;
  closed = false;
  closedP: Promise<void>;

  private constructor(private sock: Socket) {
    sock.on('data', (d: Buffer) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
      while (this.buf.length >= 4 && this.buf.length >= this.buf.readUInt32LE(0)) {
        const n = this.buf.readUInt32LE(0);
        this.frames.push(this.buf.subarray(0, n));
        this.buf = this.buf.subarray(n);
      }
      this.wake?.();
    });
    sock.on('error', () => {});
    this.closedP = new Promise((r) => sock.once('close', () => { this.closed = true; this.wake?.(); r(); }));
  }

  static open(path: string): Promise<Conn> {
    return new Promise((resolve, reject) => {
      const s = createConnection(path);
      s.once('connect', () => resolve(new Conn(s)));
      s.once('error', reject);
    });
  }

  send(b: Buffer): void { if (!this.closed) this.sock.write(b); }
  end(): void { this.sock.end(); }
  destroy(): void { this.sock.destroy(); }

  /**
   * Waits for n reply frames, or the close, or a quiet spell. The quiet spell only ends a
   * wait early when some replies may rightly never come (a Tversion or Tflush in the batch).
   */
  async replies(n: number, quietMs = 10_000, mine: (tag: number) => boolean = () => true): Promise<Buffer[]> {
    for (let i = 0; i < 100_000 && !this.closed; i++) {
      this.frames = this.frames.filter((f) => mine(f.readUInt16LE(5)));
      if (this.frames.length >= n) break;
      const woke = await new Promise<boolean>((r) => {
        const timer = setTimeout(() => r(false), quietMs);
        this.wake = () => { clearTimeout(timer); r(true); };
      });
      if (!woke) break;
    }
    this.wake = undefined;
    this.frames = this.frames.filter((f) => mine(f.readUInt16LE(5)));
    return this.frames.splice(0, n);
  }
}
