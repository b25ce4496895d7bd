// This machine's real /proc, a real statfs and the real systeminformation, checked against
// what Node and coreutils say about the same things.
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { arch, availableParallelism, loadavg, release, totalmem, uptime } from 'node:os';
import t from 'tap';
import type { Log } from '../../../../appliance/log.js';
import { defaultSysinfoConfig } from '../../../../hw/sysinfo/config.js';
import { parsePrettyName } from '../../../../hw/sysinfo/parse.js';
import { addresses, readSample } from '../../../../hw/sysinfo/read.js';
import { startSysinfo } from '../../../../hw/sysinfo/sysinfo.js';
import { tmpDir } from '../../../helpers/tmp.js';

function recordingLog() {
  const lines: Array<{ level: string; msg: string; err?: unknown }> = [];
  const at = (level: string) => (obj: object, msg?: string) => { lines.push({ level, msg: msg ?? '', err: (obj as { err?: unknown }).err }); };
  const log: Log = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => log };
  return { log, lines };
}

/** Our child processes still running the systeminformation probe (the probe's own children die with its group). */
const probes = () => execFileSync('ps', ['-o', 'args=', '--ppid', String(process.pid)], { encoding: 'utf8' }).split('\n').filter((l) => l.includes('--input-type=module'));

t.test('a sample of this machine agrees with Node and stat -f', async (t) => {
  const dataDir = await tmpDir(t);
  const s = await readSample({ dataDir });
  // os.totalmem() is sysinfo(2)'s totalram: the same pages MemTotal counts.
  t.equal(s.memory.totalBytes, totalmem());
  t.ok(s.memory.availableBytes > 0 && s.memory.availableBytes <= s.memory.totalBytes);
  // Load and uptime move between two reads: near, not equal.
  const [l1] = loadavg();
  t.ok(Math.abs(s.load[0] - l1!) < 2, `load ${s.load[0]} near ${l1}`);
  t.ok(Math.abs(s.uptimeSeconds - uptime()) < 5, `uptime ${s.uptimeSeconds} near ${uptime()}`);
  // stat -f: %S fundamental block size, %b total blocks, %f free, %a available to non-root.
  const [bsize, blocks, free, avail] = execFileSync('stat', ['-f', '-c', '%S %b %f %a', dataDir], { encoding: 'utf8' }).trim().split(' ').map(Number) as [number, number, number, number];
  t.equal(s.disk?.totalBytes, blocks * bsize);
  const slack = 64 * 1024 * 1024; // other tests write to the same filesystem meanwhile
  t.ok(Math.abs(s.disk!.freeBytes - free * bsize) < slack, 'free');
  t.ok(Math.abs(s.disk!.availableBytes - avail * bsize) < slack, 'available');
  // Thermal zones: whatever this machine has, each one is a real reading.
  let zones = 0;
  try { zones = execFileSync('sh', ['-c', 'ls -d /sys/class/thermal/thermal_zone* 2>/dev/null | wc -l'], { encoding: 'utf8' }).trim() === '0' ? 0 : 1; } catch { /* none */ }
  if (zones === 0) t.equal(s.temperatureC, null, 'no thermal zone here: null');
  else t.ok(s.thermalZones.every((z) => z.c > -40 && z.c < 150), 'plausible readings');
});

t.test('the poller re-reads the real /proc through its open files (procfs regenerates at offset 0)', async (t) => {
  const { log } = recordingLog();
  const si = startSysinfo({ config: defaultSysinfoConfig(), dataDir: await tmpDir(t), log });
  t.teardown(() => si.stop());
  const first = await si.sample();
  await new Promise((r) => setTimeout(r, 100)); // /proc/uptime counts in hundredths
  const second = await si.sample();
  t.ok(second.uptimeSeconds > first.uptimeSeconds, `${second.uptimeSeconds} after ${first.uptimeSeconds}`);
  t.ok(Math.abs(second.uptimeSeconds - uptime()) < 5);
});

t.test('addresses(): the non-loopback ones from the kernel', async (t) => {
  const a = addresses();
  t.notOk(a.includes('127.0.0.1') || a.includes('::1'));
  t.notOk(a.some((x) => /^fe80:/i.test(x)), 'no IPv6 link-local');
  // `ip -o addr` lists the same global addresses.
  let ip = '';
  try { ip = execFileSync('ip', ['-o', 'addr', 'show', 'scope', 'global'], { encoding: 'utf8' }); } catch { t.comment('no ip tool: skipped the cross-check'); }
  for (const m of ip.matchAll(/\binet6? ([0-9a-f.:]+)\//g)) t.ok(a.includes(m[1]!), `${m[1]} listed`);
});

t.test('inventory through systeminformation (in a child process), read once', async (t) => {
  const { log, lines } = recordingLog();
  const si = startSysinfo({ config: defaultSysinfoConfig(), dataDir: await tmpDir(t), log });
  t.teardown(() => si.stop());
  const inv = await si.inventory();
  t.same(lines.filter((l) => l.level === 'warn'), [], 'no fallback: systeminformation answered');
  const pretty = parsePrettyName(await readFile('/etc/os-release', 'utf8'));
  t.ok(pretty === undefined || inv.os === pretty || pretty.startsWith(inv.os.split(' (')[0]!), `${inv.os} ~ ${pretty}`);
  t.equal(inv.kernel, release());
  t.equal(inv.arch, arch());
  t.equal(inv.cpus, availableParallelism());
  const live = addresses();
  const listed = inv.interfaces.flatMap((i) => i.addresses);
  for (const a of live) t.ok(listed.includes(a), `${a} in the inventory`);
  t.notOk(inv.interfaces.some((i) => i.name === 'lo'));
  t.ok(inv.disks.every((d) => d.sizeBytes > 0 && !/^(loop|zram|ram)/.test(d.name)));
  t.equal(await si.inventory(), inv, 'cached');
});

t.test('inventory when systeminformation does not answer in time: killed, direct reads instead', async (t) => {
  const { log, lines } = recordingLog();
  const si = startSysinfo({ config: defaultSysinfoConfig(), dataDir: await tmpDir(t), log, inventoryTimeoutMs: 1 });
  t.teardown(() => si.stop());
  const inv = await si.inventory();
  const warned = lines.find((l) => l.level === 'warn' && /systeminformation failed/.test(l.msg));
  t.match(String(warned?.err), /no answer in 1 ms, killed by SIGKILL/);
  t.same(probes(), [], 'the probe was killed');
  t.equal(inv.kernel, release());
  t.ok(inv.os.length > 0);
  for (const a of addresses()) t.ok(inv.interfaces.some((i) => i.addresses.includes(a)), `${a} from os.networkInterfaces()`);
});

t.test('inventory after stop(): the probe is not left running', async (t) => {
  const { log, lines } = recordingLog();
  const si = startSysinfo({ config: defaultSysinfoConfig(), dataDir: await tmpDir(t), log });
  const pending = si.inventory();
  si.stop();
  const inv = await pending;
  const warned = lines.find((l) => l.level === 'warn' && /systeminformation failed/.test(l.msg));
  t.match(String(warned?.err), /stopped, killed by SIGKILL/);
  t.same(probes(), [], 'the probe was killed');
  t.equal(inv.kernel, release());
});
