// The soak's load and its ledger. Writers create files over 9P TCP (the token aname, as a
// guest would) with content derived from the seed, and record a file only after Rfsync. The
// console worker saves environments over SSH and records a save only after `saved …`, with
// the files acknowledged in that environment before the line was sent: exactly what the
// snapshot must hold. Past `filesPerEnv` a writer removes its oldest file, so a long run
// checks a bounded tree: a file leaves the ledger before its Tremove is sent, and a save only
// expects the files none started removing before its reply. A reader lists directories and
// reads acknowledged files back live.
// Everything stops at a kill (the gate closes) and waits for the soak to reopen it.
import { createHash } from 'node:crypto';
import { NinepClient, L_O_CREAT, L_O_RDONLY, L_O_WRONLY } from '../../appliance/ninep/index.js';
import { mulberry32 } from '../helpers/random.js';
import { sleep, type SoakServer } from './server.js';

export interface FileRec { path: string; n: number; size: number; removing?: boolean }
export interface Env { name: string; disk: boolean; aname: string; files: FileRec[]; next: number }
export interface SaveRec { name: string; env: string; files: FileRec[] }

/** The bytes file `n` of `env` must hold: a deterministic stream from the seed. */
export function contentOf(seed: number, env: string, n: number, size: number): Buffer {
  const out = Buffer.alloc(size);
  let block = Buffer.alloc(0);
  for (let off = 0, i = 0; off < size; off += block.length, i++) {
    block = createHash('sha256').update(`${seed}/${env}/${n}/${i}`).digest();
    block.copy(out, off, 0, Math.min(block.length, size - off));
  }
  return out;
}

export interface Counters { writes: number; bytesWritten: number; saves: number; liveReads: number; liveBytes: number; consoleLines: number; removes: number; errors: string[]; losses: string[] }

/** Open while the supervisor serves; workers wait at it during a kill and restart. */
export class Gate {
  open = false;
  stopping = false;
  private busy = 0;
  private epoch = 0;
  /** Runs one operation while open; false when it did not run. A failure during the epoch it started in is reported. */
  async run(what: string, op: () => Promise<void>, errors: string[]): Promise<boolean> {
    if (!this.open || this.stopping) return false;
    const epoch = this.epoch;
    this.busy++;
    try { await op(); return true; } catch (err) {
      // An operation cut by the kill is expected; one that fails while the server runs is not.
      if (this.open && this.epoch === epoch) errors.push(`${what}: ${(err as Error).message}`);
      return false;
    } finally { this.busy--; }
  }
  close(): void { this.open = false; this.epoch++; }
  /** Waits (bounded, 90 s) until no operation is in flight. */
  async drained(): Promise<void> {
    for (let i = 0; i < 900 && this.busy > 0; i++) await sleep(100);
  }
}

export class Load {
  readonly c: Counters = { writes: 0, bytesWritten: 0, saves: 0, liveReads: 0, liveBytes: 0, consoleLines: 0, removes: 0, errors: [], losses: [] };
  readonly saves: SaveRec[] = [];
  private saveNo = 0;
  private rand: () => number;

  constructor(readonly server: SoakServer, readonly envs: Env[], readonly gate: Gate, readonly seed: number, readonly maxFileBytes: number, readonly filesPerEnv: number) {
    this.rand = mulberry32(seed ^ 0x5eed);
  }

  /** Every worker, until the gate says stop. */
  run(): Promise<unknown> {
    return Promise.all([...this.envs.map((e) => this.writer(e)), this.console(), this.reader()]);
  }

  private async idle(ms: number): Promise<void> {
    for (let waited = 0; (!this.gate.open || waited < ms) && !this.gate.stopping; waited += 100) await sleep(100);
  }

