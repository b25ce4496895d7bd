// `colony disk …`: the machine's disks, and the data partition (provision, first-boot grow).
// They run here, never inside the supervisor: they need root and the real block devices.
import { growDataDisk, listDisks, planDisk, provision, findDataDisk, readBlockDevices, type DiskInfo, type Plan, type ProvisionOptions, type Step } from '../../hw/disks/index.js';
import { invalid, usage } from '../errors.js';
import type { Command, CommandContext } from './command.js';
import { writeJson } from './command.js';
import { formatBytes } from './format.js';

const UNIT_DIR = { type: 'string', arg: 'DIR', help: 'where the systemd mount unit goes (default /etc/systemd/system)' } as const;
const COMMIT = { type: 'string', arg: 'SECONDS', help: 'ext4 commit interval for the mount (default 30)' } as const;
const DRY_RUN = { type: 'boolean', help: 'print the plan and change nothing' } as const;

function describeDisk(d: DiskInfo): string[] {
  const flags = [d.kind, formatBytes(d.size), d.model ?? undefined, d.removable ? 'removable' : undefined, d.readOnly ? 'read-only' : undefined,
    d.pttype ? `${d.pttype} table` : undefined, d.fstype ?? undefined, ...d.mountpoints.map((m) => `on ${m}`), d.holdsData ? 'holds the data directory' : undefined];
  const lines = [`${d.path}  ${flags.filter(Boolean).join(', ')}`];
  for (const p of d.partitions) {
    const bits = [formatBytes(p.size), p.fstype ?? 'no filesystem', p.label ? `label ${p.label}` : undefined, p.partlabel ? `name ${p.partlabel}` : undefined, ...p.mountpoints.map((m) => `on ${m}`)];
    lines.push(`  ${p.path}  ${bits.filter(Boolean).join(', ')}`);
  }
  return lines;
}

const list: Command = {
  path: ['disk', 'list'],
  summary: "List the machine's disks (SD, eMMC, NVMe, USB, other), their partitions and mounts.",
  json: true,
  description: 'Marks the disk that holds the data directory (--data).',
  async run(ctx) {
    const disks = await listDisks(ctx.data);
    if (ctx.json) writeJson(ctx.out, { dataDir: ctx.data, disks });
    else ctx.out.write(disks.length ? disks.flatMap(describeDisk).join('\n') + '\n' : 'no disks\n');
    return 0;
  },
};

function options(ctx: CommandContext, create: boolean): ProvisionOptions {
  const commit = ctx.values.commit === undefined ? undefined : Number(ctx.values.commit);
  if (commit !== undefined && !(Number.isInteger(commit) && commit > 0 && commit <= 600)) throw usage('--commit takes whole seconds from 1 to 600');
  return {
    dataDir: ctx.data, create, force: ctx.values.force === true,
    ...(commit !== undefined ? { commitSeconds: commit } : {}),
    ...(typeof ctx.values['unit-dir'] === 'string' ? { unitDir: ctx.values['unit-dir'] } : {}),
  };
}

const stepView = (s: Step) => ({ kind: s.kind, say: s.say, ...(s.kind === 'partition' ? { script: s.script } : {}), ...(s.kind === 'unit' ? { path: s.path, content: s.content } : {}) });

function report(ctx: CommandContext, device: string | undefined, plan: Plan | undefined, done: Step[] | undefined): number {
  if (ctx.json) {
    writeJson(ctx.out, { device: device ?? null, ...(plan ? { plan: plan.steps.map(stepView) } : {}), ...(done ? { done: done.map(stepView) } : {}) });
    return 0;
  }
  if (plan) ctx.out.write(plan.steps.length ? plan.steps.map((s) => `would ${s.say}\n`).join('') : `${device}: nothing to do; the data partition is complete\n`);
  else if (done && done.length === 0) ctx.out.write(`${device}: nothing to do; the data partition is complete\n`);
  else if (done) ctx.out.write(`${device}: done\n`);
  return 0;
}

/** Progress on standard error, one line per step, so standard output stays the report. */
const progress = (ctx: CommandContext) => (s: Step) => { if (!ctx.json) ctx.err.write(`${s.say}…\n`); };
// Tests only: stop (SIGKILL) right after a step, as a power cut would.
const stopAfter = () => process.env.COLONY_DISK_STOP_AFTER ? { stopAfter: process.env.COLONY_DISK_STOP_AFTER } : {};

const provisionCmd: Command = {
  path: ['disk', 'provision'],
  summary: 'Make DEVICE the data disk: one ext4 partition colony-data, mounted at the data directory.',
  params: 'DEVICE',
  arity: [1, 1],
  json: true,
  description: `An empty disk gets a GPT with one partition named colony-data filling it, an ext4
filesystem labelled colony-data, a mount at the data directory (noatime) and a systemd mount
unit. A disk that already has a colony-data partition is grown to fill the disk. A disk with
anything else on it (a partition table, a filesystem, mounts) is refused unless --force, which
erases it. Safe to rerun at any point: each step is planned from what is on the disk.`,
  options: { force: { type: 'boolean', help: 'erase what is on the disk' }, 'dry-run': DRY_RUN, commit: COMMIT, 'unit-dir': UNIT_DIR },
  async run(ctx) {
    const device = ctx.args[0]!;
    const o = options(ctx, true);
    if (ctx.values['dry-run'] === true) {
      const { plan } = await planDisk(device, o);
      if (plan.refusal) throw invalid(plan.refusal);
      return report(ctx, device, plan, undefined);
    }
    return report(ctx, device, undefined, await provision(device, o, { onStep: progress(ctx), ...stopAfter() }));
  },
};

const grow: Command = {
  path: ['disk', 'grow'],
  summary: 'Grow the colony-data partition and its filesystem to fill their disk (first boot).',
  params: '[DEVICE]',
  arity: [0, 1],
  json: true,
  description: `Finds the partition named (or the ext4 labelled) colony-data, on DEVICE or on any
disk, grows it to the end of its disk with growpart, checks and grows its filesystem, and mounts it
at the data directory. Nothing else on the disk is touched. No data partition: nothing to do.`,
  options: { 'dry-run': DRY_RUN, commit: COMMIT, 'unit-dir': UNIT_DIR },
  async run(ctx) {
    const o = options(ctx, false);
    if (ctx.values['dry-run'] === true) {
      const disk = findDataDisk(await readBlockDevices(ctx.args[0]));
      if (!disk) { ctx.out.write('no colony-data partition; nothing to grow\n'); return 0; }
      const { plan } = await planDisk(disk.path, o);
      if (plan.refusal) throw invalid(plan.refusal);
      return report(ctx, disk.path, plan, undefined);
    }
    const r = await growDataDisk(o, { onStep: progress(ctx), ...stopAfter() }, ctx.args[0]);
    if (!r.device) {
      if (ctx.json) writeJson(ctx.out, { device: null, done: [] });
      else ctx.out.write('no colony-data partition; nothing to grow\n');
      return 0;
    }
    return report(ctx, r.device, undefined, r.steps);
  },
};

export const diskCommands: Command[] = [list, provisionCmd, grow];
