// What a 9P attach name reaches on this node:
//   ctl              the grid as files (scores, status, ctl, env/NAME/{status,ctl}); unix socket,
//                    or TCP when ninep.tcpCtl is set. The attach's uname is the Colony user.
//   env/NAME/TOKEN   an environment's root, by its capability token (any transport).
//   env/NAME         the same on the unix socket, whose 0600 mode is the guard.
// Inside an environment, client uids are used as they are (see docs/ninep.md).
import type { Catalog } from '../catalog/index.js';
import { run as runConsole } from '../console/index.js';
import { ColonyError, isColonyError, notFound, permission } from '../errors.js';
import type { Environment, Grid } from '../grid/index.js';
import type { Log } from '../log.js';
import { routeTable, SynthFs, synthDir, synthFile, type AttachRequest, type AttachRouter, type Attachment } from '../ninep/index.js';
import { VolumeBackend } from '../ninep/volume-backend.js';
import type { Volume } from '../volume/index.js';

export interface RouteOptions { grid: Grid; catalog: Catalog; tcpCtl: boolean; log: Log }

const NOBODY = 65534;

/** The uid a 9P attach asks to act as: n_uname, else a numeric uname, else the name in the tree's /etc/passwd. */
export async function attachIdentity(volume: Volume, req: Pick<AttachRequest, 'uname' | 'nUname'>): Promise<{ uid: number; gid: number }> {
  const passwd = await readPasswd(volume);
  let uid = req.nUname;
  if (uid === undefined) uid = /^\d+$/.test(req.uname) ? Number(req.uname) : req.uname === 'root' ? 0 : passwd.byName.get(req.uname)?.uid ?? NOBODY;
  // 9P carries no groups: the primary group comes from the tree's own /etc/passwd.
  const gid = passwd.byUid.get(uid)?.gid ?? (uid === 0 ? 0 : uid);
  return { uid, gid };
}

async function readPasswd(volume: Volume): Promise<{ byName: Map<string, { uid: number; gid: number }>; byUid: Map<number, { uid: number; gid: number }> }> {
  const byName = new Map<string, { uid: number; gid: number }>();
  const byUid = new Map<number, { uid: number; gid: number }>();
  try {
    const node = await volume.resolvePath('etc/passwd');
    const text = (await volume.read(node.ino, 0, 1 << 20)).toString();
    for (const line of text.split('\n')) {
      const f = line.split(':');
      if (f.length < 4 || !/^\d+$/.test(f[2]!) || !/^\d+$/.test(f[3]!)) continue;
      const ids = { uid: Number(f[2]), gid: Number(f[3]) };
      byName.set(f[0]!, ids);
      if (!byUid.has(ids.uid)) byUid.set(ids.uid, ids);
    }
  } catch { /* no /etc/passwd: numeric ids only */ }
  return { byName, byUid };
}

function ctlTree(grid: Grid, user: string): SynthFs {
  const say = async (line: string) => {
    const r = await runConsole(grid, user, line);
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
          const [verb, arg] = data.toString().trim().split(/\s+/);
          if (verb === 'save' && arg) return say(`save ${e.name} ${arg}`);
          if (verb === 'boom') return say(`boom ${e.name}`);
          if (verb === 'checkpoint') { await grid.checkpoint(e.name); return 'checkpointed\n'; }
          return 'error: write "save NEWNAME", "boom" or "checkpoint"\n';
        },
      }),
    })]))),
  }));
}

export function gridRouter(opts: RouteOptions): AttachRouter {
  const { grid, catalog } = opts;
  const attachEnv = async (req: AttachRequest, env: Environment, counted: boolean): Promise<Attachment> => {
    const backend = new VolumeBackend(env.volume, { onFsync: env.kind === 'disk' ? async () => { await grid.checkpoint(env.name); } : undefined });
    const id = await attachIdentity(env.volume, req);
    if (!counted) env.clients++;
    return {
      backend, root: await backend.root(), user: { ...id, uname: req.uname }, route: `env/${env.name}`,
      detach: () => grid.detach(env),
    };
  };
  return routeTable({
    ctl: async (req) => {
      if (req.transport.kind === 'tcp' && !opts.tcpCtl) throw permission('the grid control tree is served on the unix socket only (set ninep.tcpCtl to offer it over TCP)');
      try { catalog.getUser(req.uname); } catch { throw permission(`no Colony user '${req.uname}'`); }
      const backend = ctlTree(grid, req.uname);
      return { backend, root: backend.root, user: { uid: 0, gid: 0, uname: req.uname } };
    },
    'env/': async (req, rest) => {
      const parts = rest.split('/').filter(Boolean);
      if (parts.length === 2) {
        try {
          return await attachEnv(req, grid.attach(`env/${parts[0]}/${parts[1]}`), true);
        } catch (err) {
          if (isColonyError(err, 'COLONY_AUTH')) throw new ColonyError('COLONY_AUTH', `wrong or revoked token for environment ${parts[0]}`);
          throw err;
        }
      }
      if (parts.length === 1 && req.transport.kind === 'unix') {
        const env = grid.environment(req.uname, parts[0]!, 'mount');
        return attachEnv(req, env, false);
      }
      if (parts.length === 1) throw permission('over TCP an environment needs its token: attach env/NAME/TOKEN');
      throw notFound(`attach name ${JSON.stringify(req.aname)}`);
    },
  });
}
