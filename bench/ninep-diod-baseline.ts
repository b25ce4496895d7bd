// diod's numbers through the real Linux client (QEMU guest, TCG here): the anchor that
// bench/ninep compares Colony against. Both servers run with the same msize, cache mode and
// data; pass COLONY_SOCKET (and COLONY_ANAME) to measure a second server in the same VM.
// usage: node --import tsx bench/ninep-diod-baseline.ts
//   env: SEQ_MIB=256 FILES=10000 TREE=20000 CACHE=none MSIZE=65536
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { guestScripts, runGuest, startDiod, type GuestMount, type MountOptions } from '../test/helpers/vm.js';

const seqMib = Number(process.env.SEQ_MIB ?? 256);
const cache = (process.env.CACHE ?? 'none') as MountOptions['cache'];
const msize = Number(process.env.MSIZE ?? 65536);
const cleanups: Array<() => unknown> = [];
let pending = '';
const dir = await mkdtemp(join(tmpdir(), 'colony-bench-9p-'));
try {
  const exportDir = join(dir, 'export');
  await mkdir(exportDir);
  const diod = await startDiod({ teardown: (fn) => cleanups.push(fn) }, dir, exportDir);
  const also: Array<GuestMount & { at: string }> = [];
  const targets = ['diod=/mnt'];
  if (process.env.COLONY_SOCKET) {
    also.push({ socket: process.env.COLONY_SOCKET, mount: { aname: process.env.COLONY_ANAME, uname: 'root', msize, cache }, at: '/tmp/colony' });
    targets.push('colony=/tmp/colony');
  }
  const env = `SEQ_MIB=${seqMib} FILES=${Number(process.env.FILES ?? 10000)} TREE=${Number(process.env.TREE ?? 20000)}`;
  const r = await runGuest({
    socket: diod.socket,
    mount: { version: '9p2000.L', aname: diod.aname, uname: 'root', msize, cache, access: 'user' },
    also,
    script: `${env} bash ${guestScripts}/guest/ninep-bench.sh ${targets.join(' ')}`,
    memoryMb: 384 + seqMib,
    onConsole: (text) => {
      // Progress as it comes: whole `bench` lines only.
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
  console.log(`v9fs over trans=fd (virtio-serial relay), msize=${msize}, cache=${cache}, TCG guest`);
  for (const x of rows) {
    const rate = x.bytes ? `${(x.bytes / 1e6 / x.secs).toFixed(1)} MB/s` : `${(x.ops / x.secs).toFixed(0)} ops/s`;
    console.log(`${x.server.padEnd(8)} ${x.phase.padEnd(10)} ${x.secs.toFixed(2).padStart(8)} s  ${rate}`);
  }
  if (process.env.COLONY_SOCKET) {
    for (const x of rows.filter((y) => y.server === 'colony')) {
      const ref = rows.find((y) => y.server === 'diod' && y.phase === x.phase);
      if (ref) console.log(`ratio colony/diod ${x.phase.padEnd(10)} ${(ref.secs / x.secs).toFixed(2)}x`);
    }
  }
} finally {
  for (const fn of cleanups.reverse()) await fn();
  await rm(dir, { recursive: true, force: true });
}
