// bench/lazy: what a lazily spawned environment costs at start-up, on the product path. A
// real Debian rootfs is imported as a snapshot (`colony import`, through startSupervisor),
// a real `colony serve` spawns it (ctl `spawn`), and a QEMU guest mounts it over the Linux
// v9fs client with the very line spawn printed (trans=tcp through QEMU's user network). In
// the same guest, the same tree is also an ext4 image on a virtio disk (`mkfs.ext4 -d`, no
// loop device). scripts/vm/guest/lazy-bench.sh runs the same start-up workload in `chroot`
// on each: an interactive login bash up to its first prompt, `sh -c true`, `apt-cache
// policy`, `python3 -c pass` (the last two where the tree has them), cold, then warm.
// Figure 1: bytes the store read from its arenas while the cold pass ran (colony_store_read_
// bytes_total on /metrics, before the guest boots and when the guest says the pass ended),
// against what the workload read: the regular files whose atime it moved on the ext4 copy
// (strictatime), summed by size. Figure 2: the first prompt and the whole cold workload on
// the Colony environment against ext4, same guest, same run.
// The tree: $LAZY_ROOTFS (a tar or a directory), else the newest rootfs-amd64-*.tar that
// image/build.sh cached ($COLONY_IMAGE_CACHE, default ~/.cache/colony-image), else this
// machine's /usr and /etc copied into a merged-/usr tree (slow: /usr is large).
// usage: node --import tsx bench/lazy.ts      env: LAZY_ROOTFS=… LAZY_WARM=1 (warm passes)
// Measured 2026-12-07 (TCG, 1 vCPU, image build's amd64 rootfs: 11662 files, 623 MiB; host
// load 5-7 on 2 cores): the cold pass fetched 20.9 MiB uncompressed (9.8 MiB as shipped,
// compressed) in 430 blocks, for 24.7 MiB in the 72 files it opened (ext4 read 19.2 MiB
// from its disk); first prompt 1.6-2.5 s vs ext4 0.5-0.65 s (2.6-4.6x), whole cold workload
// 5.3-8.1x. Byte figures repeat exactly; timings move with the host's load. About 2 min.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, stat, symlink, truncate, writeFile } from 'node:fs/promises';
import { cpus, homedir, loadavg, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { freePort, guestMountLine, parseSpawn, startSupervisor, type ColonySupervisor } from '../test/helpers/colony-server.js';
import { guestPath, guestScripts, runGuest, vmAvailable } from '../test/helpers/vm.js';

const warm = Number(process.env.LAZY_WARM ?? 1);
const MiB = 1 << 20;
const mib = (n: number) => (n / MiB).toFixed(1);

const vm = await vmAvailable();
if (!vm.ok) {
  console.log(`bench/lazy: the QEMU guest cannot run here: ${vm.reason}`);
  process.exit(1);
}

/** The tree to measure: a tar or directory given, the image build's cached rootfs, or the host's /usr. */
async function findTree(): Promise<{ kind: 'tar' | 'dir' | 'host'; path: string }> {
  const given = process.env.LAZY_ROOTFS;
  if (given) return { kind: (await stat(given)).isDirectory() ? 'dir' : 'tar', path: given };
  const cache = process.env.COLONY_IMAGE_CACHE ?? join(homedir(), '.cache/colony-image');
  const tars = await readdir(cache).catch(() => [] as string[]);
  const found = await Promise.all(tars.filter((n) => /^rootfs-amd64-[0-9a-f]+\.tar$/.test(n)).map(async (n) => ({ n, t: (await stat(join(cache, n))).mtimeMs })));
  const newest = found.sort((a, b) => b.t - a.t)[0];
  if (newest) return { kind: 'tar', path: join(cache, newest.n) };
  return { kind: 'host', path: '/usr' };
}

/** This machine's /usr and /etc as a merged-/usr root (bin, lib, sbin as symlinks). */
async function hostTree(dest: string): Promise<void> {
  await mkdir(dest, { mode: 0o755 });
  execFileSync('cp', ['-a', '/usr', '/etc', dest], { stdio: 'inherit' });
  for (const l of ['bin', 'lib', 'lib64', 'sbin']) await symlink(`usr/${l}`, join(dest, l));
  for (const d of ['dev', 'proc', 'root', 'tmp', 'var/tmp']) await mkdir(join(dest, d), { recursive: true });
}

/** The counters this bench reads from /metrics. */
async function storeCounters(port: number): Promise<Record<'readBytes' | 'readBlocks' | 'dataBytes' | 'diskBytes', number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const get = (name: string) => {
    const v = new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1];
    if (v === undefined) throw new Error(`/metrics has no ${name}`);
    return Number(v);
  };
  return {
    readBytes: get('colony_store_read_bytes_total'), readBlocks: get('colony_store_read_blocks_total'),
    dataBytes: get('colony_store_data_bytes'), diskBytes: get('colony_store_disk_bytes'),
  };
}

