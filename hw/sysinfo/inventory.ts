// The inventory: what changes rarely (board, OS, interfaces, disks). systeminformation
// supplies the OS and the interface and disk lists, but it runs many subprocesses, some
// with execSync (networkInterfaces alone forks about 18 and blocks the event loop while
// they run). So it runs in a child Node process, once, with a time bound: the supervisor's
// event loop never waits on it, and a hung probe is killed with its whole process group.
// When that fails (timeout, package missing, odd output) the same fields come from direct
// reads. The board model is always a direct read.
import { spawn } from 'node:child_process';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { arch, availableParallelism, networkInterfaces, release, type } from 'node:os';
import { join } from 'node:path';
import type { Log } from '../../appliance/log.js';
import { parseLine, parsePrettyName } from './parse.js';
import { at } from './read.js';
import type { Inventory } from './types.js';

export interface InventoryOptions {
  /** '' reads this machine (through systeminformation); a sim root is read directly. */
  root: string;
  log: Log;
  /** How long the systeminformation child may take before it is killed (default 15 s). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

type Parts = Pick<Inventory, 'os' | 'kernel' | 'interfaces' | 'disks'>;

export async function readInventory(opts: InventoryOptions): Promise<Inventory> {
  const root = opts.root;
  const board = await readBoard(root);
  let parts: Parts | undefined;
  if (root === '') {
    try {
      parts = fromSystemInformation(await runProbe(opts.timeoutMs ?? 15_000, opts.signal));
    } catch (err) {
      opts.log.warn({ err }, 'sysinfo: systeminformation failed; the inventory comes from direct reads');
    }
  }
  parts ??= await directParts(root);
  return { board, ...parts, arch: arch(), cpus: availableParallelism() };
}

/** /proc/device-tree/model on a Pi and other device-tree boards; the DMI product name on a PC. */
export async function readBoard(root: string): Promise<string | null> {
  for (const rel of ['proc/device-tree/model', 'sys/class/dmi/id/product_name']) {
    try {
      const v = parseLine(await readFile(at(root, rel), 'latin1'));
      if (v) return v;
    } catch {
      // Not this kind of board: try the next source.
    }
  }
  return null;
}

// Runs in the child: plain ESM, given the package's resolved URL so it needs no loader.
const PROBE = `
const si = (await import(process.argv[1])).default;
const os = await si.osInfo();
const net = await si.networkInterfaces();
const blk = await si.blockDevices();
process.stdout.write(JSON.stringify({ os, net, blk }));
`;

const MAX_OUTPUT = 4 * 1024 * 1024;

function runProbe(timeoutMs: number, signal?: AbortSignal): Promise<unknown> {
  const url = import.meta.resolve('systeminformation');
  return new Promise((resolve, reject) => {
    // detached: its own process group, so a kill reaches the subprocesses it forked too.
    const child = spawn(process.execPath, ['--input-type=module', '-e', PROBE, url], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let size = 0;
    let err = '';
    let why: string | undefined;
    const kill = (reason: string) => {
      why ??= reason;
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* already gone */ }
    };
    const timer = setTimeout(() => kill(`no answer in ${timeoutMs} ms`), timeoutMs);
    const onAbort = () => kill('stopped');
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) onAbort();
    child.stdout.on('data', (b: Buffer) => {
      size += b.length;
      if (size > MAX_OUTPUT) kill(`more than ${MAX_OUTPUT} bytes of output`);
      else out.push(b);
    });
    child.stderr.on('data', (b: Buffer) => { if (err.length < 2000) err += b.toString(); });
    child.on('error', (e) => { why ??= e.message; });
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      const ended = sig ? `killed by ${sig}` : `exit ${code}`;
      if (why || code !== 0) return reject(new Error(`the systeminformation probe: ${why ? `${why}, ${ended}` : ended}${err ? `: ${err.trim().split('\n').pop()}` : ''}`));
      try { resolve(JSON.parse(Buffer.concat(out).toString())); } catch (e) { reject(new Error(`the systeminformation probe: unreadable output (${(e as Error).message})`)); }
    });
  });
}

