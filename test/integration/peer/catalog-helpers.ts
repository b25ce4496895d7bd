// Sites for the catalog replication tests: each one a node identity, a catalog in its own
// temporary directory signed with that node's key, a membership set, and (while "up") a
// real libp2p node on loopback running the replication. Everything is stopped at teardown.
import { createHash } from 'node:crypto';
import type { Test } from 'tap';
import { Catalog } from '../../../appliance/catalog/index.js';
import { loadOrCreateIdentity, type Identity } from '../../../appliance/identity/index.js';
import type { Log } from '../../../appliance/log.js';
import { Membership, startCatalogReplication, startPeerNode, type CatalogReplication, type PeerNode, type ReplicatedCatalog } from '../../../appliance/peer/index.js';
import { tmpDir } from '../../helpers/tmp.js';
import { fastScrypt } from '../../unit/catalog/fixtures.js';

export interface Logged { level: string; msg: string; [k: string]: unknown }

export function recordingLog(into: Logged[]): Log {
  const at = (level: string) => (obj: object, msg?: string) => { into.push({ level, msg: msg ?? '', ...obj }); };
  const log: Log = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => log };
  return log;
}

export interface Site {
  id: string;
  identity: Identity;
  catalog: Catalog;
  members: Membership;
  logged: Logged[];
  node?: PeerNode;
  repl?: CatalogReplication;
  /** Starts the node and the replication; `serveAs` replaces what peers are served from (a liar). */
  up(serveAs?: ReplicatedCatalog): Promise<void>;
  down(): Promise<void>;
}

export async function site(t: Test): Promise<Site> {
  const identity = await loadOrCreateIdentity(await tmpDir(t));
  const catalog = await Catalog.open(await tmpDir(t), { nodeId: identity.nodeId, signer: identity, scrypt: fastScrypt });
  const s: Site = {
    id: identity.nodeId, identity, catalog, members: new Membership(), logged: [],
    async up(serveAs) {
      const log = recordingLog(s.logged);
      s.node = await startPeerNode({ identity, listen: ['/ip4/127.0.0.1/tcp/0'], isMember: (id) => s.members.has(id), log });
      s.repl = await startCatalogReplication({ node: s.node, catalog: serveAs ?? catalog, log, peers: () => s.members.list(), tickMs: 100 });
    },
    async down() {
      await s.repl?.stop();
      await s.node?.stop();
      s.repl = undefined;
      s.node = undefined;
    },
  };
  // Registered before the catalog's own close runs (tap runs teardowns in order).
  t.teardown(async () => { await s.down(); await catalog.close(); });
  return s;
}

/** Pairs two sites and connects them (b dials a). */
export async function link(a: Site, b: Site): Promise<void> {
  a.members.add(b.id);
  b.members.add(a.id);
  await b.node!.dial(a.id, a.node!.addresses());
}

/** Polls `check` (bounded: 600 × 25 ms) and returns its last answer. */
export async function eventually(check: () => boolean): Promise<boolean> {
  for (let i = 0; i < 600; i++) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return check();
}

export const rootOf = (text: string) => createHash('sha256').update(text).digest();

export const same = (a: Site, b: Site) => JSON.stringify(a.catalog.snapshot()) === JSON.stringify(b.catalog.snapshot());
