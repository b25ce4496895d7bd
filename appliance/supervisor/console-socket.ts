// The local console socket, DATA/console.sock (mode 0600): how `colony console` reaches a
// running supervisor instead of failing on the data directory's lock. File permissions
// are the guard, as for 9p.sock.
//
// Protocol: the client sends one header line `colony-console 1 USER [json]` (USER may be
// `-` for the first admin), then command lines. The server answers each command as the
// console does on a pipe. When the client ends its side, the server writes a last line
// `#colony-exit N` (1 if any command failed) and closes.
import { chmod, rm } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import type { Catalog } from '../catalog/index.js';
import { Session } from '../console/index.js';
import { fromSystemError } from '../errors.js';
import type { Grid } from '../grid/index.js';
import type { Log } from '../log.js';

export const CONSOLE_HEADER = 'colony-console 1';
export const EXIT_TRAILER = '#colony-exit ';
const MAX_HEADER = 256;

/** Reads the header line; whatever came after it is pushed back for the session. */
function readHeader(sock: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const nl = buf.indexOf(10);
      if (nl < 0 && buf.length < MAX_HEADER) return;
      sock.off('data', onData);
      sock.pause();
      if (nl < 0) { reject(new Error('header too long')); return; }
      const rest = buf.subarray(nl + 1);
      if (rest.length) sock.unshift(rest);
      resolve(buf.subarray(0, nl).toString().trim());
    };
    sock.on('data', onData);
    sock.once('end', () => reject(new Error('closed before the header')));
  });
}

export async function listenConsole(path: string, opts: { grid: Grid; catalog: Catalog; log: Log }): Promise<{ close(): Promise<void> }> {
  const sessions = new Set<Session>();
  const sockets = new Set<Socket>();
  const serve = async (sock: Socket) => {
    sockets.add(sock);
    sock.once('close', () => sockets.delete(sock));
    sock.on('error', () => {});
    try {
      const header = await readHeader(sock);
      const [magic1, magic2, who, mode] = header.split(/\s+/);
      if (`${magic1} ${magic2}` !== CONSOLE_HEADER) { sock.end('error: not a colony console client\n'); return; }
      const user = !who || who === '-' ? opts.catalog.listUsers().find((u) => u.role === 'admin')?.name : who;
      try { opts.catalog.getUser(user ?? ''); } catch { sock.end(`error: no Colony user '${user ?? ''}'\n${EXIT_TRAILER}1\n`); return; }
      const session = new Session({ grid: opts.grid, user: user!, input: sock, output: sock, terminal: false, json: mode === 'json', maxLines: 100_000 });
      sessions.add(session);
      sock.resume();
      await session.run();
      sessions.delete(session);
      if (!sock.destroyed) sock.end(`${EXIT_TRAILER}${session.failures > 0 ? 1 : 0}\n`);
    } catch (err) {
      opts.log.warn({ err: String(err) }, 'console socket client refused');
      sock.destroy();
    }
  };
  const server = createServer({ allowHalfOpen: true }, (sock) => { void serve(sock); });
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
      for (const s of sessions) s.close();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(path, { force: true });
    },
  };
}