const str = (v: unknown) => (typeof v === 'string' ? v : '');
const list = (v: unknown): Array<Record<string, unknown>> => (Array.isArray(v) ? v : v && typeof v === 'object' ? [v] : []) as Array<Record<string, unknown>>;

/** Maps systeminformation's answer onto the Inventory; throws if it lacks the OS. */
export function fromSystemInformation(raw: unknown): Parts {
  const r = (raw ?? {}) as Record<string, unknown>;
  const os = (r.os ?? {}) as Record<string, unknown>;
  if (!str(os.distro)) throw new Error('the systeminformation probe: no distribution in osInfo');
  const codename = str(os.codename);
  const live = networkInterfaces();
  const interfaces = list(r.net).filter((n) => n.internal !== true && str(n.iface)).map((n) => {
    const name = str(n.iface);
    // systeminformation keeps one address per family; the kernel's list has them all.
    const now = (live[name] ?? []).map((a) => a.address);
    return { name, mac: str(n.mac), addresses: now.length ? now : [str(n.ip4), str(n.ip6)].filter(Boolean) };
  });
  const disks = list(r.blk)
    .filter((d) => d.type === 'disk' && wholeDisk(str(d.name)) && Number(d.size) > 0)
    .map((d) => ({ name: str(d.name), type: diskType(str(d.name), str(d.protocol), str(d.physical)), sizeBytes: Number(d.size) }));
  return { os: `${str(os.distro)} ${str(os.release)}`.trim() + (codename ? ` (${codename})` : ''), kernel: str(os.kernel) || release(), interfaces, disks };
}

const wholeDisk = (name: string) => name !== '' && !/^(loop|ram|zram|sr|fd)\d/.test(name);

/** nvme | mmc | usb | ssd | hdd | unknown, from the name, the transport and rotation. */
export function diskType(name: string, transport: string, physical: string): string {
  if (name.startsWith('mmcblk')) return 'mmc';
  if (transport === 'nvme' || name.startsWith('nvme')) return 'nvme';
  if (transport === 'usb') return 'usb';
  if (/^ssd$/i.test(physical)) return 'ssd';
  if (/^hdd$/i.test(physical)) return 'hdd';
  return 'unknown';
}

/** The same fields from /etc/os-release, os.*, os.networkInterfaces() and /sys/block. */
export async function directParts(root: string): Promise<Parts> {
  let os = type();
  try {
    os = parsePrettyName(await readFile(at(root, 'etc/os-release'), 'utf8')) ?? os;
  } catch {
    // No os-release: the kernel's name will do.
  }
  const byName = new Map<string, { name: string; mac: string; addresses: string[] }>();
  for (const [name, addrs] of Object.entries(networkInterfaces())) {
    for (const a of addrs ?? []) {
      if (a.internal) continue;
      const entry = byName.get(name) ?? { name, mac: a.mac, addresses: [] };
      entry.addresses.push(a.address);
      byName.set(name, entry);
    }
  }
  return { os, kernel: release(), interfaces: [...byName.values()], disks: await blockDisks(root) };
}

async function blockDisks(root: string): Promise<Inventory['disks']> {
  const dir = at(root, 'sys/block');
  let names: string[];
  try {
    names = (await readdir(dir)).filter(wholeDisk).sort();
  } catch {
    return [];
  }
  const disks: Inventory['disks'] = [];
  for (const name of names) {
    const read = (f: string) => readFile(join(dir, name, f), 'latin1').then(parseLine, () => '');
    const sectors = Number(await read('size')); // always 512-byte units, whatever the device's sector size
    if (!(sectors > 0)) continue;
    const link = await readlink(join(dir, name)).catch(() => '');
    const rotational = await read('queue/rotational');
    disks.push({ name, type: diskType(name, link.includes('/usb') ? 'usb' : '', rotational === '1' ? 'hdd' : rotational === '0' ? 'ssd' : ''), sizeBytes: sectors * 512 });
  }
  return disks;
}
