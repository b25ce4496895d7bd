// The provisioning planner (pure): from what is on a disk now to the steps that make it
// Colony's data disk. It is run again after every step, so each step is re-derived from the
// disk itself: a power cut or a kill at any point leaves a state that a new plan finishes.
import { mounts, type BlockDevice } from './lsblk.js';

export const DATA_LABEL = 'colony-data';
/** GPT type "Linux filesystem data". */
export const LINUX_FS_TYPE = '0FC63DAF-8483-4772-8E79-3D69D8477DE4';
export const MIN_DISK_BYTES = 1024 * 1024 * 1024;
export const DEFAULT_COMMIT_SECONDS = 30;
const MiB = 1024 * 1024;
// Free space after the partition below this is alignment and the backup GPT, not room to grow.
const GROW_SLACK = 4 * MiB;
// resize2fs leaves out a last block group too small for its own metadata (a few MiB).
const RESIZE_SLACK = 8 * MiB;

export type Step =
  | { kind: 'unmount'; target: string; say: string }
  | { kind: 'partition'; device: string; script: string; say: string }
  | { kind: 'grow-partition'; device: string; number: number; say: string }
  | { kind: 'mkfs'; partition: string; say: string }
  | { kind: 'check'; partition: string; say: string }
  | { kind: 'resize'; partition: string; online: boolean; say: string }
  | { kind: 'mount'; partition: string; target: string; options: string; say: string }
  | { kind: 'unit'; path: string; link: string; content: string; say: string };

export type StepKind = Step['kind'];
export const STEP_KINDS: StepKind[] = ['unmount', 'partition', 'grow-partition', 'mkfs', 'check', 'resize', 'mount', 'unit'];

/** What the planner needs beyond lsblk: read by the Linux backend before each plan. */
export interface ProvisionFacts {
  /** Bytes the ext4 filesystem on the data partition spans (dumpe2fs -h), when there is one. */
  fsBytes?: number;
  /** The device mounted at the data directory, if any (findmnt --mountpoint). */
  dataDirSource?: string;
  /** Entries in the data directory when nothing is mounted there (0 when it does not exist). */
  dataDirEntries: number;
  /** The mount unit's current text and whether local-fs.target wants it. */
  unitText?: string;
  unitLinked: boolean;
  /** e2fsck has passed on the data partition during this run. */
  checked: boolean;
}

export interface ProvisionOptions {
  dataDir: string;
  /** Create a partition table and filesystem when there is no data partition (provision), or only grow one (grow). */
  create: boolean;
  force: boolean;
  minBytes?: number;
  commitSeconds?: number;
  /** Where the systemd mount unit goes (default /etc/systemd/system). */
  unitDir?: string;
}

export interface Plan { steps: Step[]; refusal?: string }

/** The kernel's partition name: a disk name ending in a digit takes a `p` (mmcblk0p1, nvme0n1p1, loop0p1; sda1). */
export const partitionPath = (disk: string, n: number) => `${disk}${/\d$/.test(disk) ? 'p' : ''}${n}`;

/** systemd's unit name for a mount point (`systemd-escape -p --suffix=mount`). */
export function mountUnitName(where: string): string {
  const trimmed = where.replace(/\/+/g, '/').replace(/^\/|\/$/g, '');
  if (trimmed === '') return '-.mount';
  const esc = [...Buffer.from(trimmed)].map((b, i) => {
    const c = String.fromCharCode(b);
    if (c === '/') return '-';
    if (/[A-Za-z0-9:_]/.test(c) || (c === '.' && i > 0)) return c;
    return `\\x${b.toString(16).padStart(2, '0')}`;
  });
  return esc.join('') + '.mount';
}

export function mountUnitText(o: { what: string; where: string; options: string }): string {
  return `# Written by 'colony disk provision': the Colony data partition.
[Unit]
Description=Colony data partition
Before=colony.service

[Mount]
What=${o.what}
Where=${o.where}
Type=ext4
Options=${o.options}

[Install]
WantedBy=local-fs.target
`;
}

