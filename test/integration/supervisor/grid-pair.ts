// Two real supervisors paired on loopback, and 9P helpers to spawn and read on one of them.
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Test } from 'tap';
import { MemoryLog } from '../../../appliance/log.js';
import { NinepClient, L_O_RDWR, L_O_TRUNC } from '../../../appliance/ninep/index.js';
import { defaultConfig, validateConfig, type Config } from '../../../appliance/supervisor/config.js';
import { Supervisor } from '../../../appliance/supervisor/index.js';
import { tmpDir } from '../../helpers/tmp.js';
import { ctlLine } from './seeded-supervisor.js';

export type Node = Awaited<ReturnType<typeof startedNode>>;

/** A free TCP port on loopback (for a node restarted at the address its peers know). */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as AddressInfo).port;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

/** A supervisor (on a fresh data directory unless `data` is given), every listener on 127.0.0.1:0 unless `peer` says; `peer` is merged into peer.*. */
export async function startedNode(t: Test, peer: Partial<Config['peer']> = {}, dataDir?: string) {
  const data = dataDir ?? await tmpDir(t);
  const config = validateConfig({
    ninep: { listen: ['127.0.0.1:0'] }, ssh: { listen: '127.0.0.1:0' }, peer: { listen: ['127.0.0.1:0'], ...peer },
    environments: { checkpointSeconds: 3600 }, web: { enabled: false },
  }, defaultConfig(false));
  const log = new MemoryLog();
  const sup = new Supervisor({ data, log, config });
  await sup.start();
  t.teardown(() => sup.stop().catch(() => {}));
  return { data, sup, log, id: sup.nodeId, address: sup.peers!.addresses()[0]!, unix: join(data, '9p.sock') };
}

/** Pairs both ways (as two admins would on their consoles) and waits for the connection. */
export async function pairNodes(a: Node, b: Node): Promise<void> {
  await a.sup.peers!.pair(b.id, b.address, 'admin');
  await b.sup.peers!.pair(a.id, a.address, 'admin');
  await until(() => a.sup.peers!.connectedMembers().includes(b.id) && b.sup.peers!.connectedMembers().includes(a.id), 'the connection');
}

/** Bounded poll (600 × 100 ms). */
export async function until(ok: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (ok()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} never happened`);
}

/** One ctl line over the unix socket, as admin; the reply. */
export function ctl(node: Node, line: string): Promise<string> {
  return ctlLine(node.unix, line);
}

/** A file of environment `env` read whole over the unix socket (as admin: no token). */
export async function read9p(node: Node, env: string, path: string): Promise<Buffer> {
  const c = await NinepClient.connect(node.unix);
  try {
    const { fid } = await c.attach(`env/${env}`, 'admin');
    const f = await c.walkPath(fid, path);
    await c.open(f);
    return await c.readAll(f);
  } finally { c.close(); }
}

/** Replaces a file of environment `env` over the unix socket (as admin: no token). */
export async function write9p(node: Node, env: string, path: string, data: Buffer): Promise<void> {
  const c = await NinepClient.connect(node.unix);
  try {
    const { fid } = await c.attach(`env/${env}`, 'admin');
    const f = await c.walkPath(fid, path);
    await c.open(f, L_O_RDWR | L_O_TRUNC);
    for (let at = 0; at < data.length;) {
      const n = await c.write(f, at, data.subarray(at, at + 32 * 1024));
      if (n <= 0) throw new Error(`a write at ${at} of ${path} wrote nothing`); // so the loop is bounded
      at += n;
    }
  } finally { c.close(); }
}
