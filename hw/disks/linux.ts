// The effects: read a disk as the planner needs it, and carry out one step at a time with
// the real tools. provision() plans again after every step, so what it does next is always
// derived from the disk itself (safe after a power cut or a kill at any point).
//
// Concurrency: one provision per disk at a time. Nothing here locks the disk; the CLI runs
// it in one process, and two concurrent runs on one disk would race sfdisk and mkfs.
import { mkdir, readdir, readFile, readlink, rename, symlink, writeFile, access, unlink } from 'node:fs/promises';
import { dirname, basename } from 'node:path';
import { ColonyError, internal, notFound } from '../../appliance/errors.js';
import { classifyDisks, LSBLK_COLUMNS, parseBlkidExport, parseLsblk, withBlkid, type BlockDevice, type DiskInfo, type LsblkJson, type SysFacts } from './lsblk.js';
import { dataPartition, findDataDisk, mountUnitName, planProvision, type Plan, type ProvisionFacts, type ProvisionOptions, type Step } from './plan.js';
import { runTool } from './tools.js';

async function probe(path: string): Promise<Record<string, string>> {
  // 2: nothing found; 8: ambivalent (more than one signature) — say so rather than guess.
  const r = await runTool('blkid', ['-p', '-o', 'export', path], { ok: [0, 2, 8] });
  if (r.code === 8) return { TYPE: 'ambivalent signatures' };
  return parseBlkidExport(r.stdout);
}

/** lsblk for every disk (or one device), filled from blkid probes where udev left gaps. */
export async function readBlockDevices(device?: string): Promise<LsblkJson> {
  const r = await runTool('lsblk', ['--json', '--bytes', '-o', LSBLK_COLUMNS, ...(device ? [device] : [])], { ok: [0] });
  const tree = parseLsblk(r.stdout);
  const probes: Record<string, Record<string, string>> = {};
  const gaps = tree.blockdevices.flatMap((d) => [d, ...(d.children ?? [])]).filter((d) => d.fstype === null && d.type !== 'rom' && d.size > 0);
  for (const d of gaps) probes[d.path] = await probe(d.path).catch(() => ({}));
  return withBlkid(tree, probes);
}

export async function readSysFacts(tree: LsblkJson, sysRoot = '/sys'): Promise<SysFacts> {
  const mmcType: Record<string, string> = {};
  for (const d of tree.blockdevices) {
    if (!/^mmcblk\d+$/.test(d.name)) continue;
    const t = await readFile(`${sysRoot}/block/${d.name}/device/type`, 'utf8').catch(() => undefined);
    if (t !== undefined) mmcType[d.name] = t.trim();
  }
  return { mmcType };
}

export async function listDisks(dataDir: string): Promise<DiskInfo[]> {
  const tree = await readBlockDevices();
  return classifyDisks(tree, await readSysFacts(tree), dataDir);
}

async function readFacts(disk: BlockDevice, o: ProvisionOptions, checked: boolean, unitDir: string, unitName: string): Promise<ProvisionFacts> {
  const part = dataPartition(disk);
  let fsBytes: number | undefined;
  if (part?.fstype === 'ext4') {
    const r = await runTool('dumpe2fs', ['-h', part.path], { ok: [0] });
    const count = Number(/^Block count:\s+(\d+)/m.exec(r.stdout)?.[1]);
    const bsize = Number(/^Block size:\s+(\d+)/m.exec(r.stdout)?.[1]);
    if (count > 0 && bsize > 0) fsBytes = count * bsize;
  }
  const m = await runTool('findmnt', ['-n', '-o', 'SOURCE', '--mountpoint', o.dataDir], { ok: [0, 1] });
  const dataDirSource = m.code === 0 ? m.stdout.trim().split('\n')[0] : undefined;
  const dataDirEntries = dataDirSource ? 0 : (await readdir(o.dataDir).catch(() => [])).length;
  const unitText = await readFile(`${unitDir}/${unitName}`, 'utf8').catch(() => undefined);
  const unitLinked = await readlink(`${unitDir}/local-fs.target.wants/${unitName}`).then(() => true, () => false);
  return { ...(fsBytes !== undefined ? { fsBytes } : {}), ...(dataDirSource ? { dataDirSource } : {}), dataDirEntries, ...(unitText !== undefined ? { unitText } : {}), unitLinked, checked };
}

/** The disk and the facts, planned. */
export async function planDisk(device: string, o: ProvisionOptions, checked = false): Promise<{ disk: BlockDevice; plan: Plan }> {
  const tree = await readBlockDevices(device);
  const disk = tree.blockdevices[0];
  if (!disk) throw notFound(`block device ${device}`);
  const facts = await readFacts(disk, o, checked, o.unitDir ?? '/etc/systemd/system', mountUnitName(o.dataDir));
  return { disk, plan: planProvision(disk, facts, o) };
}

const exists = (p: string) => access(p).then(() => true, () => false);

