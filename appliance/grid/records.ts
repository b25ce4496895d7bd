// Disk environments on disk: one JSON record per environment under DATA/envs/, written
// atomically (temporary file, fsync, rename, fsync of the directory), so a crash leaves
// either the old record or the new one.
import { open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { corruptData, fromSystemError } from '../errors.js';
import { ensureDir, syncDir } from '../files.js';
import { formatScore, parseScore, type Score } from '../store/index.js';
import type { Environment } from './environment.js';

export interface EnvRecord {
  version: 1;
  name: string;
  owner: string;
  kind: 'disk';
  /** The snapshot it was spawned from (or last saved as): the name as the owner wrote it. */
  base: { owner: string; name: string; root: string };
  token: string;
  /** The newest checkpoint: the environment's whole tree, with no name. */
  head: string;
  /** Whether the head has changes that no named save holds. */
  unsaved: boolean;
  created: string;
  checkpointed: string;
  /** Users invited into it (for `cpu`); absent in records written before issue 15, read as none. */
  invited?: string[];
}

const SUFFIX = '.json';

export class EnvRecords {
  constructor(readonly dir: string) {}

  private path(name: string) { return join(this.dir, name + SUFFIX); }

  async write(record: EnvRecord): Promise<void> {
    await ensureDir(this.dir);
    const final = this.path(record.name);
    const tmp = `${final}.tmp`;
    try {
      const fh = await open(tmp, 'w', 0o600);
      try {
        await fh.writeFile(JSON.stringify(record, null, 2) + '\n');
        await fh.sync();
      } finally { await fh.close(); }
      await rename(tmp, final);
      await syncDir(this.dir);
    } catch (err) {
      throw fromSystemError(err, `writing ${final}`);
    }
  }

  async remove(name: string): Promise<void> {
    await rm(this.path(name), { force: true }).catch((err) => { throw fromSystemError(err, `removing ${this.path(name)}`); });
    await syncDir(this.dir).catch(() => {});
  }

  /** Every record, checked; a malformed one is COLONY_CORRUPT_DATA naming its file. */
  async readAll(): Promise<EnvRecord[]> {
    let names: string[];
    // Only files: each disk environment's cache is a directory beside its record.
    try { names = (await readdir(this.dir, { withFileTypes: true })).filter((d) => d.isFile()).map((d) => d.name); } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw fromSystemError(err, `reading ${this.dir}`);
    }
    const out: EnvRecord[] = [];
    for (const n of names.sort()) {
      if (n.endsWith('.tmp')) { await rm(join(this.dir, n), { force: true }); continue; }
      if (!n.endsWith(SUFFIX)) continue;
      const file = join(this.dir, n);
      const text = await readFile(file, 'utf8').catch((err) => { throw fromSystemError(err, `reading ${file}`); });
      out.push(parseRecord(text, file));
    }
    return out;
  }
}

const str = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

export function parseRecord(text: string, where: string): EnvRecord {
  let r: Partial<EnvRecord>;
  try { r = JSON.parse(text) as Partial<EnvRecord>; } catch (err) { throw corruptData(`${where} is not JSON`, err); }
  const ok = r && r.version === 1 && str(r.name) && str(r.owner) && r.kind === 'disk' && str(r.token) && str(r.head)
    && r.base && str(r.base.owner) && str(r.base.name) && str(r.base.root) && typeof r.unsaved === 'boolean' && str(r.created);
  if (!ok) throw corruptData(`${where} is not an environment record`);
  if (r.invited !== undefined && !(Array.isArray(r.invited) && r.invited.every(str))) throw corruptData(`${where} holds a bad invited list`);
  try { parseScore(r.head!); parseScore(r.base!.root); } catch (err) { throw corruptData(`${where} holds a bad score`, err); }
  return r as EnvRecord;
}

export const scoreText = (s: Score) => formatScore(s);

/** The record of a running disk environment, as checkpointed now. */
export function recordOf(env: Environment): EnvRecord {
  return {
    version: 1, name: env.name, owner: env.owner, kind: 'disk',
    base: { owner: env.base.owner, name: env.base.name, root: formatScore(env.base.root) },
    token: env.token, head: formatScore(env.head), unsaved: env.unsaved,
    created: env.started.toISOString(), checkpointed: new Date().toISOString(),
    ...(env.invited.size ? { invited: [...env.invited].sort() } : {}),
  };
}
