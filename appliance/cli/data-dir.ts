// Opening a data directory for a one-shot command: the store, the catalog and this node's
// id, with one clean close. Both LevelDB databases take their own locks, so while a
// supervisor runs on the same directory these commands answer COLONY_LOCKED.
import { join } from 'node:path';
import { Catalog } from '../catalog/index.js';
import { ColonyError, isColonyError } from '../errors.js';
import { ensureDir } from '../files.js';
import { consoleLog, type Log } from '../log.js';
import { BlockStore } from '../store/index.js';
import { nodeIdOf } from '../supervisor/node-id.js';

export { nodeIdOf };

export interface DataDir { data: string; store: BlockStore; catalog: Catalog; nodeId: string; log: Log; close(): Promise<void> }

export async function openDataDir(data: string, err: NodeJS.WritableStream): Promise<DataDir> {
  const log = consoleLog(err);
  await ensureDir(data);
  const nodeId = await nodeIdOf(data);
  const locked = (e: unknown) => isColonyError(e, 'COLONY_LOCKED')
    ? new ColonyError('COLONY_LOCKED', `${data} is in use by another Colony process (is the supervisor running? stop it first)`, { cause: e })
    : e;
  const store = await BlockStore.open(join(data, 'store'), { log }).catch((e) => { throw locked(e); });
  let catalog: Catalog;
  try {
    catalog = await Catalog.open(join(data, 'catalog'), { nodeId, log });
  } catch (e) {
    await store.close();
    throw locked(e);
  }
  const first = await catalog.ensureAdmin();
  if (first.created) {
    err.write(`colony: created the first admin user '${first.name}' with the one-time password: ${first.password}\n`);
    err.write('colony: it is shown only now and stored only as a hash; change it with `colony users passwd admin`\n');
  }
  return {
    data, store, catalog, nodeId, log,
    async close() { await catalog.close(); await store.close(); },
  };
}

export async function withDataDir<T>(data: string, err: NodeJS.WritableStream, fn: (d: DataDir) => Promise<T>): Promise<T> {
  const d = await openDataDir(data, err);
  try { return await fn(d); } finally { await d.close(); }
}

/** The user a command acts as: --user, else the first admin. */
export function actingUser(values: Record<string, unknown>, d: DataDir): string {
  if (typeof values.user === 'string') { d.catalog.getUser(values.user); return values.user; }
  const admin = d.catalog.listUsers().find((u) => u.role === 'admin');
  return admin?.name ?? 'admin';
}
