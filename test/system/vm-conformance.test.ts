// The conformance suites of scripts/vm/conformance (fio with block checksums, dbench's client
// load, stress-ng's filesystem stressors) through the real Linux 9P client, against Colony and
// against diod, the reference, in the same guest, one suite run after the other. Colony is on
// the product path: a real `colony serve`, an environment spawned from an imported snapshot,
// mounted at /mnt over trans=tcp with the mount line `spawn` printed (host and port filled in,
// the mode appended). diod is at /tmp/diod (its unix socket, trans=fd, msize 64 KiB, its cap).
// Per mode: access=user cache=none on a RAM environment spawned through ctl at msize 64 KiB;
// access=client cache=loose on a disk environment spawned over SSH at msize 256 KiB.
// Asserts, per mount mode: both runs reach their plan; diod fails exactly the documented
// diodFacts; Colony fails (or skips) nothing that diod passes, except the documented
// colonyFacts (empty when Colony is as good as the reference).
// Quick subset by default (CI); COLONY_CONFORMANCE=full (npm run test:conformance) runs the
// full sizes and stressors, for an hour or more under TCG.
import t from 'tap';
import { chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpDir } from '../helpers/tmp.js';
import { guestScripts, parseTap, requireVm, runGuest, startDiod, type MountOptions, type TapSummary } from '../helpers/vm.js';
import { guestMountLine, startSupervisor } from '../helpers/colony-server.js';
import { checkedModes, modeName } from '../helpers/checklist.js';

const full = process.env.COLONY_CONFORMANCE === 'full';
const size = full ? 'full' : 'quick';

const unlinkedOpen = 'the stressor unlinks its file and keeps using the open fd; diod resolves open fids by path, so fstat/ftruncate fail with ENOENT (the POSIX checklist\'s "open file stays usable after unlink")';
/**
 * Checks diod 1.0.24 may fail either way: the failing call sits on a path the stressor takes
 * only on some runs (depends on how far it gets before --timeout or its ops bound).
 */
const diodSometimes: Record<string, string> = {
  'stress-ng fallocate': `${unlinkedOpen}; fstat is reached only on some runs (seen both ways in quick runs)`,
};
/** Checks diod 1.0.24 fails, per mount mode and size, with the reason. */
const diodFacts: Record<string, Record<string, string>> = {
  'quick access=user cache=none': {
    'stress-ng readahead': unlinkedOpen,
    'stress-ng fsize': unlinkedOpen,
  },
  'quick access=client cache=loose': {
    'stress-ng readahead': `${unlinkedOpen} (ESTALE with cache=loose)`,
    'stress-ng fsize': unlinkedOpen,
  },
  // Measured 2026-11-21 (63 checks; the fio mmap job is a skip with cache=none).
  'full access=user cache=none': {
    'stress-ng readahead': unlinkedOpen,
    'stress-ng fsize': unlinkedOpen,
    'stress-ng hdd': unlinkedOpen,
    'stress-ng copy-file': unlinkedOpen,
    'stress-ng msync': unlinkedOpen,
    'stress-ng revio': unlinkedOpen,
  },
  // Not measured yet: the same causes are expected (ESTALE instead of ENOENT for some).
  'full access=client cache=loose': {
    'stress-ng readahead': `${unlinkedOpen} (ESTALE with cache=loose)`,
    'stress-ng fsize': unlinkedOpen,
    'stress-ng hdd': unlinkedOpen,
    'stress-ng copy-file': unlinkedOpen,
    'stress-ng msync': unlinkedOpen,
    'stress-ng revio': unlinkedOpen,
  },
};
/** Checks Colony fails or skips where diod passes, with the reason. Empty is the goal. */
const colonyFacts: Record<string, Record<string, string>> = {
  'quick access=user cache=none': {},
  'quick access=client cache=loose': {},
  'full access=user cache=none': {},
  'full access=client cache=loose': {},
};

/**
 * The mount modes, as in the POSIX checklist's tests. COLONY_CONFORMANCE_MODES picks some, by
 * their names below, comma-separated (e.g. "access=user cache=none").
 */
const wanted = process.env.COLONY_CONFORMANCE_MODES?.split(',').map((s) => s.trim()).filter(Boolean);
const modes = wanted ? checkedModes.filter((m) => wanted.includes(modeName(m))) : checkedModes;
/** How Colony's environment is made and mounted in each mode. */
const colonyRun: Record<string, { disk: boolean; via: 'ssh' | 'ctl'; msize: number }> = {
  'access=user cache=none': { disk: false, via: 'ctl', msize: 65536 },
  'access=client cache=loose': { disk: true, via: 'ssh', msize: 262144 },
};

/**
 * The guest half: scripts/vm/conformance, which travels in the harness's per-run archive.
 * Each server's TAP follows a `=== conformance LABEL` line and ends with `=== end LABEL rc=N`.
 */
