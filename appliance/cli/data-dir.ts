// Opening a data directory for a one-shot command: the store, the catalog and this node's
// id, with one clean close. Both LevelDB databases take their own locks, so while a
// supervisor runs on the same directory the command runs inside it instead (main.ts
// forwards it over DATA/console.sock) and gets the supervisor's open services as `daemon`.
import { join } from 'node:path';
import { Catalog } from '../catalog/index.js';
import { ColonyError, isColonyError } from '../errors.js';
import { ensureDir } from '../files.js';
import { closureProgress, nameVisibility, type EnvironmentInfo, type Grid, type NameView, type Progress } from '../grid/index.js';
import { consoleLog, type Log } from '../log.js';
import { BlockStore, formatScore } from '../store/index.js';
import { DATA_UMASK } from '../supervisor/data-modes.js';
import type { ImportGuard } from '../supervisor/snapshot-transfer.js';
import { catalogOrigin, loadOrCreateIdentity } from '../identity/index.js';
import type { CommandContext } from './command.js';
import { announceFirstAdmin } from './first-admin.js';

export { nodeIdOf } from '../supervisor/node-id.js';

export interface DataDir { data: string; store: BlockStore; catalog: Catalog; nodeId: string; log: Log; close(): Promise<void> }

/** What `colony status` reports about a running supervisor. */
export interface SupervisorStatus {
  health: string;
  pid: number;
  node: { id: string; version: string; started: string; uptimeMs: number };
  /** Where 9P and SSH listen. */
  ninep: string[];
  ssh?: string;
  /** The peer network: this node's peer id and where it listens (absent when it is off). */
  peer?: { id: string; listen: string[] };
  /** The environments the asking user may see (all of them for an admin). */
  environments: EnvironmentInfo[];
}

/** The running supervisor's services, lent to a command it runs for a local caller. */
export interface Daemon extends DataDir {
  grid: Grid;
  /** Quotas and the garbage collector's holds, for imports run inside the supervisor. */
  imports?: ImportGuard;
  status(user: string): SupervisorStatus;
}

export async function openDataDir(data: string, err: NodeJS.WritableStream): Promise<DataDir> {
  const log = consoleLog(err);
  // For the whole process: LevelDB and the arenas create files in DATA as long as it is open.
  process.umask(DATA_UMASK);
  await ensureDir(data);
  // The node key signs what this command adds to the catalog, as the supervisor's would.
  const identity = await loadOrCreateIdentity(data);
  const nodeId = await catalogOrigin(data, async () => identity);
  const locked = (e: unknown) => isColonyError(e, 'COLONY_LOCKED')
    ? new ColonyError('COLONY_LOCKED', `${data} is in use by another Colony process that does not answer on console.sock (a supervisor still starting, or another command); try again when it is done`, { cause: e })
    : e;
  const store = await BlockStore.open(join(data, 'store'), { log }).catch((e) => { throw locked(e); });
  let catalog: Catalog;
  try {
    catalog = await Catalog.open(join(data, 'catalog'), { nodeId, signer: identity, log });
  } catch (e) {
    await store.close();
    throw locked(e);
  }
  const first = await catalog.ensureAdmin();
  // Whichever command makes the data directory, the password goes where `colony serve` puts it.
  if (first.created) announceFirstAdmin(data, err, first.name, first.password!);
  return {
    data, store, catalog, nodeId, log,
    async close() { await catalog.close(); await store.close(); },
  };
}

/** The data directory for one command: the supervisor's services when it runs inside one, else opened here. */
export async function withDataDir<T>(ctx: Pick<CommandContext, 'data' | 'err' | 'daemon'>, fn: (d: DataDir) => Promise<T>): Promise<T> {
  if (ctx.daemon) return fn(ctx.daemon); // the supervisor's to close, not ours
  const d = await openDataDir(ctx.data, ctx.err);
  try { return await fn(d); } finally { await d.close(); }
}

/** The user a command acts as: --user, else the first admin. */
export function actingUser(values: Record<string, unknown>, d: Pick<DataDir, 'catalog'>): string {
  if (typeof values.user === 'string') { d.catalog.getUser(values.user); return values.user; }
  const admin = d.catalog.listUsers().find((u) => u.role === 'admin');
  return admin?.name ?? 'admin';
}

/**
 * The names `user` sees, with those replicated from a peer whose blocks are not all here
 * apart (no name before its blocks). Inside a supervisor: its grid's view (lazy mode's peers
 * included). One-shot: every other origin's root is walked once over the local store (a
 * name saved here is complete by the rule); no peer is asked, since none is connected.
 */
export async function nameView(d: DataDir | Daemon, user: string, filter?: string): Promise<NameView> {
  if ('grid' in d) return { visible: d.grid.scores(user, filter), pending: d.grid.pendingScores(user, filter) };
  const all = d.catalog.scores(user, filter);
  const walked = new Map<string, true | Progress>();
  for (const r of all) {
    const key = formatScore(r.root);
    if (r.origin === d.nodeId || walked.has(key)) continue;
    const p = await closureProgress(d.store, r.root);
    walked.set(key, p.total !== undefined && p.local === p.total ? true : p);
  }
  return nameVisibility(all, (r) => walked.get(formatScore(r.root)), d.nodeId);
}
