// Colony's 9P server against diod through the real Linux client, in one QEMU guest: the same
// msize (65536, diod's cap), the same cache mode, the same data (Colony's volume is imported
// from the very directory diod exports). scripts/vm/guest/ninep-bench.sh measures, for each
// server in turn, sequential write and read of a SEQ_MIB file and a metadata workload
// (create, stat and unlink FILES files; ls -lR over a TREE-entry tree).
// Prints MB/s or ops/s for both and Colony's ratio to diod, with the goals: read >= 1.0x,
// write >= 0.8x, metadata >= 0.5x.
// usage: node --import tsx bench/ninep.ts
//   env: SEQ_MIB=256 FILES=10000 TREE=20000 CACHE=none MSIZE=65536
//   The defaults are the issue's sizes. Under TCG metadata runs at about a hundred ops/s,
//   so a whole run takes about half an hour; FILES=1000 TREE=2000 gives a quick look.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { guestScripts, runGuest, startDiod, vmAvailable, type MountOptions } from '../test/helpers/vm.js';
import { colonyMount, startColony } from '../test/helpers/colony-server.js';

const seqMib = Number(process.env.SEQ_MIB ?? 256);
const files = Number(process.env.FILES ?? 10000);
const tree = Number(process.env.TREE ?? 20000);
const cache = (process.env.CACHE ?? 'none') as MountOptions['cache'];
const msize = Number(process.env.MSIZE ?? 65536);
const goals: Record<string, number> = { 'seq-read': 1.0, 'seq-write': 0.8, create: 0.5, stat: 0.5, unlink: 0.5, 'ls-lR': 0.5 };

const cleanups: Array<() => unknown> = [];
const teardown = { teardown: (fn: () => unknown) => { cleanups.push(fn); } };
let pending = '';
const dir = await mkdtemp(join(tmpdir(), 'colony-bench-9p-'));
try {
  const vm = await vmAvailable();
  if (!vm.ok) throw new Error(`the v9fs harness cannot run here: ${vm.reason}`);
  // The same data for both: a small seed tree in diod's export, imported as Colony's volume.
  const exportDir = join(dir, 'export');
  await mkdir(join(exportDir, 'etc'), { recursive: true });
  await writeFile(join(exportDir, 'etc/motd'), 'the same tree for both servers\n');
  const diod = await startDiod(teardown, dir, exportDir);
  const colony = await startColony(teardown, { seed: exportDir, maxMsize: msize });
  const mount: MountOptions = { version: '9p2000.L', uname: 'root', msize, cache, access: 'user' };
  const env = `SEQ_MIB=${seqMib} FILES=${files} TREE=${tree}`;
  const r = await runGuest({
    socket: diod.socket,
    mount: { ...mount, aname: diod.aname },
    also: [{ socket: colony.socket, mount: colonyMount(colony, mount), at: '/tmp/colony' }],
    script: `${env} bash ${guestScripts}/guest/ninep-bench.sh diod=/mnt colony=/tmp/colony`,
    memoryMb: 384 + seqMib,
    onConsole: (text) => {
      pending += text;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const l of lines) if (l.startsWith('bench ')) process.stderr.write(`${l.trim()}\n`);
    },
    timeoutMs: 3 * 60 * 60_000,
  });
  if (r.rc !== 0) throw new Error(`bench failed (rc ${r.rc}):\n${r.output}\n${r.bootLog.slice(-3000)}`);
  const rows = [...r.output.matchAll(/^bench (\S+) (\S+) ops=(\d+) bytes=(\d+) secs=([\d.]+)/gm)].map((m) => ({
    server: m[1]!, phase: m[2]!, ops: Number(m[3]), bytes: Number(m[4]), secs: Number(m[5]),
  }));
  const rate = (x: { ops: number; bytes: number; secs: number }) => (x.bytes ? `${(x.bytes / 1e6 / x.secs).toFixed(1)} MB/s` : `${(x.ops / x.secs).toFixed(0)} ops/s`);
  console.log(`v9fs (Linux ${vm.kver}, ${vm.accel}) over trans=fd, msize=${msize}, cache=${cache}, access=user; ` +
    `SEQ_MIB=${seqMib} FILES=${files} TREE=${tree}`);
  console.log(`${'phase'.padEnd(10)} ${'diod'.padStart(14)} ${'colony'.padStart(14)} ${'ratio'.padStart(7)}  goal`);
  for (const phase of [...new Set(rows.map((x) => x.phase))]) {
    const d = rows.find((x) => x.server === 'diod' && x.phase === phase);
    const c = rows.find((x) => x.server === 'colony' && x.phase === phase);
    if (!d || !c) continue;
    const ratio = d.secs / c.secs; // same work on both sides: a rate ratio
    const goal = goals[phase];
    const verdict = goal === undefined ? '' : `>= ${goal.toFixed(1)}x ${ratio >= goal ? 'met' : 'MISSED'}`;
    console.log(`${phase.padEnd(10)} ${rate(d).padStart(14)} ${rate(c).padStart(14)} ${`${ratio.toFixed(2)}x`.padStart(7)}  ${verdict}`);
  }
} finally {
  for (const fn of cleanups.reverse()) await fn();
  await rm(dir, { recursive: true, force: true });
}