function guestScript(targets: Array<[label: string, dir: string]>): string {
  return targets.map(([label, dir]) => [
    `echo "=== conformance ${label}"`,
    `(cd ${dir} && CONFORMANCE=${size} CONFORMANCE_LOGS=/tmp/conformance-logs/${label} bash ${guestScripts}/conformance/run.sh)`,
    `echo "=== end ${label} rc=$?"`,
  ].join('\n')).join('\n') + '\n';
}

/** The output between a label's markers. */
function section(output: string, label: string): string {
  const start = output.indexOf(`=== conformance ${label}\n`);
  if (start < 0) return '';
  const end = output.indexOf(`=== end ${label} rc=`, start);
  return output.slice(start, end < 0 ? undefined : end);
}

const isSkip = (r: TapSummary['results'][number]) => r.ok && /^SKIP\b/i.test(r.detail ?? '');
function counts(tap: TapSummary) {
  const skip = tap.results.filter(isSkip).map((r) => r.name);
  const pass = tap.results.filter((r) => r.ok && !isSkip(r)).map((r) => r.name);
  return { pass, skip, fail: tap.fail, line: `pass ${pass.length}, fail ${tap.fail.length}, skip ${skip.length} of ${tap.results.length} (plan ${tap.plan ?? '?'})` };
}

if (await requireVm(t)) {
  for (const mount of modes) {
    const mode = modeName(mount);
    const key = `${size} ${mode}`;
    t.test(`conformance suites (${size}) on Colony and diod, ${mode}`, async (t) => {
      const dir = await tmpDir(t, 'colony-vm-conformance-');
      await chmod(dir, 0o755);
      const exportDir = join(dir, 'export');
      await mkdir(exportDir, { mode: 0o755 });
      const diod = await startDiod(t, dir, exportDir);
      const how = colonyRun[mode] ?? { disk: false, via: 'ctl', msize: 65536 };
      const colony = await startSupervisor(t);
      const spawned = await colony.spawn({ as: 'conformance', disk: how.disk, via: how.via });
      const command = guestMountLine(spawned.mount, colony.ninepPort, { ...mount, msize: how.msize });
      t.comment(`Colony: ${how.disk ? 'disk' : 'ram'} environment spawned through ${how.via}, mounted with ${command}`);
      const opts: MountOptions = { ...mount, version: '9p2000.L', msize: 65536 };
      const r = await runGuest({
        tcp: { port: colony.ninepPort, command },
        also: [{ socket: diod.socket, mount: { ...opts, aname: diod.aname, uname: 'root' }, at: '/tmp/diod' }],
        script: guestScript([['colony', '/mnt'], ['diod', '/tmp/diod']]),
        memoryMb: full ? 768 : 384,
        // Measured under TCG: quick 3-7 min a mode (both servers), by the host's load; full
        // about 45 min a server and mode. Two full modes must fit test:conformance's 4 h.
        timeoutMs: full ? 115 * 60_000 : 1500_000,
      });
      t.ok(r.mounted, 'both servers mounted', { bootLog: r.bootLog.slice(-4000) });
      const colonyTap = parseTap(section(r.output, 'colony'));
      const diodTap = parseTap(section(r.output, 'diod'));
      const c = counts(colonyTap);
      const d = counts(diodTap);
      t.comment(`Colony, ${mode}, ${size}: ${c.line}`);
      t.comment(`diod, ${mode}, ${size}: ${d.line}`);
      t.comment(`guest script ${Math.round(r.ms.script / 1000)} s, boot ${Math.round(r.ms.boot / 1000)} s, total ${Math.round(r.ms.total / 1000)} s`);
      for (const [who, tap] of [['Colony', colonyTap], ['diod', diodTap]] as const) {
        for (const x of tap.results.filter((x) => !x.ok || isSkip(x))) t.comment(`${who} ${x.ok ? 'skips' : 'fails'}: ${x.name}${x.detail ? ` # ${x.detail}` : ''}`);
      }
      t.ok(colonyTap.plan && colonyTap.plan === colonyTap.results.length, `Colony's run reached its plan (${colonyTap.results.length} of ${colonyTap.plan ?? '?'})`, { output: section(r.output, 'colony').slice(-6000) });
      t.ok(diodTap.plan && diodTap.plan === diodTap.results.length, `diod's run reached its plan (${diodTap.results.length} of ${diodTap.plan ?? '?'})`, { output: section(r.output, 'diod').slice(-6000) });
      t.same(colonyTap.results.map((x) => x.name), diodTap.results.map((x) => x.name), 'both servers ran the same checks');
      const sometimes = d.fail.filter((name) => name in diodSometimes);
      if (sometimes.length) t.comment(`diod failed this time (intermittent, documented): ${sometimes.join(', ')}`);
      t.same(d.fail.filter((name) => !(name in diodSometimes)).sort(), Object.keys(diodFacts[key] ?? {}).sort(), 'diod fails exactly the documented checks (and perhaps the intermittent ones)');
      const diodPasses = new Set(d.pass);
      const worse = [...c.fail, ...c.skip].filter((name) => diodPasses.has(name)).sort();
      t.same(worse, Object.keys(colonyFacts[key] ?? {}).sort(), 'Colony fails or skips nothing that diod passes, except the documented checks');
    });
  }
}
