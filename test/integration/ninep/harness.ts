// Test helpers that own their clean-up: a NinepServer listening on a unix socket in a
// temporary directory, and clients that close when the test ends.
import { join } from 'node:path';
import type { Test } from 'tap';
import type { AttachRouter, Backend, Caller, Handle, Node } from '../../../appliance/ninep/backend.js';
import { NinepClient } from '../../../appliance/ninep/client.js';
import { MemFs } from '../../../appliance/ninep/memfs.js';
import { routeTable } from '../../../appliance/ninep/router.js';
import { NinepServer, type NinepServerOptions } from '../../../appliance/ninep/server.js';
import { tmpDir } from '../../helpers/tmp.js';

export interface Served {
  server: NinepServer;
  addr: string;
  fs: MemFs;
  /** A connected client that has negotiated `version` (default 9P2000.L). */
  client(opts?: { version?: string; msize?: number }): Promise<NinepClient>;
}

/** A router that attaches 'mem' to the MemFs as uid n_uname (or 1000). */
export const memRouter = (fs: Backend & { root: Node }, extra: Parameters<typeof routeTable>[0] = {}): AttachRouter =>
  routeTable({
    mem: async (req) => ({ backend: fs, root: fs.root, user: { uid: req.nUname ?? 1000, gid: 1000, uname: req.uname }, route: 'mem' }),
    ...extra,
  });

export async function serve(t: Test, opts: Partial<NinepServerOptions> & { fs?: MemFs } = {}): Promise<Served> {
  const fs = opts.fs ?? new MemFs();
  const server = new NinepServer({ router: opts.router ?? memRouter(fs), ...opts });
  const dir = await tmpDir(t, 'colony-9p-');
  const l = await server.listen(join(dir, '9p.sock'));
  t.teardown(() => server.close());
  return {
    server, addr: l.address, fs,
    async client(o = {}) {
      const c = await NinepClient.connect(l.address, { msize: o.msize ?? 65536, ...(o.version ? { version: o.version } : {}) });
      t.teardown(() => c.close());
      return c;
    },
  };
}

/** Waits (bounded) until `cond` holds, yielding to the event loop between checks. */
export async function until(cond: () => boolean, what: string, rounds = 2000): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`gave up waiting for ${what}`);
}

/**
 * A MemFs whose reads of a file named "slow*" wait until released or aborted, so tests
 * can hold a request outstanding on purpose.
 */
export class GatedFs extends MemFs {
  readonly waiting: Array<() => void> = [];
  aborted = 0;
  /** Behave like a backend that never looks at its signal. */
  ignoreAbort = false;

  override async read(c: Caller, h: Handle, offset: number, count: number): Promise<Buffer> {
    const node = (h as unknown as { inode: { ino: number } }).inode;
    if (this.slow.has(node.ino)) {
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => { this.aborted++; reject(new Error('aborted')); };
        if (this.ignoreAbort) { this.waiting.push(resolve); return; }
        if (c.signal.aborted) { onAbort(); return; }
        c.signal.addEventListener('abort', onAbort, { once: true });
        this.waiting.push(() => { c.signal.removeEventListener('abort', onAbort); resolve(); });
      });
    }
    return super.read(c, h, offset, count);
  }

  private slow = new Set<number>();
  makeSlow(path: string, data: string): void { this.slow.add(this.writeFile(path, data).ino); }
  releaseAll(): void { for (const w of this.waiting.splice(0)) w(); }
}
