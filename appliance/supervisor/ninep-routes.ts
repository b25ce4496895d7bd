// What a 9P attach name reaches on this node:
//   ctl              the grid as files (scores, status, ctl, env/NAME/{status,ctl}); unix socket
//                    only, whose 0600 mode is the credential: the attach's uname is the Colony
//                    user, and 9P has no way to prove it over TCP (remote control is SSH's job).
//   env/NAME/TOKEN   an environment's root, by its capability token (any transport).
//   env/NAME         the same on the unix socket, whose 0600 mode is the guard.
//   cpu/NAME[/TOKEN], proc   execution: the xcpu tree and the process tree (exec-routes.ts).
// Inside an environment, client uids are used as they are (see docs/ninep.md).
import type { Catalog } from '../catalog/index.js';
import { runLine, type ConsoleContext, type NodeInfo } from '../console/index.js';
import { ColonyError, isColonyError, notFound, permission, usage } from '../errors.js';
import type { Environment, Grid } from '../grid/index.js';
import type { Log } from '../log.js';
import { routeTable, SynthFs, synthDir, synthFile, type AttachRequest, type AttachRouter, type Attachment } from '../ninep/index.js';
import { VolumeBackend } from '../ninep/volume-backend.js';
import { Accounts, type Volume } from '../volume/index.js';
import { CpuTrees, execRoutes, type ExecRouteOptions } from './exec-routes.js';

export interface RouteOptions {
  grid: Grid; catalog: Catalog; log: Log;
  /** For the console's `node` verb on ctl. */
  node?: NodeInfo;
  /** cpu/ and proc: the executor (getter: it starts after the 9P server, which it mounts from) and the xcpu trees. */
  exec?: Omit<ExecRouteOptions, 'grid' | 'catalog'>;
}

/**
 * Who an attach acts as inside an environment (docs/ninep.md, "Users and ids"):
 * - n_uname, when the client sends it (the Linux client's per-user attaches): that uid;
 * - otherwise one attach serves every local user of the mount (the Linux client's first
 *   attach, access=any, access=<uid>, Plan 9). On the unix socket's env/NAME route its
 *   uname names the environment's Colony owner, who has full authority over it, and the
 *   client kernel has already checked its local users against the modes we report: it acts
 *   as root. Elsewhere the uname is read in the environment: a number, `root`, an account
 *   in its /etc/passwd, or nobody.
 * The gid is the account's primary group (or the uid, Debian's private group); requests
 * then get the supplementary groups too (Accounts.cred, re-read when /etc changes).
 */
export async function attachIdentity(volume: Volume, req: Pick<AttachRequest, 'uname' | 'nUname'>, ownerRoute = false): Promise<{ uid: number; gid: number }> {
  const accounts = Accounts.of(volume);
  const uid = req.nUname ?? (ownerRoute ? 0 : await accounts.uidForName(req.uname));
  const { gid } = await accounts.cred(uid);
  return { uid, gid };
}

/**
 * The grid as files for one attached user. Lines written to `ctl` go through the console's
 * one command registry (the same verbs as SSH and `colony console`); a command that fails
 * fails the write with the errno of its error code, and the same fid then reads the message.
 */
function ctlTree(grid: Grid, user: string, reach: Pick<ConsoleContext, 'accounts' | 'node'>): SynthFs {
  const context: ConsoleContext = { user, grid, ...reach };
  const say = async (line: string) => {
    const r = await runLine(context, line);
    if (r.error) throw new ColonyError(r.error, r.output.replace(/^error: /, ''));
    return r.output + (r.output ? '\n' : '');
  };
  return new SynthFs(synthDir({
    scores: synthFile({ read: () => say('scores') }),
    status: synthFile({ read: () => say('status') }),
    ctl: synthFile({ read: () => say('help'), write: (_c, data) => say(data.toString().trim()) }),
    env: synthDir(() => Object.fromEntries(grid.status(user).filter((e) => e.owner === user).map((e) => [e.name, synthDir({
      status: synthFile({ read: () => JSON.stringify(e, null, 2) + '\n' }),
      ctl: synthFile({
        read: () => 'save NEWNAME | boom | checkpoint\n',
        write: async (_c, data) => {
          const [verb, arg, ...rest] = data.toString().trim().split(/\s+/);
          if (verb === 'save' && arg && !rest.length) return say(`save ${e.name} ${arg}`);
          if (verb === 'boom' && !arg) return say(`boom ${e.name}`);
          if (verb === 'checkpoint' && !arg) { await grid.checkpoint(e.name); return 'checkpointed\n'; }
          throw usage('write "save NEWNAME", "boom" or "checkpoint"');
        },
      }),
    })]))),
  }));
}

export function gridRouter(opts: RouteOptions): AttachRouter {
  const { grid, catalog } = opts;
  const attachEnv = async (req: AttachRequest, env: Environment, counted: boolean, ownerRoute: boolean): Promise<Attachment> => {
    const backend = new VolumeBackend(env.volume, {
      onFsync: env.kind === 'disk' ? async () => { await grid.checkpoint(env.name); } : undefined,
      accounts: Accounts.of(env.volume),
    });
    const id = await attachIdentity(env.volume, req, ownerRoute);
    if (!counted) env.clients++;
    return {
      backend, root: await backend.root(), user: { ...id, uname: req.uname }, route: `env/${env.name}`,
      detach: () => grid.detach(env),
    };
  };
  const exec = execRoutes({ grid, catalog, ...(opts.exec ?? { exec: () => undefined, trees: new CpuTrees(), nodeId: () => '' }) });
  return routeTable({
    ...exec,
    ctl: async (req) => {
      // Whoever reaches the unix socket passed its 0600 mode; over TCP the uname is a claim
      // anyone can make, so ctl is refused there whatever the uname (use SSH to reach a node).
      if (req.transport.kind !== 'unix') throw permission('the grid control tree is served on the unix socket DATA/9p.sock only; over the network use the SSH console');
      try { catalog.getUser(req.uname); } catch { throw permission(`no Colony user '${req.uname}'`); }
      const backend = ctlTree(grid, req.uname, { accounts: catalog, ...(opts.node ? { node: opts.node } : {}) });
      return { backend, root: backend.root, user: { uid: 0, gid: 0, uname: req.uname } };
    },
    'env/': async (req, rest) => {
      const parts = rest.split('/').filter(Boolean);
      if (parts.length === 2) {
        try {
          return await attachEnv(req, grid.attach(`env/${parts[0]}/${parts[1]}`), true, false);
        } catch (err) {
          if (isColonyError(err, 'COLONY_AUTH')) throw new ColonyError('COLONY_AUTH', `wrong or revoked token for environment ${parts[0]}`);
          throw err;
        }
      }
      if (parts.length === 1 && req.transport.kind === 'unix') {
        // The Linux client's per-user attaches send an empty uname: the owner is whoever this connection mounted as.
        const owner = req.uname || req.connectionUname;
        if (!owner) throw permission(`attach ${req.aname} with uname= set to the environment's owner`);
        const env = grid.environment(owner, parts[0]!, 'mount');
        return attachEnv(req, env, false, true);
      }
      if (parts.length === 1) throw permission('over TCP an environment needs its token: attach env/NAME/TOKEN');
      throw notFound(`attach name ${JSON.stringify(req.aname)}`);
    },
  });
}
