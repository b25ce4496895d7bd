// gzip bombs (issue 12, "keep what held"): a few MiB of gzip that inflate to GiBs. The import
// inflates as it streams (byte-source.ts: gunzip piped with backpressure, bodies read one
// leaf at a time), so memory stays bounded whatever the expansion. A child process imports
// each bomb from its standard input, as `colony import -` does, and reports its peak RSS.
// The bombs are built without ever holding the inflated bytes: gzip members may be
// concatenated, so one member of 64 MiB of zeros (64 KiB of gzip) is repeated.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import t from 'tap';
import { childEnv, tsLoader } from '../../helpers/cli.js';
import { tmpDir } from '../../helpers/tmp.js';
import { ustarHeader } from './ustar.js';

const child = fileURLToPath(new URL('./import-stdin-child.ts', import.meta.url));
const MiB = 2 ** 20;
const GiB = 2 ** 30;
/** Generous: the process itself is about 100 MiB; a buffered bomb would be GiBs. */
const RSS_BOUND = 400 * MiB;

interface Outcome {
  root?: string; stats?: { bytes: number; files: number; blocksWritten: number }; error?: { code: string; message: string }; peakRssBytes: number;
  /** How many of the gzip members the child took before it stopped reading. */
  membersTaken: number;
}

function importInChild(storeDir: string, members: Buffer[]): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [...tsLoader, child, storeDir], { stdio: ['pipe', 'pipe', 'pipe'], env: childEnv(), timeout: 120_000 });
    let out = '', err = '', taken = 0;
    const gone = new Promise((r) => proc.once('close', r));
    proc.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    proc.stderr.on('data', (b: Buffer) => { err += b.toString(); });
    proc.stdin.on('error', () => {}); // the child may stop reading early (an end marker, an error)
    proc.on('error', reject);
    proc.on('close', (code) => {
      try { resolve({ ...JSON.parse(out) as Outcome, membersTaken: taken }); } catch { reject(new Error(`child exited ${code}: ${out}\n${err}`)); }
    });
    void (async () => {
      for (const m of members) {
        if (proc.stdin.destroyed || proc.exitCode !== null) return;
        taken++;
        if (!proc.stdin.write(m)) await Promise.race([new Promise((r) => proc.stdin.once('drain', r)), gone]);
      }
      proc.stdin.end();
    })();
  });
}


const zeros64 = gzipSync(Buffer.alloc(64 * MiB), { level: 9 });
const repeat = (n: number) => Array.from({ length: n }, () => zeros64);

t.test('a 1 GiB file of zeros in 1 MiB of gzip imports with bounded memory, and stays sparse', { timeout: 120_000 }, async (t) => {
  const store = await tmpDir(t);
  const size = GiB;
  const members = [gzipSync(ustarHeader('./bomb', size)), ...repeat(size / (64 * MiB)), gzipSync(Buffer.alloc(1024))];
  const gz = members.reduce((n, m) => n + m.length, 0);
  t.ok(gz < 2 * MiB, `the bomb is ${(gz / MiB).toFixed(1)} MiB of gzip for ${size / GiB} GiB of tar`);
  const r = await importInChild(store, members);
  t.notOk(r.error, JSON.stringify(r.error));
  t.equal(r.stats?.bytes, size, 'every inflated byte was read');
  t.ok(r.stats!.blocksWritten < 10, `zeros are holes: ${r.stats!.blocksWritten} blocks written`);
  t.ok(r.peakRssBytes > 0 && r.peakRssBytes < RSS_BOUND, `peak RSS ${(r.peakRssBytes / MiB).toFixed(0)} MiB is under ${RSS_BOUND / MiB} MiB`);
});

t.test('a bomb that inflates into one header-sized record is refused before it is buffered', { timeout: 60_000 }, async (t) => {
  const store = await tmpDir(t);
  // A pax header claiming 1 GiB of records: the reader refuses it from its size field.
  const pax = ustarHeader('./PaxHeaders/x', GiB);
  pax[156] = 'x'.charCodeAt(0);
  pax.fill(0x20, 148, 156);
  let sum = 0;
  for (const c of pax) sum += c;
  pax.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
  const r = await importInChild(store, [gzipSync(pax), ...repeat(16)]);
  t.equal(r.error?.code, 'COLONY_CORRUPT_DATA');
  t.match(r.error?.message, /extended header/);
  t.ok(r.peakRssBytes < RSS_BOUND, `peak RSS ${(r.peakRssBytes / MiB).toFixed(0)} MiB`);
});

t.test('a bomb of zeros after the end-of-archive marker is not inflated to its end', { timeout: 60_000 }, async (t) => {
  const store = await tmpDir(t);
  // 64 GiB of zeros: the first two blocks are the end marker, so the import ends there.
  const members = repeat(1024);
  const r = await importInChild(store, members);
  t.notOk(r.error, JSON.stringify(r.error));
  t.equal(r.stats?.files, 0, 'an empty archive');
  t.ok(r.peakRssBytes < RSS_BOUND, `peak RSS ${(r.peakRssBytes / MiB).toFixed(0)} MiB`);
  t.ok(r.membersTaken < members.length / 2, `the child stopped reading after ${r.membersTaken} of ${members.length} members`);
});
