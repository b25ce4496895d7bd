// The appliance image's A/B root update through RAUC (image/update/: system.conf, the
// systemd-boot backend, the health gate). RAUC checks the bundle's signature before it
// writes anything, writes the inactive slot, and makes it the next boot with three tries;
// the boot check and `rauc status mark-good` commit it after a healthy boot, and
// systemd-boot returns to the old slot by itself when the tries run out. Used by
// `colony update` (cli/) and the SSH console's `update` (console/ssh/).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { ColonyError, fromSystemError, permission, unsupported } from '../errors.js';

export const RAUC_CONF = '/etc/rauc/system.conf';
/** The Raspberry Pi image's backend (the firmware's tryboot flag; tryboot.ts). */
export const PI_BACKEND = '/usr/lib/colony/update/backend-pi';
const RELEASE = '/etc/colony/release';

export interface Slot {
  name: string; // rootfs.0
  bootname: string; // A
  state: string; // booted, active, inactive
  boot: string; // good, bad, or '' when RAUC could not tell
  version: string; // the bundle version RAUC recorded, or the running root's commit
  installed: string; // when RAUC wrote it, '' for the slot the image came with
}

export interface UpdateStatus { booted: string; next: string; slots: Slot[] }

type Json = Record<string, unknown>;
const str = (v: unknown) => (typeof v === 'string' ? v : '');
const obj = (v: unknown): Json => (v && typeof v === 'object' ? (v as Json) : {});

/** `rauc status --detailed --output-format=json` as Colony shows it (pure). */
export function parseRaucStatus(text: string, release = ''): UpdateStatus {
  let j: Json;
  try {
    j = obj(JSON.parse(text));
  } catch (err) {
    throw new ColonyError('COLONY_PROTOCOL', 'rauc status printed no JSON', { cause: err });
  }
  const commit = /^COLONY_COMMIT=(.*)$/m.exec(release)?.[1] ?? '';
  const slots: Slot[] = [];
  for (const entry of Array.isArray(j.slots) ? j.slots : []) {
    for (const [name, raw] of Object.entries(obj(entry))) {
      const s = obj(raw);
      if (str(s.class) !== 'rootfs') continue;
      const status = obj(s.slot_status);
      const state = str(s.state);
      slots.push({
        name,
        bootname: str(s.bootname),
        state,
        boot: str(s.boot_status),
        version: str(obj(status.bundle).version) || (state === 'booted' ? commit : ''),
        installed: str(obj(status.installed).timestamp),
      });
    }
  }
  const bootnameOf = (slot: string) => slots.find((s) => s.name === slot)?.bootname ?? slot;
  return { booted: str(j.booted), next: bootnameOf(str(j.boot_primary)), slots };
}

/** Lines for a person: one per slot, then which slot boots next and why (pure). */
export function formatStatus(st: UpdateStatus): string {
  const lines = st.slots.map((s) => [
    `slot ${s.bootname} (${s.name})`.padEnd(18),
    (s.state || '-').padEnd(9),
    (s.boot || '-').padEnd(5),
    s.version ? `version ${s.version}` : 'no update installed',
    s.installed ? `installed ${s.installed}` : '',
  ].join('  ').trimEnd());
  const next = st.next === st.booted ? `next boot: slot ${st.next} (the running one)` : `next boot: slot ${st.next} (a trial: committed after a healthy boot, else slot ${st.booted} again)`;
  return [...lines, next].join('\n') + '\n';
}

/** Why `rauc install` failed, as a ColonyError with a stable code (pure). */
export function installFailure(output: string, file: string): ColonyError {
  const lines = output.trim().split('\n');
  // RAUC's own reason is its LastError line; the last line only says that it failed.
  const last = (lines.find((l) => /^\s*LastError:/.test(l))?.replace(/^\s*LastError:\s*/, '') ?? lines.filter((l) => /error|fail|refus|invalid/i.test(l)).pop() ?? lines.pop() ?? '');
  if (/signature|verif|certificate|\bCMS\b|keyring/i.test(output))
    return new ColonyError('COLONY_AUTH', `${file}: the bundle's signature does not verify against ${RAUC_CONF}'s keyring; refused, nothing was written (${last.trim()})`);
  if (/compatible/i.test(output))
    return new ColonyError('COLONY_INVALID', `${file}: the bundle is for another machine; refused, nothing was written (${last.trim()})`);
  return new ColonyError('COLONY_IO', `${file}: rauc install failed: ${last.trim()}`);
}

