// What `lsblk --json` says about the machine's disks, filled in from `blkid -p` and sysfs,
// and classified (pure). lsblk takes FSTYPE, LABEL, PARTLABEL and PTTYPE from the udev
// database: where udevd does not run (containers, early boot, CI) they read null, so the
// Linux backend probes each device with `blkid -p` and fills the gaps (withBlkid).

/** The columns we ask for; every one exists in Debian 12's util-linux 2.38. */
export const LSBLK_COLUMNS = 'NAME,PATH,SIZE,TYPE,TRAN,RM,RO,MODEL,SERIAL,FSTYPE,LABEL,PARTLABEL,PARTUUID,MOUNTPOINTS,PKNAME,PTTYPE,UUID,LOG-SEC,START';

/** One node of `lsblk --json --bytes -o LSBLK_COLUMNS` (a disk, a partition, a loop device). */
export interface BlockDevice {
  name: string;
  path: string;
  size: number;
  type: string;
  tran: string | null;
  rm: boolean;
  ro: boolean;
  model: string | null;
  serial: string | null;
  fstype: string | null;
  label: string | null;
  partlabel: string | null;
  partuuid: string | null;
  /** lsblk writes [null] for "not mounted". */
  mountpoints: Array<string | null>;
  pkname: string | null;
  pttype?: string | null;
  uuid?: string | null;
  'log-sec'?: number | null;
  /** Partition start in 512-byte units (sysfs `start`), whatever the logical sector size. */
  start?: number | null;
  children?: BlockDevice[];
}

export interface LsblkJson { blockdevices: BlockDevice[] }

export type DiskKind = 'sd' | 'emmc' | 'nvme' | 'usb' | 'other';

export interface PartitionInfo {
  name: string;
  path: string;
  size: number;
  fstype: string | null;
  label: string | null;
  partlabel: string | null;
  mountpoints: string[];
}

export interface DiskInfo {
  name: string;
  path: string;
  kind: DiskKind;
  size: number;
  model: string | null;
  removable: boolean;
  readOnly: boolean;
  pttype: string | null;
  /** A filesystem on the whole disk (no partition table). */
  fstype: string | null;
  mountpoints: string[];
  partitions: PartitionInfo[];
  /** This disk (or one of its partitions) holds the data directory. */
  holdsData: boolean;
}

/** What only sysfs knows: `/sys/block/NAME/device/type` for MMC devices ("SD", "MMC", "SDIO"). */
export interface SysFacts { mmcType: Record<string, string> }

export function parseLsblk(text: string): LsblkJson {
  const json = JSON.parse(text) as LsblkJson;
  if (!json || !Array.isArray(json.blockdevices)) throw new Error('lsblk --json output has no blockdevices array');
  return json;
}

export const mounts = (d: Pick<BlockDevice, 'mountpoints'>): string[] =>
  (d.mountpoints ?? []).filter((m): m is string => typeof m === 'string');

/** `blkid -p -o export` output as a key → value map. */
export function parseBlkidExport(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

/** The tree with null fields filled from `blkid -p` probes (keyed by device path); lsblk wins where it knows. */
export function withBlkid(tree: LsblkJson, probes: Record<string, Record<string, string>>): LsblkJson {
  const fill = (d: BlockDevice): BlockDevice => {
    const p = probes[d.path] ?? {};
    return {
      ...d,
      fstype: d.fstype ?? p.TYPE ?? null,
      label: d.label ?? p.LABEL ?? null,
      uuid: d.uuid ?? p.UUID ?? null,
      pttype: d.pttype ?? p.PTTYPE ?? null,
      partlabel: d.partlabel ?? p.PART_ENTRY_NAME ?? null,
      partuuid: d.partuuid ?? p.PART_ENTRY_UUID ?? null,
      ...(d.children ? { children: d.children.map(fill) } : {}),
    };
  };
  return { blockdevices: tree.blockdevices.map(fill) };
}

export function kindOf(d: Pick<BlockDevice, 'name' | 'tran'>, sys: SysFacts): DiskKind {
  if (d.tran === 'nvme') return 'nvme';
  if (d.tran === 'usb') return 'usb';
  if (/^mmcblk\d+$/.test(d.name) && d.tran === null) {
    const t = sys.mmcType[d.name];
    if (t === 'SD') return 'sd';
    if (t === 'MMC') return 'emmc';
  }
  return 'other';
}

/** The mount point that contains `dir` (longest prefix by path components). */
export function mountHolding(dir: string, mountPoints: string[]): string | undefined {
  let best: string | undefined;
  for (const m of mountPoints) {
    const inside = m === '/' || dir === m || dir.startsWith(m.endsWith('/') ? m : m + '/');
    if (inside && (best === undefined || m.length > best.length)) best = m;
  }
  return best;
}

// Swap on zram and RAM disks are memory, not storage; an unconfigured one reads size 0.
const isStorage = (d: BlockDevice) => (d.type === 'disk' || d.type === 'loop') && d.size > 0 && !/^(zram|ram)\d+$/.test(d.name);

/** The machine's disks, classified, with which one holds `dataDir` (an absolute, resolved path). */
export function classifyDisks(tree: LsblkJson, sys: SysFacts, dataDir: string): DiskInfo[] {
  const disks = tree.blockdevices.filter(isStorage);
  const all = disks.flatMap((d) => [...mounts(d), ...(d.children ?? []).flatMap(mounts)]);
  const holder = mountHolding(dataDir, all);
  return disks.map((d) => {
    const partitions = (d.children ?? []).filter((c) => c.type === 'part').map((c) => ({
      name: c.name, path: c.path, size: c.size, fstype: c.fstype, label: c.label, partlabel: c.partlabel, mountpoints: mounts(c),
    }));
    const here = [...mounts(d), ...partitions.flatMap((p) => p.mountpoints)];
    return {
      name: d.name, path: d.path, kind: kindOf(d, sys), size: d.size, model: d.model?.trim() || null,
      removable: d.rm, readOnly: d.ro, pttype: d.pttype ?? null, fstype: d.fstype, mountpoints: mounts(d), partitions,
      holdsData: holder !== undefined && here.includes(holder),
    };
  });
}
