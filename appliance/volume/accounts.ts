// The environment's own accounts: who a 9P caller is, read from the volume's /etc/passwd
// and /etc/group. 9P2000.L sends only a uid, so its groups are looked up here, as diod
// does for access=user (getgrouplist of the uid's name). The tables are re-read when
// either file, /etc or / changes (their inode versions), so useradd inside the
// environment takes effect on the next request.
import { ROOT_INO, type Volume } from './volume.js';
import { ROOT, type Cred } from './access.js';

const NOBODY = 65534;

interface Tables {
  byName: Map<string, { uid: number; gid: number }>;
  byUid: Map<number, { name: string; gid: number }>;
  /** user name → the groups that list it as a member. */
  memberOf: Map<string, number[]>;
}

/** What the tables were read from: [ino, version] of /, /etc, /etc/passwd, /etc/group. */
type Stamp = Array<[number | undefined, number]>;

/** Parses passwd and group text (pure). Malformed lines are skipped. */
export function parseAccounts(passwd: string, group: string): Tables {
  const byName = new Map<string, { uid: number; gid: number }>();
  const byUid = new Map<number, { name: string; gid: number }>();
  for (const line of passwd.split('\n')) {
    const f = line.split(':');
    if (f.length < 4 || !f[0] || !/^\d+$/.test(f[2]!) || !/^\d+$/.test(f[3]!)) continue;
    const uid = Number(f[2]), gid = Number(f[3]);
    if (!byName.has(f[0])) byName.set(f[0], { uid, gid });
    if (!byUid.has(uid)) byUid.set(uid, { name: f[0], gid });
  }
  const memberOf = new Map<string, number[]>();
  for (const line of group.split('\n')) {
    const f = line.split(':');
    if (f.length < 4 || !/^\d+$/.test(f[2]!)) continue;
    for (const member of f[3]!.split(',').map((m) => m.trim()).filter(Boolean)) {
      const list = memberOf.get(member) ?? [];
      list.push(Number(f[2]));
      memberOf.set(member, list);
    }
  }
  return { byName, byUid, memberOf };
}

/** The credential of `uid` under `tables` (pure): primary gid, supplementary groups, or "unknown" for a uid with no account. */
export function credOf(tables: Tables, uid: number): Cred {
  const acct = tables.byUid.get(uid);
  if (!acct) return uid === 0 ? ROOT : { uid, gid: uid, groupsUnknown: true };
  const groups = [...new Set(tables.memberOf.get(acct.name) ?? [])].filter((g) => g !== acct.gid);
  return { uid, gid: acct.gid, groups };
}

const perVolume = new WeakMap<Volume, Accounts>();

export class Accounts {
  private tables: Tables | undefined;
  private stamp: Stamp = [];
  private creds = new Map<number, Cred>();
  private reading: Promise<void> | undefined;

  private constructor(private readonly volume: Volume) {}

  /** One cache per volume, shared by all its attaches. */
  static of(volume: Volume): Accounts {
    let a = perVolume.get(volume);
    if (!a) { a = new Accounts(volume); perVolume.set(volume, a); }
    return a;
  }

  /** The caller with uid `uid`, with the groups the environment gives it now. */
  async cred(uid: number): Promise<Cred> {
    await this.fresh();
    let c = this.creds.get(uid);
    if (!c) { c = credOf(this.tables!, uid); this.creds.set(uid, c); }
    return c;
  }

  /** The uid a user name stands for in the environment, or undefined. */
  async uidOf(name: string): Promise<number | undefined> {
    await this.fresh();
    return this.tables!.byName.get(name)?.uid;
  }

  /** The uid an attach by name alone stands for: a number, root, an account, else nobody. */
  async uidForName(name: string): Promise<number> {
    if (/^\d+$/.test(name)) return Number(name);
    if (name === 'root') return 0;
    return (await this.uidOf(name)) ?? NOBODY;
  }

  private current(): boolean {
    if (!this.tables) return false;
    for (const [ino, version] of this.stamp) {
      if (ino === undefined) continue;
      if (!this.volume.has(ino) || this.volume.inode(ino).version !== version) return false;
    }
    return true;
  }

  private async fresh(): Promise<void> {
    // Concurrent requests share one re-read; a change during it is caught by the next check.
    for (let i = 0; i < 3 && !this.current(); i++) await (this.reading ??= this.read().finally(() => { this.reading = undefined; }));
  }

  private async read(): Promise<void> {
    const stamp: Stamp = [[ROOT_INO, this.volume.inode(ROOT_INO).version]];
    const text = async (dirIno: number | undefined, name: string): Promise<[string, number | undefined]> => {
      if (dirIno === undefined) return ['', undefined];
      try {
        const ino = await this.volume.lookup(ROOT, dirIno, name);
        stamp.push([ino, this.volume.inode(ino).version]);
        const kind = this.volume.inode(ino).kind;
        return [kind === 'file' ? (await this.volume.read(ino, 0, 1 << 20)).toString() : '', ino];
      } catch {
        return ['', undefined]; // no such file: numeric ids only
      }
    };
    const [, etc] = await text(ROOT_INO, 'etc');
    const [passwd] = await text(etc, 'passwd');
    const [group] = await text(etc, 'group');
    this.tables = parseAccounts(passwd, group);
    this.creds = new Map();
    this.stamp = stamp;
  }
}