function runTool(cmd: string, args: string[], onLine?: (line: string) => void): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let partial = '';
    const take = (d: Buffer) => {
      const s = d.toString();
      out += s;
      if (!onLine) return;
      const lines = (partial + s).split('\n');
      partial = lines.pop()!;
      for (const l of lines) onLine(l);
    };
    p.stdout.on('data', take);
    p.stderr.on('data', take);
    p.on('error', (err) => reject(fromSystemError(err, `running ${cmd}`)));
    p.on('close', (code) => {
      if (onLine && partial) onLine(partial);
      resolve({ code: code ?? 1, out });
    });
  });
}

/** Refuses where `colony update` cannot work: not the image, not root. */
export async function checkUpdatable(): Promise<void> {
  try {
    await access(RAUC_CONF);
  } catch {
    throw unsupported(`colony update runs on the Colony appliance image (no ${RAUC_CONF} here)`);
  }
  if (process.getuid?.() !== 0) throw permission('colony update writes the system disk: run it as root');
  const found = await runTool('rauc', ['--version']).catch(() => undefined);
  if (!found || found.code !== 0) throw unsupported('colony update needs RAUC (the image has it; `rauc` is not on the PATH here)');
  if (existsSync(PI_BACKEND)) {
    // A Pi whose firmware or kernel cannot set the tryboot flag could never try an update safely.
    const check = await runTool(PI_BACKEND, ['check']);
    if (check.code !== 0) throw unsupported(`colony update: ${check.out.trim()}`);
  }
}

export async function updateStatus(): Promise<UpdateStatus> {
  const r = await runTool('rauc', ['status', '--detailed', '--output-format=json']);
  if (r.code !== 0) throw new ColonyError('COLONY_IO', `rauc status failed: ${r.out.trim()}`);
  const release = await readFile(RELEASE, 'utf8').catch(() => '');
  return parseRaucStatus(r.out.slice(r.out.indexOf('{')), release);
}

/**
 * Installs a bundle into the inactive slot (progress lines to `progress`) and returns the
 * status after it: `next` is the slot the next boot tries. The CLI and the SSH console's
 * `update` verb both come here.
 */
export async function installUpdate(file: string, progress: (line: string) => void): Promise<UpdateStatus> {
  await checkUpdatable();
  try {
    await access(file);
  } catch (err) {
    throw fromSystemError(err, `reading the bundle ${file}`);
  }
  const r = await runTool('rauc', ['install', file], (l) => { if (l.trim()) progress(l); });
  if (r.code !== 0) throw installFailure(r.out, file);
  return updateStatus();
}

export function installedText(st: UpdateStatus, tryboot = existsSync(PI_BACKEND)): string {
  // The Pi's firmware tries a slot once (tryboot); systemd-boot counts three tries.
  if (tryboot) {
    return `installed into slot ${st.next}; the next reboot (colony update --reboot) tries it once.\n` +
      `The update is committed after a healthy boot (supervisor ready); if that boot fails or hangs,\n` +
      `the machine goes back to slot ${st.booted} by itself. See: colony update status\n`;
  }
  return `installed into slot ${st.next}; it boots next, as a trial.\n` +
    `The update is committed after a healthy boot (supervisor ready); if that boot fails three times,\n` +
    `the machine goes back to slot ${st.booted} by itself. See: colony update status\n`;
}

/**
 * Reboots into the slot just installed (systemd). On a Pi the backend has written
 * `0 tryboot` to /run/systemd/reboot-param, which systemd passes to the kernel on any reboot.
 */
export async function rebootNow(): Promise<void> {
  await runTool('systemctl', ['reboot']);
}
