// One running environment: a volume over a snapshot, the capability token that reaches it
// over 9P, its counters, and the hooks the 9P layer uses to learn of a boom.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { formatScore, type Score } from '../store/index.js';
import type { Volume } from '../volume/index.js';
import type { CacheKind } from './policy.js';

export interface BaseName { owner: string; name: string; root: Score }

export interface EnvironmentInfo {
  name: string;
  owner: string;
  kind: CacheKind;
  /** The named snapshot it runs on: spawned from, or last saved as. */
  base: { owner: string; name: string; root: string };
  /** The root of the newest save or checkpoint (equal to base.root until one is taken). */
  head: string;
  cache: { used: number; size: number };
  dirtyBytes: number;
  /** 9P clients attached now. */
  clients: number;
  started: string;
  uptimeMs: number;
  /** Changes no named save holds. */
  unsaved: boolean;
  /** Only for the owner: the 9P aname with its token, and the mount line. */
  aname?: string;
  mount?: string;
}

/** 24 random bytes, base64url: 32 characters that fit an aname path element. */
export const newToken = () => randomBytes(24).toString('base64url');

export const anameOf = (env: string, token: string) => `env/${env}/${token}`;

// access=user: the kernel attaches once per local uid, so the server checks each user's own
// permissions (docs/ninep.md); it is the default for 9P2000.L, said here so the line shows it.
export const mountLine = (aname: string, host: string, port: number) =>
  `mount -t 9p -o trans=tcp,port=${port},version=9p2000.L,access=user,aname=${aname} ${host} /mnt`;

/** Splits `env/NAME/TOKEN`; undefined when the text is not an environment aname. */
export function parseAname(aname: string): { env: string; token: string } | undefined {
  const m = /^env\/([^/]+)\/([^/]+)$/.exec(aname);
  return m ? { env: m[1]!, token: m[2]! } : undefined;
}

export class Environment {
  clients = 0;
  boomed = false;
  /** volume.changeCount when the last named save (or the spawn) began. */
  savedChange: number;
  /** volume.changeCount when the last checkpoint began. */
  checkpointChange: number;
  /** Unsaved changes carried over a restart (the counters start again at 0). */
  carried: boolean;
  head: Score;
  /** Colony users the owner invited into it (`invite`): they may `cpu` in as their own account. */
  readonly invited = new Set<string>();
  private chain: Promise<unknown> = Promise.resolve();
  private readonly boomHooks = new Set<(env: Environment) => void>();

  constructor(
    readonly name: string,
    readonly owner: string,
    readonly kind: CacheKind,
    public base: BaseName,
    readonly volume: Volume,
    readonly token: string,
    readonly started: Date,
    unsaved = false,
  ) {
    this.savedChange = volume.changeCount;
    this.checkpointChange = volume.changeCount;
    this.carried = unsaved;
    this.head = volume.rootScore;
  }

  get aname() { return anameOf(this.name, this.token); }

  get unsaved(): boolean { return this.carried || this.volume.changeCount > this.savedChange; }

  /** Whether anything changed since the last checkpoint. */
  get changedSinceCheckpoint(): boolean { return this.volume.changeCount > this.checkpointChange; }

  /** Constant-time comparison of a presented token. */
  tokenMatches(token: string): boolean {
    const a = Buffer.from(token);
    const b = Buffer.from(this.token);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  /** Runs saves and checkpoints one at a time. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => {});
    return run;
  }

  /** Waits for the saves and checkpoints queued so far. */
  idle(): Promise<unknown> { return this.chain; }

  /** Called once when the environment is boomed (or the grid closes): disconnect clients here. */
  onBoom(hook: (env: Environment) => void): () => void {
    this.boomHooks.add(hook);
    return () => this.boomHooks.delete(hook);
  }

  /** Runs the boom hooks once; returns the errors they threw. */
  revoke(): unknown[] {
    if (this.boomed) return [];
    this.boomed = true;
    const errors: unknown[] = [];
    for (const hook of this.boomHooks) { try { hook(this); } catch (err) { errors.push(err); } }
    this.boomHooks.clear();
    return errors;
  }

  info(now: number, forOwner: boolean, host: string, port: number): EnvironmentInfo {
    const s = this.volume.stats();
    const info: EnvironmentInfo = {
      name: this.name, owner: this.owner, kind: this.kind,
      base: { owner: this.base.owner, name: this.base.name, root: formatScore(this.base.root) },
      head: formatScore(this.head),
      cache: { used: s.cleanBytes + s.dirtyBytes, size: s.cacheBytes }, dirtyBytes: s.dirtyBytes, clients: this.clients,
      started: this.started.toISOString(), uptimeMs: Math.max(0, now - this.started.getTime()), unsaved: this.unsaved,
    };
    if (forOwner) { info.aname = this.aname; info.mount = mountLine(this.aname, host, port); }
    return info;
  }
}
