// A grid over a fresh data directory: a store, a catalog with admin, alice, bob and carol,
// two snapshots of alice's (`debian`, a tree with /etc/passwd and /etc/group; `plain`,
// one without), all closed when the test ends.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Test } from 'tap';
import { Catalog } from '../../../appliance/catalog/index.js';
import { Grid, type GridLimits } from '../../../appliance/grid/index.js';
import { importDirectory } from '../../../appliance/snapshot/index.js';
import { BlockStore, type Score, type StoreOptions } from '../../../appliance/store/index.js';
import { ROOT_CRED, ROOT_INO, type Volume } from '../../../appliance/volume/index.js';
import { tmpDir } from '../../helpers/tmp.js';
import { fastScrypt } from '../../unit/catalog/fixtures.js';

export const PASSWD = 'root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n';
export const GROUP = 'root:x:0:\nsudo:x:27:alice\nalice:x:1000:\nnogroup:x:65534:\n';

export async function makeTree(dir: string, opts: { etc?: boolean } = {}): Promise<void> {
  await mkdir(join(dir, 'home/alice'), { recursive: true });
  await writeFile(join(dir, 'hello.txt'), 'hello from the base\n');
  await writeFile(join(dir, 'big.bin'), Buffer.alloc(200_000, 7));
  if (opts.etc !== false) {
    await mkdir(join(dir, 'etc'));
    await writeFile(join(dir, 'etc/passwd'), PASSWD);
    await writeFile(join(dir, 'etc/group'), GROUP);
  }
}

export interface GridWorld {
  data: string;
  store: BlockStore;
  catalog: Catalog;
  grid: Grid;
  roots: { debian: Score; plain: Score };
  /** Closes the grid and opens a new one on the same store and catalog (a restart of the grid). */
  reopen(limits?: Partial<GridLimits>): Promise<Grid>;
}

export async function openWorld(t: Test, limits: Partial<GridLimits> = {}, opts: { store?: (s: BlockStore) => BlockStore; storeOptions?: StoreOptions } = {}): Promise<GridWorld> {
  const data = await tmpDir(t);
  const rawStore = await BlockStore.open(join(data, 'store'), opts.storeOptions);
  const catalog = await Catalog.open(join(data, 'catalog'), { nodeId: 'node-a', scrypt: fastScrypt });
  for (const [name, role] of [['admin', 'admin'], ['alice', 'user'], ['bob', 'user'], ['carol', 'user']] as const) await catalog.addUser({ name, role });
  const src = await tmpDir(t);
  await makeTree(join(src, 'debian'));
  await makeTree(join(src, 'plain'), { etc: false });
  const debian = (await importDirectory(rawStore, join(src, 'debian'), { xattrs: false })).root;
  const plain = (await importDirectory(rawStore, join(src, 'plain'), { xattrs: false })).root;
  await catalog.registerName({ owner: 'alice', name: 'debian', root: debian });
  await catalog.registerName({ owner: 'alice', name: 'plain', root: plain });
  const store = opts.store ? opts.store(rawStore) : rawStore;
  const world: GridWorld = {
    data, store, catalog, roots: { debian, plain },
    grid: await Grid.open({ data, store, catalog, limits: { checkpointMs: 0, ...limits } }),
    async reopen(more = {}) {
      await world.grid.close();
      world.grid = await Grid.open({ data, store, catalog, limits: { checkpointMs: 0, ...limits, ...more } });
      return world.grid;
    },
  };
  t.teardown(async () => {
    await world.grid.close().catch(() => {});
    await catalog.close().catch(() => {});
    await rawStore.close().catch(() => {});
  });
  return world;
}

/** Creates or overwrites a file at a top-level name, as root. */
export async function putFile(vol: Volume, name: string, data: Buffer | string): Promise<number> {
  let ino: number;
  try { ino = await vol.lookup(ROOT_CRED, ROOT_INO, name); } catch { ino = await vol.create(ROOT_CRED, ROOT_INO, name, 'file', 0o644, 0); }
  const buf = Buffer.from(data);
  await vol.setattr(ROOT_CRED, ino, { size: 0 });
  await vol.write(ROOT_CRED, ino, 0, buf);
  return ino;
}

/** A file's whole content, by slash path from the root; undefined when missing. */
export async function getFile(vol: Volume, path: string): Promise<string | undefined> {
  try {
    const node = await vol.resolvePath(path);
    const { size } = await vol.getattr(node.ino);
    return (await vol.read(node.ino, 0, size)).toString();
  } catch { return undefined; }
}