const describe = (d: BlockDevice) => {
  const bits = [d.fstype ? d.fstype : d.pttype ? `${d.pttype} partition table` : undefined,
    d.label ? `label ${d.label}` : undefined, d.partlabel ? `partition name ${d.partlabel}` : undefined,
    ...mounts(d).map((m) => `mounted at ${m}`)].filter(Boolean);
  return `${d.path}${bits.length ? ` (${bits.join(', ')})` : ''}`;
};

const isOurs = (p: BlockDevice) => p.partlabel === DATA_LABEL || (p.fstype === 'ext4' && p.label === DATA_LABEL);
const size = (n: number) => n >= 1024 * MiB ? `${(n / 1024 / MiB).toFixed(1)} GiB` : `${Math.round(n / MiB)} MiB`;

/** The data partition on `disk`: named colony-data (GPT), or an ext4 labelled so (an MBR image). */
export function dataPartition(disk: BlockDevice): BlockDevice | undefined {
  return (disk.children ?? []).find(isOurs);
}

/** The disk that holds a data partition, for `colony disk grow` (first boot). */
export function findDataDisk(tree: { blockdevices: BlockDevice[] }): BlockDevice | undefined {
  return tree.blockdevices.find((d) => dataPartition(d) !== undefined);
}

/**
 * The steps from `disk` (one lsblk node, blkid-filled, with its partitions) to a mounted
 * colony-data filesystem filling the disk. Empty when there is nothing to do.
 */
