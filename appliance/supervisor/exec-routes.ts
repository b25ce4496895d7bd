// The 9P attach names of execution (issue 15), beside ctl and env/ (ninep-routes.ts):
//   cpu/NAME         the xcpu tree of environment NAME (appliance/exec/xcpu.ts), on the unix
//                    socket only: the uname (or the connection's) is the Colony user, whose
//                    processes run as the executor decides (owner root, invitees their account).
//   cpu/NAME/TOKEN   the same for the environment's owner, by its capability token (any transport).
//   proc             the processes of the environments the uname owns or was invited into (an
//                    admin: all), with kill; unix socket only, like ctl: over TCP the uname is
//                    a claim anyone can make.
// Ownership is checked at attach (one clear error) and again by the executor at each exec.
import type { Catalog } from '../catalog/index.js';
import { ColonyError, isColonyError, notFound, permission, unsupported } from '../errors.js';
import { localProcSource, procTree, SessionBudget, xcpuTree, type ExecService, type ProcSource, type XcpuTree } from '../exec/index.js';
import type { Grid } from '../grid/index.js';
import type { AttachRequest, Attachment } from '../ninep/index.js';

/**
 * One xcpu tree per (user, environment), kept while the environment runs: sessions outlive
 * the attach that made them (lingerMs), and one SessionBudget bounds each user's sessions
 * across all their trees. Synchronous map updates only, so attaches never race each other.
 */
export class CpuTrees {
  private readonly trees = new Map<string, XcpuTree>();
  private readonly budget = new SessionBudget();

  tree(exec: ExecService, user: string, env: string): XcpuTree {
    const key = `${user}\0${env}`;
    let t = this.trees.get(key);
    if (!t) {
      t = xcpuTree(exec, user, env, { budget: this.budget });
      this.trees.set(key, t);
    }
    return t;
  }

  /** The environment stopped (boom): its trees hang their processes up and are forgotten. */
  closeEnv(env: string): void {
    for (const [key, t] of this.trees) if (t.env === env) { t.close(); this.trees.delete(key); }
  }

  close(): void {
    for (const t of this.trees.values()) t.close();
    this.trees.clear();
  }
}

export interface ExecRouteOptions {
  grid: Grid;
  catalog: Catalog;
  /** The node's executor once it runs (absent: exec.enabled is false, or not started yet). */
  exec: () => ExecService | undefined;
  trees: CpuTrees;
  /**
   * The connected members' processes (/colony/proc/1), with the peer network on. Then `proc`
   * is always NODE/ENV/PID (this node's id first), so its layout does not change as members
   * come and go; without it, ENV/PID.
   */
  remoteProcSources?: () => ProcSource[];
  /** This node's id, naming its own processes' directory. */
  nodeId: () => string;
}

/** A stand-in when the executor could not be opened: everything answers its one line. */
export function unavailableExec(line: string): ExecService {
  const refuse = async (): Promise<never> => { throw new ColonyError('COLONY_UNSUPPORTED', line); };
  return { unavailable: line, start: refuse, processes: refuse, kill: refuse, close: async () => {} };
}

const SYNTH_USER = (uname: string) => ({ uid: 0, gid: 0, uname });

export function execRoutes(opts: ExecRouteOptions): Record<'cpu/' | 'proc', (req: AttachRequest, rest: string) => Promise<Attachment>> {
  const { grid, catalog } = opts;
  const executor = (): ExecService => {
    const exec = opts.exec();
    if (!exec) throw unsupported('cpu is not enabled on this node');
    if (exec.unavailable) throw unsupported(`cpu is not available on this node: ${exec.unavailable}`);
    return exec;
  };
  const colonyUser = (name: string): string => {
    try { catalog.getUser(name); } catch { throw permission(`no Colony user '${name}'`); }
    return name;
  };
  const cpuAttach = (exec: ExecService, user: string, env: string): Attachment => {
    const tree = opts.trees.tree(exec, user, env);
    return { backend: tree, root: tree.root, user: SYNTH_USER(user), route: `cpu/${env}`, detach: tree.retain() };
  };
  return {
    'cpu/': async (req, rest) => {
      const parts = rest.split('/').filter(Boolean);
      if (parts.length === 2) {
        let owner: string;
        try {
          const env = grid.attach(`env/${parts[0]}/${parts[1]}`); // the token and a current owner
          grid.detach(env); // a check, not a client of the volume
          owner = env.owner;
        } catch (err) {
          if (isColonyError(err, 'COLONY_AUTH')) throw new ColonyError('COLONY_AUTH', `wrong or revoked token for environment ${parts[0]}`);
          throw err;
        }
        return cpuAttach(executor(), owner, parts[0]!);
      }
      if (parts.length === 1 && req.transport.kind === 'unix') {
        const uname = req.uname || req.connectionUname;
        if (!uname) throw permission(`attach ${req.aname} with uname= set to your Colony user`);
        const user = colonyUser(uname);
        const env = grid.running(parts[0]!);
        if (!env) throw notFound(`environment ${parts[0]}`);
        if (env.owner !== user && !env.invited.has(user)) throw permission(`${env.name} is ${env.owner}'s; only its owner and the users they invited may run processes in it`);
        return cpuAttach(executor(), user, env.name);
      }
      if (parts.length === 1) throw permission('over TCP the xcpu tree needs the environment\'s token: attach cpu/NAME/TOKEN');
      throw notFound(`attach name ${JSON.stringify(req.aname)}`);
    },
    proc: async (req) => {
      if (req.transport.kind !== 'unix') throw permission('the proc tree is served on the unix socket DATA/9p.sock only; over the network use the SSH console');
      const user = colonyUser(req.uname || req.connectionUname || '');
      const exec = executor();
      const local = localProcSource(opts.nodeId(), exec);
      const remote = opts.remoteProcSources;
      const tree = remote ? procTree(() => [local, ...remote()], user, { nodeLevel: true }) : procTree([local], user, { nodeLevel: false });
      return { backend: tree, root: tree.root, user: SYNTH_USER(user), route: 'proc' };
    },
  };
}
