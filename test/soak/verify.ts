// After each restart: what was acknowledged must be there, byte for byte. Files fsynced in a
// disk environment are read back over 9P TCP with the environment's (unchanged) token; a save
// is exported with `colony export` (run inside the supervisor) and compared file by file.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { NinepClient } from '../../appliance/ninep/index.js';
import { contentOf, readFileOver, type Env, type FileRec, type SaveRec } from './load.js';
import { SOAK_USER, type SoakServer } from './server.js';

export interface Tally { files: number; saves: number; bytes: number; losses: string[] }

export class Verifier {
  readonly tally: Tally = { files: 0, saves: 0, bytes: 0, losses: [] };
  /** --self-test: the first file checked is expected with one byte flipped, so a sound check must report a loss. */
  private corruptNext: boolean;

  constructor(readonly server: SoakServer, readonly seed: number, readonly scratch: string, selfTest: boolean) {
    this.corruptNext = selfTest;
  }

  private expected(env: string, rec: FileRec): Buffer {
    const want = contentOf(this.seed, env, rec.n, rec.size);
    if (this.corruptNext) { this.corruptNext = false; const at = want.length >> 1; want[at] = want[at]! ^ 0x01; }
    return want;
  }

  private check(where: string, got: Buffer | undefined, want: Buffer): void {
    if (!got) { this.tally.losses.push(`${where}: missing`); return; }
    if (!got.equals(want)) {
      let at = 0;
      while (at < Math.min(got.length, want.length) && got[at] === want[at]) at++;
      this.tally.losses.push(`${where}: ${got.length} bytes, expected ${want.length}; first difference at byte ${at}`);
      return;
    }
    this.tally.bytes += got.length;
  }

  /** Reads `recs` of a disk environment back over 9P TCP. */
  async diskFiles(env: Env, recs: FileRec[]): Promise<void> {
    if (recs.length === 0) return;
    const c = await NinepClient.connect(this.server.tcp, { msize: 256 * 1024 });
    try {
      const { fid } = await c.attach(env.aname, 'root', 0);
      for (const rec of recs) {
        const got = await readFileOver(c, fid, rec.path).catch(() => undefined);
        this.check(`fsynced ${env.name}/${rec.path}`, got, this.expected(env.name, rec));
        this.tally.files++;
      }
    } finally { c.close(); }
  }

  /** Exports a save and compares every file it was acknowledged with, and the seed's. */
  async save(s: SaveRec): Promise<void> {
    const dir = await mkdtemp(join(this.scratch, 'export-'));
    const dest = join(dir, s.name);
    try {
      const r = await this.server.cli(['export', s.name, dest, '--user', SOAK_USER]);
      if (r.code !== 0) { this.tally.losses.push(`save ${s.name}: colony export exited ${r.code}: ${r.stderr.trim()}`); return; }
      const hello = await readFile(join(dest, 'hello')).catch(() => undefined);
      this.check(`save ${s.name}/hello`, hello, Buffer.from(SEED_HELLO));
      for (const rec of s.files) {
        const got = await readFile(join(dest, rec.path)).catch(() => undefined);
        this.check(`save ${s.name}/${rec.path}`, got, this.expected(s.env, rec));
        this.tally.files++;
      }
      this.tally.saves++;
    } finally { await rm(dir, { recursive: true, force: true }); }
  }
}

export const SEED_HELLO = 'hello from the colony soak\n';

/** Up to `k` elements of `xs`, chosen with `rand`. */
export function sample<T>(xs: T[], k: number, rand: () => number): T[] {
  if (xs.length <= k) return [...xs];
  const picked = new Set<number>();
  for (let i = 0; i < k * 4 && picked.size < k; i++) picked.add(Math.floor(rand() * xs.length));
  return [...picked].map((i) => xs[i]!);
}