/** Waits (bounded) until the kernel shows the partition nodes after a table change. */
async function settle(device: string, partition?: string): Promise<void> {
  await runTool('partx', ['-u', device], { ok: [0, 1] }).catch(() => undefined);
  await runTool('udevadm', ['settle', '--timeout=10'], { ok: [0, 1] }).catch(() => undefined); // no udev: nothing to wait for
  for (let i = 0; partition && i < 50 && !(await exists(partition)); i++) {
    if (i === 5) await runTool('partx', ['-a', device], { ok: [0, 1] }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function execute(step: Step): Promise<void> {
  switch (step.kind) {
    case 'unmount':
      await runTool('umount', [step.target], { ok: [0] });
      return;
    case 'partition':
      await runTool('sfdisk', ['--quiet', '--wipe', 'always', '--wipe-partitions', 'always', step.device], { input: step.script, ok: [0] });
      await settle(step.device, `${step.device}${/\d$/.test(step.device) ? 'p' : ''}1`);
      return;
    case 'grow-partition': {
      // 1 with NOCHANGE: already as large as it can be (a rerun after a cut).
      const r = await runTool('growpart', [step.device, String(step.number)], { ok: [0, 1] });
      if (r.code === 1 && !/NOCHANGE/.test(r.stdout + r.stderr)) throw new ColonyError('COLONY_IO', `growpart ${step.device} ${step.number} failed: ${(r.stderr || r.stdout).trim()}`);
      await settle(step.device);
      return;
    }
    case 'mkfs':
      await runTool('mkfs.ext4', ['-F', '-q', '-L', 'colony-data', step.partition], { ok: [0] });
      return;
    case 'check': {
      // 0: clean, 1: errors fixed; anything else needs a person.
      const r = await runTool('e2fsck', ['-f', '-p', step.partition], { ok: [0, 1, 2, 4, 8] });
      if (r.code > 1) throw new ColonyError('COLONY_CORRUPT_DATA', `e2fsck found damage on ${step.partition} that it will not repair unattended (status ${r.code}); run 'e2fsck -f ${step.partition}' by hand`);
      return;
    }
    case 'resize':
      await runTool('resize2fs', [step.partition], { ok: [0] });
      return;
    case 'mount':
      await mkdir(step.target, { recursive: true });
      await runTool('mount', ['-t', 'ext4', '-o', step.options, step.partition, step.target], { ok: [0] });
      return;
    case 'unit': {
      if (step.content.includes('(the new')) throw internal('the mount unit was planned before the filesystem had a UUID');
      await mkdir(dirname(step.link), { recursive: true });
      const tmp = `${step.path}.tmp`;
      await writeFile(tmp, step.content);
      await rename(tmp, step.path);
      await unlink(step.link).catch(() => undefined);
      await symlink(`../${basename(step.path)}`, step.link);
      if (step.path.startsWith('/etc/systemd/system/') && (await exists('/run/systemd/system'))) {
        await runTool('systemctl', ['daemon-reload'], { ok: [0] }).catch(() => undefined);
      }
      return;
    }
  }
}

export interface ProvisionRun {
  /** Called before each step, for progress lines. */
  onStep?(step: Step): void;
  /** Tests only: SIGKILL this process right after a step of this kind, as a power cut would. */
  stopAfter?: string;
}

/** Carries out the plan for `device` one step at a time; returns the steps done (empty: already complete). */
export async function provision(device: string, o: ProvisionOptions, run: ProvisionRun = {}): Promise<Step[]> {
  const done: Step[] = [];
  let checked = false;
  for (let round = 0; round < 12; round++) {
    const { plan } = await planDisk(device, o, checked);
    if (plan.refusal) throw new ColonyError(round === 0 ? 'COLONY_INVALID' : 'COLONY_INTERNAL', plan.refusal);
    const step = plan.steps[0];
    if (!step) return done;
    // The disk did not change as the last step said it would: stop rather than repeat it.
    if (done.at(-1)?.say === step.say) throw new ColonyError('COLONY_IO', `${step.say}: the last attempt did not take effect`);
    run.onStep?.(step);
    await execute(step);
    if (step.kind === 'check') checked = true;
    else if (step.kind === 'mkfs' || step.kind === 'partition') checked = false; // a new filesystem: check it again
    done.push(step);
    if (run.stopAfter === step.kind) process.kill(process.pid, 'SIGKILL');
  }
  throw internal(`provisioning ${device} did not converge after 12 steps`);
}

/** First boot: grow the data partition (wherever it is) and its filesystem to fill the disk. */
export async function growDataDisk(o: Omit<ProvisionOptions, 'create' | 'force'>, run: ProvisionRun = {}, device?: string): Promise<{ device?: string; steps: Step[] }> {
  const disk = findDataDisk(await readBlockDevices(device));
  if (!disk) return { steps: [] };
  return { device: disk.path, steps: await provision(disk.path, { ...o, create: false, force: false }, run) };
}