export function planProvision(disk: BlockDevice, facts: ProvisionFacts, o: ProvisionOptions): Plan {
  const steps: Step[] = [];
  const refuse = (refusal: string): Plan => ({ steps: [], refusal });
  if (disk.type !== 'disk' && disk.type !== 'loop') return refuse(`${disk.path} is a ${disk.type}, not a whole disk`);
  if (disk.ro) return refuse(`${disk.path} is read-only`);
  const logSec = disk['log-sec'] ?? 512;
  const commit = o.commitSeconds ?? DEFAULT_COMMIT_SECONDS;
  const mountOptions = `noatime,commit=${commit}`;
  const children = disk.children ?? [];
  let part = dataPartition(disk);
  const partPath = part?.path ?? partitionPath(disk.path, 1);

  // The model the later steps see, advanced by each step planned before them.
  let partBytes = part?.size ?? 0;
  let fs: 'none' | 'ours' | 'foreign' = !part || !part.fstype ? 'none' : part.fstype === 'ext4' && part.label === DATA_LABEL ? 'ours' : 'foreign';
  let fsBytes = fs === 'ours' ? facts.fsBytes ?? partBytes : 0;
  let uuid = fs === 'ours' ? part?.uuid ?? undefined : undefined;
  const mountedHere = facts.dataDirSource !== undefined && facts.dataDirSource === part?.path;

  if (facts.dataDirSource !== undefined && !mountedHere) {
    return refuse(`${o.dataDir} is already a mount of ${facts.dataDirSource}; unmount it first`);
  }

  if (!part) {
    if (!o.create) return { steps: [] }; // grow: no data partition here, nothing to grow
    if (disk.size < (o.minBytes ?? MIN_DISK_BYTES)) {
      return refuse(`${disk.path} is ${size(disk.size)}, smaller than the minimum of ${size(o.minBytes ?? MIN_DISK_BYTES)} for a data disk`);
    }
    // An empty partition table holds nothing (and is what a cut during sfdisk might leave):
    // only partitions, a filesystem on the disk itself or a mount make the disk someone's.
    const used = children.length > 0 || disk.fstype !== null || mounts(disk).length > 0;
    const foreign = used ? [disk, ...children].filter((d) => d !== disk || d.fstype || d.pttype || mounts(d).length > 0) : [];
    const mounted = [disk, ...children].flatMap((d) => mounts(d));
    if (mounted.some((m) => m === '/' || m === '[SWAP]' || m.startsWith('/boot') || m === '/usr')) {
      return refuse(`${disk.path} holds the running system: ${foreign.map(describe).join('; ')}`);
    }
    if (foreign.length > 0 && !o.force) {
      return refuse(`${disk.path} holds data Colony did not put there: ${foreign.map(describe).join('; ')}. ` +
        `Provisioning erases it; rerun with --force if that is what you want`);
    }
    for (const m of mounted) steps.push({ kind: 'unmount', target: m, say: `unmount ${m}` });
    const script = `label: gpt\ntype=${LINUX_FS_TYPE}, name="${DATA_LABEL}"\n`;
    steps.push({ kind: 'partition', device: disk.path, script, say: `write a GPT with one partition ${DATA_LABEL} filling ${disk.path}` });
    partBytes = disk.size - MiB - 34 * logSec; // sfdisk starts at 1 MiB; the backup GPT takes the end
    fs = 'none';
  } else {
    const others = mounts(part).filter((m) => m !== o.dataDir);
    if (others.length > 0) return refuse(`${part.path} is mounted at ${others.join(', ')}; unmount it first`);
    const last = children.every((c) => (c.start ?? 0) <= (part!.start ?? 0));
    const end = (part.start ?? 0) * 512 + part.size;
    const backup = disk.pttype === 'gpt' ? 33 * logSec : 0;
    const room = disk.size - backup - end;
    if (last && room >= GROW_SLACK) {
      const number = Number(/(\d+)$/.exec(part.path)?.[1] ?? 1);
      steps.push({ kind: 'grow-partition', device: disk.path, number, say: `grow ${part.path} by ${size(room)} to the end of ${disk.path}` });
      partBytes = part.size + room;
    }
    if (fs === 'foreign') {
      if (!o.force) return refuse(`${part.path} is named ${DATA_LABEL} but holds ${describe(part)}, not Colony's ext4; rerun with --force to reformat it`);
      fs = 'none';
    }
  }

  const mounted = mountedHere;
  if (fs === 'none') {
    steps.push({ kind: 'mkfs', partition: partPath, say: `make an ext4 filesystem labelled ${DATA_LABEL} on ${partPath}` });
    fs = 'ours';
    fsBytes = partBytes;
    uuid = undefined;
  }
  const needResize = partBytes - fsBytes >= RESIZE_SLACK;
  const needMount = !mounted;
  if (!mounted && (needResize || needMount) && !facts.checked) {
    steps.push({ kind: 'check', partition: partPath, say: `check the filesystem on ${partPath} (e2fsck)` });
  }
  if (needResize) {
    steps.push({ kind: 'resize', partition: partPath, online: mounted, say: `grow the filesystem on ${partPath} from ${size(fsBytes)} to ${size(partBytes)}${mounted ? ' (mounted)' : ''}` });
  }
  if (needMount) {
    if (facts.dataDirEntries > 0 && !o.force) {
      return refuse(`${o.dataDir} is not empty (${facts.dataDirEntries} ${facts.dataDirEntries === 1 ? 'entry' : 'entries'}) and a mount there would hide them; move them away or rerun with --force`);
    }
    steps.push({ kind: 'mount', partition: partPath, target: o.dataDir, options: mountOptions, say: `mount ${partPath} at ${o.dataDir} (${mountOptions})` });
  }
  const unitDir = o.unitDir ?? '/etc/systemd/system';
  const name = mountUnitName(o.dataDir);
  const content = mountUnitText({ what: `/dev/disk/by-uuid/${uuid ?? '(the new filesystem\'s UUID)'}`, where: o.dataDir, options: mountOptions });
  if (uuid === undefined || facts.unitText !== content || !facts.unitLinked) {
    steps.push({ kind: 'unit', path: `${unitDir}/${name}`, link: `${unitDir}/local-fs.target.wants/${name}`, content, say: `write the mount unit ${unitDir}/${name}` });
  }
  return { steps };
}