type Counters = Awaited<ReturnType<typeof storeCounters>>;
interface Env { sup: ColonySupervisor; webPort: number; command: string; spawnSecs: number; before: Counters }

/**
 * A supervisor holding the tree as `rootfs` and an environment spawned from it (ctl `spawn`),
 * with its counters read before any guest touches it. Default compression: `colony import`
 * before serve; with compress off: an empty seed, then the import through the supervisor.
 */
async function supervised(tree: string, store: { compress?: 'off' }): Promise<Env> {
  const webPort = await freePort();
  const config = { web: { enabled: true, listen: `127.0.0.1:${webPort}` }, ...(store.compress ? { store } : {}) };
  const sup = await startSupervisor(teardown, store.compress ? { config } : { seed: tree, snapshot: 'rootfs', config });
  if (store.compress) {
    const r = await sup.cli(['import', tree, 'rootfs']);
    if (r.code !== 0) throw new Error(`colony import through the supervisor failed (${r.code}): ${r.stderr}`);
  }
  const t = Date.now();
  const spawned = parseSpawn(await sup.ctl('spawn rootfs as lazy'));
  const spawnSecs = (Date.now() - t) / 1000;
  return { sup, webPort, command: guestMountLine(spawned.mount, sup.ninepPort), spawnSecs, before: await storeCounters(webPort) };
}

