// What the board reports. A sample is what is polled (every config.pollSeconds); the
// inventory is what changes rarely (read once, lazily).

export interface ThermalZone {
  /** The sysfs directory name, e.g. `thermal_zone0`. */
  name: string;
  /** The zone's `type` file, e.g. `cpu-thermal`, `x86_pkg_temp`, `acpitz`. */
  type: string;
  c: number;
}

export interface DiskSpace {
  /** The directory measured (the data directory). */
  path: string;
  totalBytes: number;
  /** Free blocks, the root-reserved ones included (statfs f_bfree). */
  freeBytes: number;
  /** What an unprivileged writer can still use (statfs f_bavail, df's "Avail"). */
  availableBytes: number;
}

export interface SysSample {
  /** When the sample was taken, ms since the epoch. */
  at: number;
  /** The hottest thermal zone in °C; null where the kernel exposes none (many VMs). */
  temperatureC: number | null;
  thermalZones: ThermalZone[];
  /** /proc/meminfo MemTotal and MemAvailable, in bytes. */
  memory: { totalBytes: number; availableBytes: number };
  /** /proc/loadavg: 1, 5 and 15 minutes. */
  load: [number, number, number];
  /** /proc/uptime: seconds since boot. */
  uptimeSeconds: number;
  /** statfs of the data directory; null when it cannot be read (not created yet). */
  disk: DiskSpace | null;
  /**
   * Raspberry Pi only: `under-voltage` or `ok`, from the firmware's `rpi_volt` hwmon
   * alarm (in0_lcrit_alarm). Absent on other boards.
   */
  throttled?: string;
}

export interface Inventory {
  /** /proc/device-tree/model (a Pi: `Raspberry Pi 4 Model B Rev 1.4`) or the DMI product name; null if neither. */
  board: string | null;
  /** e.g. `Debian GNU/Linux 12 (bookworm)`. */
  os: string;
  /** The kernel release, e.g. `6.1.0-28-arm64`. */
  kernel: string;
  /** Node's name for the CPU architecture: `arm64`, `x64`. */
  arch: string;
  cpus: number;
  /** Network interfaces other than loopback, with every address they hold now. */
  interfaces: Array<{ name: string; mac: string; addresses: string[] }>;
  /** Whole disks (no partitions, loop, ram or zram devices). type: nvme | mmc | usb | ssd | hdd | unknown. */
  disks: Array<{ name: string; type: string; sizeBytes: number }>;
}

export interface SysinfoConfig {
  /** A thermal zone at or above this is `degraded` (the Pi firmware throttles from 80 °C). */
  temperatureHighC: number;
  pollSeconds: number;
  /** Available bytes on the data directory's filesystem below which the disk is past its reserve. */
  diskReserveBytes: number;
}
