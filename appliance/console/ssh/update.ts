// `ssh admin@HOST update [--reboot] < colony-amd64.raucb` and `ssh admin@HOST update status`:
// a system update on a flashed appliance (no shell). The bundle streams from the channel
// into a file on the data partition, then goes the CLI's way (appliance/update: RAUC
// checks the signature before it writes the other slot). Admins only; refused before a
// byte is stored when the caller is not one or this is not the appliance image.
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ServerChannel } from 'ssh2';
import { permission, usage } from '../../errors.js';
import type { Log } from '../../log.js';
import { checkUpdatable, formatStatus, installedText, installUpdate, rebootNow, updateStatus } from '../../update/index.js';
import { failureReply, renderReply } from '../reply.js';
import { TarInput, type ChannelSink } from './transfer.js';

export type UpdateLine = { kind: 'install'; reboot: boolean } | { kind: 'status' };

/** Parses an exec line starting with `update`; undefined when it is something else. */
export function parseUpdateLine(line: string): UpdateLine | undefined {
  const words = line.trim().split(/\s+/);
  if (words[0] !== 'update') return undefined;
  const rest = words.slice(1);
  if (rest.length === 0) return { kind: 'install', reboot: false };
  if (rest.length === 1 && rest[0] === '--reboot') return { kind: 'install', reboot: true };
  if (rest.length === 1 && rest[0] === 'status') return { kind: 'status' };
  throw usage('usage: update [--reboot] < BUNDLE.raucb | update status');
}

export interface UpdateIo {
  channel: ServerChannel;
  user: string;
  admin: boolean;
  log: Log;
  json: boolean;
  out(text: string): void;
  err(text: string): void;
  attach(sink: ChannelSink | undefined): void;
  /** Where uploaded bundles go (DATA/update, RAUC's status lives there too). */
  dir?: string;
}

export async function runUpdate(c: UpdateLine, io: UpdateIo): Promise<number> {
  const { log, json, user } = io;
  const fail = (err: unknown) => { io.err(`${renderReply(failureReply(err), json)}\n`); return 1; };
  const input = c.kind === 'install' ? new TarInput(io.channel) : undefined;
  if (input) io.attach(input);
  const file = join(io.dir ?? join(process.env.COLONY_DATA ?? '/var/lib/colony', 'update'), `upload-${process.pid}-${Date.now()}.raucb`);
  try {
    if (!io.admin) throw permission("'update' is for admins");
    await checkUpdatable();
    if (c.kind === 'status') {
      const st = await updateStatus();
      io.out(json ? JSON.stringify(st) + '\n' : formatStatus(st));
      return 0;
    }
    log.info({ user }, 'ssh update: receiving a bundle');
    await mkdir(join(file, '..'), { recursive: true, mode: 0o700 });
    await pipeline(input!.stream, createWriteStream(file, { mode: 0o600 }), { signal: input!.signal });
    const st = await installUpdate(file, (l) => io.err(l + '\n'));
    log.info({ user, slot: st.next }, 'ssh update: installed');
    io.out(json ? JSON.stringify(st) + '\n' : installedText(st));
    if (c.reboot) {
      io.err('rebooting\n');
      // After the reply: the client gets its exit status before the machine goes down.
      setTimeout(() => { rebootNow().catch((err: unknown) => log.error({ err: failureReply(err).output }, 'ssh update: reboot failed')); }, 1000);
    }
    return 0;
  } catch (err) {
    log.info({ user, err: failureReply(err).output }, 'ssh update failed');
    return fail(err);
  } finally {
    input?.close();
    await rm(file, { force: true });
  }
}