const cleanups: Array<() => unknown> = [];
const teardown = { teardown: (fn: () => unknown) => { cleanups.push(fn); } };
const dir = await mkdtemp(join(process.env.COLONY_TEST_TMP ?? tmpdir(), 'colony-bench-lazy-'));
try {
  const source = await findTree();
  const tree = join(dir, 'tree');
  const t0 = Date.now();
  if (source.kind === 'dir') {
    execFileSync('cp', ['-a', `${source.path}/.`, tree]);
  } else if (source.kind === 'tar') {
    await mkdir(tree);
    execFileSync('tar', ['-xf', source.path, '-C', tree, '--numeric-owner']);
  } else {
    await hostTree(tree);
  }
  const treeBytes = Number(execFileSync('du', ['-sb', tree], { encoding: 'utf8' }).split('\t')[0]);
  const treeFiles = Number(execFileSync('sh', ['-c', 'find "$1" -type f | wc -l', 'sh', tree], { encoding: 'utf8' }).trim());

  // ext4 with room to spare; mkfs.ext4 -d fills it from the directory, no mount needed.
  const image = join(dir, 'ext4.img');
  await writeFile(image, '');
  await truncate(image, Math.ceil((treeBytes * 1.3 + 256 * MiB) / MiB) * MiB);
  execFileSync('mkfs.ext4', ['-q', '-F', '-L', 'lazy', '-d', tree, image], { stdio: 'inherit' });
  const prepared = (Date.now() - t0) / 1000;

  // Two supervisors, both spawned the same way: `colony` as shipped (blocks compressed where
  // that saves an eighth, imported by `colony import` before serve), and `plain` with
  // store.compress off (imported through the running supervisor, which writes with its
  // config), whose store bytes are the tree's own bytes.
  const t1 = Date.now();
  const colony = await supervised(tree, {});
  const plain = await supervised(tree, { compress: 'off' });
  const served = (Date.now() - t1) / 1000;
  await rm(tree, { recursive: true, force: true }); // the stores and the image hold it now

  const marks = new Map<string, Promise<Counters>>();
  let pending = '';
  const r = await runGuest({
    tcp: { port: colony.sup.ninepPort, command: colony.command },
    also: [{ tcp: { port: plain.sup.ninepPort, command: plain.command.replace(/ \/mnt$/, ' /tmp/lazy-plain') }, at: '/tmp/lazy-plain' }],
    disk: image,
    script: `bash ${guestScripts}/guest/lazy-bench.sh colony=/mnt plain=/tmp/lazy-plain`,
    env: { LAZY_MODULES: guestPath(join(dirname(vm.vmlinux), 'root')), LAZY_WARM: String(warm) },
    memoryMb: 768,
    timeoutMs: (15 + 5 * warm) * 60_000,
    onConsole: (text) => {
      pending += text;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const l of lines) {
        // After its cold pass the guest leaves that environment alone until the warm passes.
        const m = /^lazy mark cold-(\w+)-done/.exec(l);
        const env = m?.[1] === 'colony' ? colony : m?.[1] === 'plain' ? plain : undefined;
        if (env && !marks.has(m![1]!)) marks.set(m![1]!, storeCounters(env.webPort));
        if (l.startsWith('lazy ')) process.stderr.write(`${l.trim()}\n`);
      }
    },
  });
  if (r.rc !== 0 || marks.size !== 2) throw new Error(`bench failed (rc ${r.rc}):\n${r.output}\n${r.bootLog.slice(-3000)}`);
  const fetchedBy = async (env: Env) => {
    const cold = await marks.get(env === colony ? 'colony' : 'plain')!;
    const after = await storeCounters(env.webPort);
    return { bytes: cold.readBytes - env.before.readBytes, blocks: cold.readBlocks - env.before.readBlocks, warm: after.readBytes - cold.readBytes };
  };
  const [fc, fp] = [await fetchedBy(colony), await fetchedBy(plain)];

  const rows = [...r.output.matchAll(/^lazy (cold|warm) (\w+) (\w+) secs=([\d.]+) rchar=(\d+)/gm)].map((m) => ({
    pass: m[1]!, tree: m[2]!, step: m[3]!, secs: Number(m[4]), rchar: Number(m[5]),
  }));
  const touched = /^lazy touched files=(\d+) bytes=(\d+)/m.exec(r.output);
  const diskRead = Number(/^lazy disk-read bytes=(\d+)/m.exec(r.output)?.[1] ?? NaN);
  if (!touched || !rows.length) throw new Error(`the guest printed no results:\n${r.output}`);
  const steps = [...new Set(rows.map((x) => x.step))];
  const median = (xs: number[]) => { const v = [...xs].sort((a, b) => a - b); return v.length ? v[Math.floor(v.length / 2)]! : NaN; };
  const secs = (pass: string, tree: string, step?: string): number => {
    if (step) return median(rows.filter((x) => x.pass === pass && x.tree === tree && x.step === step).map((x) => x.secs));
    return steps.reduce((a, st) => a + secs(pass, tree, st), 0); // per step the median of its passes, summed
  };

  const name = source.kind === 'host' ? "this machine's /usr and /etc" : basename(source.path);
  console.log(`lazy start-up: ${name}: ${treeFiles} files, ${mib(treeBytes)} MiB; Linux ${vm.kver} (${vm.accel}), 1 vCPU, both trees in the same guest; host load ${loadavg()[0]!.toFixed(2)} on ${cpus().length} cores (timings move with it)`);
  console.log(`  colony: store.compress auto (shipped): ${mib(colony.before.dataBytes)} MiB of blocks in ${mib(colony.before.diskBytes)} MiB of arenas; plain: compress off, ${mib(plain.before.diskBytes)} MiB of arenas`);
  console.log(`  tree and ext4 image ${prepared.toFixed(1)} s; two imports and serves ${served.toFixed(1)} s; ctl spawn ${colony.spawnSecs.toFixed(1)} s; guest boot ${(r.ms.boot / 1000).toFixed(1)} s`);
  console.log(`  mounted as spawn printed: ${colony.command}`);
  console.log('  ext4: the same tree, mkfs.ext4 -d, on virtio-blk, mounted with strictatime');
  const trees = ['colony', 'plain', 'ext4'];
  console.log(`${'step'.padEnd(8)}${trees.map((x) => `${x} cold`.padStart(13)).join('')}${trees.map((x) => `${x} warm`.padStart(13)).join('')}  colony/ext4 cold, warm`);
  const f = (n: number) => `${n.toFixed(2)} s`.padStart(13);
  for (const step of [...steps, 'total']) {
    const get = (pass: string, tree: string) => (step === 'total' ? secs(pass, tree) : secs(pass, tree, step));
    const ratio = (pass: string) => `${(get(pass, 'colony') / get(pass, 'ext4')).toFixed(2)}x`;
    console.log(`${step.padEnd(8)}${trees.map((x) => f(get('cold', x))).join('')}${trees.map((x) => f(get('warm', x))).join('')}  ${ratio('cold')}, ${ratio('warm')}`);
  }
  const used = Number(touched[2]);
  const rchar = rows.filter((x) => x.pass === 'cold' && x.tree === 'ext4').reduce((a, x) => a + x.rchar, 0);
  console.log(`read by the workload: ${mib(used)} MiB, the ${touched[1]} files it opened (sizes summed; ext4 atime); ` +
    `read() returned ${mib(rchar)} MiB (rchar; the rest is mmap); ext4 read ${mib(diskRead)} MiB from its disk`);
  for (const [label, x, env] of [['colony', fc, colony], ['plain', fp, plain]] as const) {
    console.log(`fetched from the store by ${label}'s cold pass: ${mib(x.bytes)} MiB as stored in ${x.blocks} blocks ` +
      `(${((100 * x.bytes) / env.before.diskBytes).toFixed(1)}% of its arenas), ${(x.bytes / used).toFixed(2)}x what the workload read, ` +
      `${(x.bytes / diskRead).toFixed(2)}x ext4's disk reads; its warm passes fetched ${mib(x.warm)} MiB more`);
  }
  const [pc, pe] = [secs('cold', 'colony', 'prompt'), secs('cold', 'ext4', 'prompt')];
  const [tc, te] = [secs('cold', 'colony'), secs('cold', 'ext4')];
  console.log(`first prompt, cold: colony ${pc.toFixed(2)} s vs ext4 ${pe.toFixed(2)} s (${(pc / pe).toFixed(2)}x); the whole cold workload ${tc.toFixed(2)} s vs ${te.toFixed(2)} s (${(tc / te).toFixed(2)}x)`);
  // The summary's fetch is plain's: uncompressed, so it weighs laziness alone; colony's line above adds compression.
  console.log(`summary lazy: fetched ${mib(fp.bytes)} MiB for ${mib(used)} MiB read (${(fp.bytes / used).toFixed(2)}×), first prompt ${pc.toFixed(2)} s vs ext4 ${pe.toFixed(2)} s (${(pc / pe).toFixed(2)}×)`);
} finally {
  for (const fn of cleanups.reverse()) await fn();
  await rm(dir, { recursive: true, force: true });
}
