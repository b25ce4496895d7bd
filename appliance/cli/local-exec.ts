// The supervisor's side of a forwarded one-shot command: the same `colony` command code,
// run against the supervisor's open store, catalog and grid instead of a freshly opened
// data directory, with the caller's streams and working directory.
import type { ExecRequest } from '../console/local-protocol.js';
import { unsupported } from '../errors.js';
import type { RemoteIo } from '../supervisor/console-socket.js';
import type { Log } from '../log.js';
import type { Supervisor } from '../supervisor/index.js';
import type { Daemon } from './data-dir.js';
import { main } from './main.js';

/** What serve.ts knows of the supervisor it started. */
export interface Served { data: string; log: Log; version: string; started: number }

function daemonOf(sup: Supervisor, served: Served): Daemon {
  const { store, catalog, grid } = sup;
  if (!store || !catalog || !grid) throw unsupported('the supervisor is not running');
  const { data, log, version, started } = served;
  return {
    data, store, catalog, grid, nodeId: sup.nodeId, log, ...(sup.gc ? { imports: sup.gc } : {}),
    async close() { /* the supervisor closes its own services */ },
    status: (user) => ({
      health: sup.health,
      pid: process.pid,
      node: { id: sup.nodeId, version, started: new Date(started).toISOString(), uptimeMs: Date.now() - started },
      ninep: sup.ninepAddresses,
      ...(sup.sshAddress ? { ssh: `${sup.sshAddress.host}:${sup.sshAddress.port}` } : {}),
      ...(sup.peers ? { peer: { id: sup.peers.self, listen: sup.peers.addresses() } } : {}),
      environments: grid.status(user),
    }),
  };
}

export function localExec(sup: Supervisor, served: Served, req: ExecRequest, io: RemoteIo): Promise<number> {
  const { signal, ...streams } = io;
  return main(req.argv, { ...streams, env: {} }, { cwd: req.cwd, daemon: daemonOf(sup, served), signal });
}
