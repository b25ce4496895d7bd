// The front panel (appliance/web) as a supervisor service: the HTTP server on web.listen,
// fed by a StatusWatch over the supervisor's services (node-status.ts), logging in against
// the catalog and limited by the SSH console's FailureLimiter (one lockout for SSH, the
// serial line and the web). A port that cannot be had is logged and the supervisor runs on
// without the panel: it is a window on the appliance, not a service the grid needs.
import type { Catalog } from '../catalog/index.js';
import type { NodeInfo } from '../console/index.js';
import type { Grid } from '../grid/index.js';
import type { Log } from '../log.js';
import type { NinepServer } from '../ninep/index.js';
import type { BlockStore } from '../store/index.js';
import { WebServer, type GcFigures, type LoginLimiter } from '../web/index.js';
import { StatusWatch, type StatusFacts } from './node-status.js';
import { loggable } from './os-errors.js';

export interface WebServiceOptions {
  listen: string;
  log: Log;
  node: NodeInfo;
  health: () => string;
  /** sysinfo.diskReserveBytes, shown beside the free space. */
  reserveBytes: number;
  /** Every reason to be degraded now (the supervisor's, not only the board's). */
  reasons?: () => string[];
  /** The collector's figures since start. */
  gc?: () => GcFigures;
  store: BlockStore;
  ninep: NinepServer;
  grid: Grid;
  catalog: Catalog;
  limiter: LoginLimiter;
}

export interface WebService {
  /** Where it listens, with the real port. */
  address: { host: string; port: number };
  watch: StatusWatch;
  close(): Promise<void>;
}

function attempt<T>(fn: () => T): T | undefined {
  try { return fn(); } catch { return undefined; }
}

/** The facts of this moment; a service that is closed (shutting down) gives nothing rather than failing the page. */
export function gatherFacts(o: WebServiceOptions): () => Promise<StatusFacts> {
  return async () => {
    const { node, catalog, grid, ninep } = o;
    // An admin sees every environment; the rows lose their tokens in node-status.ts.
    const admin = attempt(() => catalog.listUsers().find((u) => u.role === 'admin')?.name);
    const n = attempt(() => ({ ...ninep.stats(), ...ninep.usage() }));
    return {
      now: Date.now(),
      node: { id: node.id, name: attempt(() => node.lan?.().name) ?? '', version: node.version, started: node.started },
      health: o.health(),
      board: attempt(() => node.board?.()),
      reserveBytes: o.reserveBytes,
      store: await o.store.stats().catch(() => undefined),
      ...(o.reasons ? { reasons: o.reasons() } : {}),
      ...(o.gc ? { gc: o.gc() } : {}),
      ninep: n ? { connections: n.connections, fids: n.fids, refused: n.refused, dropped: n.dropped, ...ninep.requestCounts() } : undefined,
      environments: (admin ? attempt(() => grid.status(admin)) : undefined) ?? [],
      peers: node.peers ? attempt(() => node.peers!.list()) ?? [] : undefined,
    };
  };
}

export async function startWebService(o: WebServiceOptions): Promise<WebService | undefined> {
  const watch = new StatusWatch({ gather: gatherFacts(o), log: o.log });
  const unwatch = o.catalog.onEvent((events) => watch.noteCatalog(events));
  const server = new WebServer({
    status: () => watch.build(),
    accounts: {
      checkPassword: (name, password) => o.catalog.checkPassword(name, password),
      roleOf: (name) => attempt(() => o.catalog.getUser(name).role),
    },
    limiter: o.limiter,
    log: o.log,
  });
  // A new password ends the sessions the old one opened.
  const unwatchPasswords = o.catalog.onPasswordChange((name) => server.forgetUser(name));
  let address: WebService['address'];
  try {
    address = await server.listen(o.listen);
  } catch (err) {
    unwatch();
    unwatchPasswords();
    watch.stop();
    o.log.warn({ err: loggable(err) }, `the front panel cannot listen on ${o.listen} (web.listen; web.enabled false turns it off): running without it`);
    return undefined;
  }
  o.log.info({ address: `${address.host}:${address.port}` }, 'front panel listening');
  return {
    address, watch,
    async close() { unwatch(); unwatchPasswords(); watch.stop(); await server.close(); },
  };
}