  private async writer(env: Env): Promise<void> {
    let client: NinepClient | undefined;
    let root = 0;
    for (let round = 0; round < 10_000_000 && !this.gate.stopping; round++) {
      await this.idle(50 + Math.floor(this.rand() * 400));
      const ok = await this.gate.run(`write ${env.name}`, async () => {
        if (!client || client.closed) {
          client?.close();
          client = await NinepClient.connect(this.server.tcp, { msize: 64 * 1024 });
          root = (await client.attach(env.aname, 'root', 0)).fid;
        }
        const n = env.next++;
        const size = 1 + Math.floor(this.rand() * this.maxFileBytes);
        const path = `soak-${n}`;
        const f = (await client.walk(root, [])).fid;
        await client.lcreate(f, path, L_O_WRONLY | L_O_CREAT, 0o644);
        const data = contentOf(this.seed, env.name, n, size);
        if ((await client.write(f, 0, data)) !== size) throw new Error(`short write of ${path}`);
        await client.rpc({ type: 'Tfsync', fid: f, datasync: 0 });
        // Acknowledged: Rfsync came back, so the file must survive anything from now on.
        env.files.push({ path, n, size });
        this.c.writes++;
        this.c.bytesWritten += size;
        await client.clunk(f);
        if (env.files.length > this.filesPerEnv) {
          const old = env.files.shift()!;
          old.removing = true;
          await client.remove((await client.walk(root, [old.path])).fid);
          this.c.removes++;
        }
      }, this.c.errors);
      if (!ok) { client?.close(); client = undefined; }
    }
    client?.close();
  }

  private async console(): Promise<void> {
    for (let round = 0; round < 1_000_000 && !this.gate.stopping; round++) {
      await this.idle(4000 + Math.floor(this.rand() * 8000));
      const env = this.envs[Math.floor(this.rand() * this.envs.length)]!;
      if (this.rand() < 0.75) {
        const name = `soak-${env.name}-${this.saveNo++}`;
        await this.gate.run(`save ${env.name}`, async () => {
          const files = [...env.files];
          const r = await this.server.ssh(`save ${env.name} ${name}`);
          if (r.code !== 0 || !/^saved /m.test(r.stdout)) throw new Error(`ssh save exited ${r.code}: ${r.stdout}${r.stderr}`.trim());
          this.saves.push({ name, env: env.name, files: files.filter((f) => !f.removing) });
          this.c.saves++;
        }, this.c.errors);
      } else {
        const line = this.rand() < 0.5 ? 'status' : 'scores';
        await this.gate.run(`ssh ${line}`, async () => {
          const r = await this.server.ssh(line);
          if (r.code !== 0) throw new Error(`ssh ${line} exited ${r.code}: ${r.stderr}`.trim());
          this.c.consoleLines++;
        }, this.c.errors);
      }
    }
  }

  private async reader(): Promise<void> {
    for (let round = 0; round < 1_000_000 && !this.gate.stopping; round++) {
      await this.idle(500 + Math.floor(this.rand() * 1500));
      const env = this.envs[Math.floor(this.rand() * this.envs.length)]!;
      await this.gate.run(`read ${env.name}`, async () => {
        const c = await NinepClient.connect(this.server.tcp, { msize: 64 * 1024 });
        try {
          const { fid } = await c.attach(env.aname, 'root', 0);
          const d = (await c.walk(fid, [])).fid;
          await c.open(d, L_O_RDONLY);
          const before = [...env.files];
          const names = new Set((await c.readdir(d)).map((e) => e.name));
          for (const rec of before) if (!rec.removing && !names.has(rec.path)) throw new Error(`listing of ${env.name} lacks ${rec.path}`);
          if (before.length === 0) return;
          const rec = before[Math.floor(this.rand() * before.length)]!;
          const got = await readFileOver(c, fid, rec.path).catch((err: unknown) => { if (rec.removing) return undefined; throw err; });
          if (!got) return;
          // A file removed while it was read may come back short; only a whole one is judged.
          if (!got.equals(contentOf(this.seed, env.name, rec.n, rec.size)) && !rec.removing) this.c.losses.push(`live read of ${env.name}/${rec.path} differs`);
          this.c.liveReads++;
          this.c.liveBytes += got.length;
        } finally { c.close(); }
      }, this.c.errors);
    }
  }
}

export async function readFileOver(c: NinepClient, root: number, path: string): Promise<Buffer> {
  const f = await c.walkPath(root, path);
  try {
    await c.open(f, L_O_RDONLY);
    return await c.readAll(f);
  } finally { await c.clunk(f).catch(() => {}); }
}
