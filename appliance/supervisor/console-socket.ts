// The supervisor's local API on DATA/console.sock (mode 0600): how the `colony` command
// reaches a running supervisor instead of failing on the data directory's lock. File
// permissions are the guard, as for 9p.sock: whoever can connect is the daemon's own uid
// (or root) and may act as any Colony user. The frames are console/local-protocol.ts.
//
// Concurrency: each connection runs one request at a time (a LINE or one EXEC); separate
// connections run concurrently, as the grid, the catalog and the store allow.
import { chmod, rm } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { Readable, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { Catalog } from '../catalog/index.js';
import { failureReply, loginAccount, runLine, type ConsoleContext, type NodeInfo } from '../console/index.js';
import {
  CHUNK, FRAME, FrameReader, jsonFrame, encodeFrame, parseJson, PROTOCOL, PROTOCOL_VERSION,
  type ExecRequest, type Frame, type Hello,
} from '../console/local-protocol.js';
import { ColonyError, fromSystemError, isColonyError } from '../errors.js';
import type { Grid } from '../grid/index.js';
import type { Log } from '../log.js';

/** The streams a one-shot command gets inside the supervisor; they lead to the caller. */
export interface RemoteIo {
  out: NodeJS.WritableStream & { isTTY?: boolean };
  err: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  /** Aborted when the caller goes away before the command ends (Ctrl-C on its side). */
  signal: AbortSignal;
}

/** Runs a `colony` command line for a local caller; resolves with its exit status. */
export type LocalExec = (req: ExecRequest, io: RemoteIo) => Promise<number>;

export interface ConsoleSocketOptions {
  grid: Grid;
  catalog: Catalog;
  log: Log;
  node?: NodeInfo;
  /** `shutdown` from the console. */
  shutdown?: (by: string) => void | Promise<void>;
  /** One-shot commands (EXEC); without it they are refused. */
  exec?: LocalExec;
}

class LocalConnection {
  private readonly reader = new FrameReader();
  private user: string | undefined;
  /** The account the hello logged in as: a user removed and added again is not this connection's. */
  private account: string | undefined;
  private busy = false;
  private answer: ((text: string | undefined) => void) | undefined;
  private stdin: Readable | undefined;
  private done = false;
  private ended = false;

  constructor(private readonly sock: Socket, private readonly opts: ConsoleSocketOptions) {
    sock.on('data', (chunk: Buffer) => {
      let frames: Frame[];
      try {
        frames = this.reader.push(chunk);
      } catch (err) {
        this.fail(err);
        return;
      }
      for (const f of frames) this.onFrame(f);
    });
    // The caller ended its side: finish the running request (its reply still goes out), then close.
    sock.on('end', () => { this.ended = true; if (!this.busy) sock.end(); });
    sock.on('close', () => { this.done = true; this.answer?.(undefined); this.stdin?.destroy(); });
    sock.on('error', () => {});
  }

  private send(frame: Buffer): boolean {
    return this.done || this.sock.destroyed ? false : this.sock.write(frame);
  }

  /** Ends the connection with one FAIL frame that says why. */
  private fail(err: unknown): void {
    const e = isColonyError(err) ? err : new ColonyError('COLONY_INTERNAL', String(err));
    this.opts.log.info({ err: e }, 'console socket client refused');
    this.send(jsonFrame(FRAME.FAIL, { code: e.code, message: e.detail }));
    this.done = true;
    this.sock.end();
  }

  private onFrame(f: Frame): void {
    if (this.done) return;
    try {
      if (this.user === undefined) { this.hello(f); return; }
      switch (f.type) {
        case FRAME.LINE: if (!this.busy) { void this.line(parseJson<{ line: string }>(f).line); return; } break;
        case FRAME.EXEC: if (!this.busy) { void this.exec(parseJson<ExecRequest>(f)); return; } break;
        case FRAME.ANSWER: if (this.answer) { const a = this.answer; this.answer = undefined; a(parseJson<{ text: string | null }>(f).text ?? undefined); return; } break;
        case FRAME.STDIN: if (this.stdin) { if (!this.stdin.push(f.payload)) this.sock.pause(); return; } break;
        case FRAME.STDIN_END: if (this.stdin) { this.stdin.push(null); return; } break;
      }
      throw new ColonyError('COLONY_PROTOCOL', `frame type ${f.type} out of turn`);
    } catch (err) {
      this.fail(err);
    }
  }

  private hello(f: Frame): void {
    const h = f.type === FRAME.HELLO ? parseJson<Hello>(f) : undefined;
    if (h?.protocol !== PROTOCOL || h.version !== PROTOCOL_VERSION) throw new ColonyError('COLONY_PROTOCOL', `not a ${PROTOCOL} ${PROTOCOL_VERSION} client (is this colony command from another version?)`);
    const { catalog } = this.opts;
    const user = h.user ?? catalog.listUsers().find((u) => u.role === 'admin')?.name ?? '';
    try { catalog.getUser(user); } catch { throw new ColonyError('COLONY_NOT_FOUND', `no Colony user '${user}'`); }
    this.user = user;
    this.account = loginAccount(catalog, user);
    this.send(jsonFrame(FRAME.WELCOME, { user, node: this.opts.node?.id ?? catalog.nodeId }));
  }

  private context(): ConsoleContext {
    const { grid, catalog, node, shutdown } = this.opts;
    return {
      user: this.user!, ...(this.account !== undefined ? { account: this.account } : {}), grid, accounts: catalog, ...(node ? { node } : {}), ...(shutdown ? { shutdown } : {}),
      ask: (prompt, o) => new Promise((resolve) => {
        if (this.done) { resolve(undefined); return; }
        this.answer = resolve;
        this.send(jsonFrame(FRAME.ASK, { prompt, secret: o.secret }));
      }),
    };
  }

  private async line(line: string): Promise<void> {
    this.busy = true;
    try {
      const reply = await runLine(this.context(), line);
      this.send(jsonFrame(FRAME.REPLY, reply));
    } finally {
      this.busy = false;
      if (this.ended) this.sock.end();
    }
  }

  /** One command per connection: its output streams back, then EXIT, then the end. */
  private async exec(req: ExecRequest): Promise<void> {
    this.busy = true;
    const exec = this.opts.exec;
    if (!exec) { this.fail(new ColonyError('COLONY_UNSUPPORTED', 'this supervisor runs no commands for the colony CLI')); return; }
    let wanted = false;
    const stdin = new Readable({
      highWaterMark: 4 * CHUNK,
      read: () => {
        if (!wanted) { wanted = true; this.send(encodeFrame(FRAME.STDIN_WANTED)); }
        this.sock.resume();
      },
    });
    this.stdin = stdin;
    const sink = (type: typeof FRAME.STDOUT | typeof FRAME.STDERR, tty: boolean) => Object.assign(new Writable({
      write: (chunk: Buffer, _enc, cb) => {
        let ok = true;
        for (let at = 0; at < chunk.length; at += CHUNK) ok = this.send(encodeFrame(type, chunk.subarray(at, at + CHUNK)));
        if (ok || this.done) { cb(); return; }
        // Wait for the caller to catch up, or for it to go away (writes are then dropped).
        const go = () => { this.sock.off('drain', go); this.sock.off('close', go); cb(); };
        this.sock.once('drain', go);
        this.sock.once('close', go);
      },
    }), { isTTY: tty });
    const gone = new AbortController();
    const onGone = () => gone.abort(new ColonyError('COLONY_CLOSED', 'the caller went away; the command was stopped'));
    this.sock.once('close', onGone);
    const out = sink(FRAME.STDOUT, req.tty.stdout);
    const err = sink(FRAME.STDERR, req.tty.stderr);
    let code: number;
    try {
      code = await exec(req, { out, err, stdin: Object.assign(stdin, { isTTY: req.tty.stdin }), signal: gone.signal });
    } catch (e) {
      this.opts.log.error({ err: e }, 'a command for the colony CLI failed');
      err.write(`colony: ${failureReply(e).output}\n`);
      code = 1;
    }
    this.sock.off('close', onGone);
    out.end();
    err.end();
    await Promise.all([finished(out), finished(err)]).catch(() => {});
    // Who ran what on this machine, for the journal (arguments may name private paths: words only).
    this.opts.log.info({ user: this.user, command: req.argv.filter((w) => /^[a-z][a-z0-9-]*$/.test(w)).slice(0, 2).join(' '), code, gone: this.done }, 'colony command done');
    this.send(jsonFrame(FRAME.EXIT, { code }));
    this.done = true;
    this.sock.end();
  }
}

export async function listenConsole(path: string, opts: ConsoleSocketOptions): Promise<{ close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true }, (sock) => {
    sockets.add(sock);
    sock.once('close', () => sockets.delete(sock));
    new LocalConnection(sock, opts);
  });
  await rm(path, { force: true });
  const oldMask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(path, () => resolve()); });
  } catch (err) {
    throw fromSystemError(err, `listening on the console socket ${path}`);
  } finally {
    process.umask(oldMask);
  }
  await chmod(path, 0o600);
  return {
    async close() {
      // server.close() waits for every connection, so end them first.
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(path, { force: true });
    },
  };
}
