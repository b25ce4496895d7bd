// startDiscovery: announce this appliance and browse for the others on the chosen interfaces,
// through a running avahi-daemon over D-Bus (avahi.ts: one responder per host), else in
// process (responder.ts, browser.ts).
import { networkInterfaces } from 'node:os';
import type { Log } from '../log.js';
import type { Found } from './browse.js';
import { browseThroughAvahi, connectAvahi, publishThroughAvahi } from './avahi.js';
import { Browser } from './browser.js';
import { checkInstanceName, defaultName, type Ports } from './records.js';
import { Responder } from './responder.js';
import { closeSockets, openSockets, pickInterfaces } from './sockets.js';

export interface DiscoveryOptions {
  nodeId: string;
  version: string;
  ports: Ports;
  /** The instance name; absent: `colony-` and the node id's last six characters. */
  name?: string;
  /** Interface names; [] = every non-loopback IPv4 interface. */
  interfaces: string[];
  /** Keeps only interfaces whose address this accepts (wiring.ts reachableFrom: the listeners cover it). */
  reachable?: (address: string) => boolean;
  log: Log;
  /** Called with the appliances found whenever that set changes (this node included). */
  onFound?: (found: Found[]) => void;
  /** Tests only: another UDP port than 5353. */
  port?: number;
  /** false: never use avahi-daemon, even when it runs (tests of the in-process responder). */
  avahi?: boolean;
}

export interface Discovery {
  /** The name announced now (after any rename). */
  name(): string;
  /** Renames so far, oldest first (`node` shows the last). */
  renames(): Array<{ from: string; to: string }>;
  /** Where it announces (interface names and addresses). */
  interfaces(): Array<{ name: string; address: string }>;
  found(): Found[];
  /** Who answers for this node on the LAN: a running avahi-daemon (over D-Bus), or this process. */
  via: 'avahi-daemon' | 'in process';
  /** Resolves once the records were first announced. */
  announced: Promise<void>;
  stop(): Promise<void>;
}

export async function startDiscovery(opts: DiscoveryOptions): Promise<Discovery> {
  const { chosen, absent } = pickInterfaces(networkInterfaces(), opts.interfaces, opts.reachable);
  if (absent.length) opts.log.warn({ absent }, 'discovery: configured interfaces not present: not announced there');
  const name = checkInstanceName(opts.name ?? defaultName(opts.nodeId));
  const host = defaultName(opts.nodeId);
  const ann = { instance: name, host, addresses: chosen.map((c) => c.address), nodeId: opts.nodeId, version: opts.version, ports: opts.ports };
  if (chosen.length === 0) {
    // Nothing to announce on (none chosen, or no listener reaches one): no socket, no bus.
    opts.log.info({ interfaces: opts.interfaces }, 'discovery: no interface to announce on (none chosen, or no listener reaches one)');
    return { name: () => name, renames: () => [], interfaces: () => [], found: () => [], via: 'in process', announced: Promise.resolve(), stop: async () => {} };
  }
  const conn = opts.avahi === false || opts.port !== undefined ? undefined : await connectAvahi(opts.log);
  if (conn) {
    // One responder per host: the daemon publishes and browses; this process opens no socket on 5353.
    opts.log.info({ version: conn.version }, 'avahi-daemon runs: publishing through it (D-Bus)');
    const names = chosen.map((c) => c.name);
    const publication = await publishThroughAvahi(conn, ann, names, opts.log);
    let found: Found[] = [];
    const browse = await browseThroughAvahi(conn, names, (f) => { found = f; opts.onFound?.(f); }, opts.log);
    let stopping: Promise<void> | undefined;
    return {
      name: publication.name, renames: publication.renames, interfaces: () => chosen.map((c) => ({ ...c })), found: () => found, via: 'avahi-daemon', announced: publication.announced,
      stop: () => {
        stopping ??= (async () => { await browse.stop(); await publication.stop(); conn.bus.disconnect(); })();
        return stopping;
      },
    };
  }
  const sockets = await openSockets(chosen, opts.log, opts.port);
  const renames: Array<{ from: string; to: string }> = [];
  const responder = new Responder(sockets, ann, opts.log, (to, from) => { renames.push({ from, to }); });
  const browser = new Browser(sockets, (found) => opts.onFound?.(found));
  const announced = responder.start();
  browser.start();
  let stopping: Promise<void> | undefined;
  return {
    name: () => responder.name,
    renames: () => [...renames],
    interfaces: () => chosen.map((c) => ({ ...c })),
    found: () => browser.found(),
    via: 'in process',
    announced,
    stop: () => {
      stopping ??= (async () => { browser.stop(); await responder.stop(); await closeSockets(sockets); })();
      return stopping;
    },
  };
}
