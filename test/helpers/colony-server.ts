// Colony's 9P server for the v9fs system tests: a fresh store, a volume imported from a small
// tree (or an empty one), served in-process on a unix socket under the attach name `env/test`
// (route 'env/test', so `server.disconnectRoute` cuts the guest off as a boom does). Attach
// identities come from `attachIdentity`, as in the supervisor's wiring. Closed at teardown.
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NinepServer, routeTable } from '../../appliance/ninep/index.js';
import { VolumeBackend } from '../../appliance/ninep/volume-backend.js';
import { exportDirectory, importDirectory } from '../../appliance/snapshot/index.js';
import { BlockStore } from '../../appliance/store/index.js';
import { attachIdentity } from '../../appliance/supervisor/ninep-routes.js';
import { Volume } from '../../appliance/volume/index.js';
import type { MountOptions, Teardown } from './vm.js';

export interface ColonyServer {
  socket: string;
  aname: string;
  route: string;
  server: NinepServer;
  volume: Volume;
  store: BlockStore;
  /** Every attach made so far (uname, uid), for diagnostics. */
  attaches: Array<{ uname: string; uid: number }>;
  /** Saves the volume and exports the saved tree to a new directory; returns its path. */
  saveAndExport(): Promise<string>;
}

export const colonyRoute = 'env/test';

/**
 * Starts Colony's 9P server over a fresh store and volume. `seed`, when given, is a host
 * directory imported as the volume's first tree; otherwise the volume starts from an empty
 * directory (mode 0755, owned by root). `t` is a tap Test, or anything with teardown.
 */
export async function startColony(t: Teardown, opts: { seed?: string; maxMsize?: number } = {}): Promise<ColonyServer> {
  const dir = await mkdtemp(join(process.env.COLONY_TEST_TMP ?? tmpdir(), 'colony-vm-colony-'));
  let store: BlockStore | undefined;
  let server: NinepServer | undefined;
  // One clean-up, in order: connections, then the store, then its directory.
  t.teardown(async () => {
    await server?.close().catch(() => {});
    await store?.close().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  });
  // uid 65534 (the checklist's non-root half) only needs to reach the socket's directory.
  await chmod(dir, 0o755);
  let seed = opts.seed;
  if (!seed) {
    seed = join(dir, 'seed');
    await mkdir(seed, { mode: 0o755 });
    await chmod(seed, 0o755);
  }
  store = await BlockStore.open(join(dir, 'store'));
  const { root } = await importDirectory(store, seed);
  const volume = await Volume.open(store, root);
  const attaches: ColonyServer['attaches'] = [];
  server = new NinepServer({
    maxMsize: opts.maxMsize ?? 1 << 20,
    router: routeTable({
      [colonyRoute]: async (req) => {
        const backend = new VolumeBackend(volume);
        const id = await attachIdentity(volume, req);
        attaches.push({ uname: req.uname, uid: id.uid });
        return { backend, root: await backend.root(), user: { ...id, uname: req.uname }, route: colonyRoute };
      },
    }),
  });
  const socket = join(dir, 'colony.sock');
  await server.listen(socket);
  let exports = 0;
  return {
    socket, aname: colonyRoute, route: colonyRoute, server, volume, store, attaches,
    async saveAndExport() {
      const saved = await volume.save();
      const dest = join(dir, `export-${exports++}`);
      await exportDirectory(store, saved.root, dest);
      return dest;
    },
  };
}

/** The mount options for Colony: the attach name, and uname root (the guest runs as root). */
export function colonyMount(colony: Pick<ColonyServer, 'aname'>, m: MountOptions = {}): MountOptions {
  return { version: '9p2000.L', aname: colony.aname, uname: 'root', msize: 65536, ...m };
}

/** The KEY=VALUE lines a guest script printed. */
export function saidBy(output: string): Record<string, string | undefined> {
  return Object.fromEntries([...output.matchAll(/^(\w+)=(.*)$/gm)].map((m) => [m[1]!, m[2]]));
}

/**
 * A bash command that lists DIR (relative to the cwd) the same way wherever it runs: path,
 * type, mode, owner and link count of every entry, sizes of files, symlink targets, then the
 * sha256 of every file under `maxBytes`. Run in the guest on the mount and on the host on the
 * exported tree; equal output means the saved tree holds what the guest wrote.
 */
export function listingCommand(dir: string, maxBytes = 16 << 20): string {
  return `LC_ALL=C find ${dir} \\( -type f -printf '%p f %m %U:%G %n %s\\n' \\) -o \\( -type l -printf '%p l %U:%G -> %l\\n' \\) -o -printf '%p %y %m %U:%G\\n' | LC_ALL=C sort` +
    ` && LC_ALL=C find ${dir} -type f -size -${maxBytes}c -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum`;
}
