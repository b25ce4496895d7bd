// An SSH console on 127.0.0.1 (ephemeral port) over a fresh catalog with alice and bob
// (users) and root (admin), each with an ed25519 key made by ssh-keygen and a password,
// and the OpenSSH client to talk to it. Everything is closed when the test ends.
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Test } from 'tap';
import { Catalog } from '../../../appliance/catalog/index.js';
import { SshConsole, type ConsoleReply, type Interpreter, type SshConsoleOptions } from '../../../appliance/console/ssh/index.js';
import { MemoryLog } from '../../../appliance/log.js';
import { passwordOnly, runSshClient, sshOptions, type SshResult } from '../../helpers/openssh.js';
import { shellQuote, TmuxTerminal } from '../../helpers/tmux.js';
import { tmpDir } from '../../helpers/tmp.js';
import { fastScrypt } from '../../unit/catalog/fixtures.js';

let toolsReady = false;
/** Installs the Debian clients the tests drive (once per process). */
export function ensureTools(): void {
  if (toolsReady) return;
  execFileSync(join(import.meta.dirname, '../../../scripts/ensure-apt.sh'), ['openssh-client', 'sshpass', 'tmux'], { stdio: 'inherit', timeout: 300_000 });
  toolsReady = true;
}

/** A grid interpreter stand-in: echoes, fails on `fail`, and answers `spawn NAME` with a mount line. */
export const echoInterpreter: Interpreter = {
  async run(user: string, line: string): Promise<ConsoleReply> {
    const [verb, arg] = line.trim().split(/\s+/);
    if (verb === 'help') return { output: 'grid commands:\n  spawn NAME' };
    if (verb === 'fail') return { output: 'error: it failed', error: 'COLONY_INVALID' };
    if (verb === 'spawn') return { output: `spawned ${arg}\nmount -t 9p -o trans=tcp,port=564,version=9p2000.L,aname=env/${arg}/TOKEN-${user} HOST /mnt`, json: { env: arg } };
    return { output: `${user} said: ${line}`, json: { user, line } };
  },
};

export const PASSWORDS: Record<string, string> = { alice: 'alice-secret-1', bob: 'bob-secret-2', root: 'root-secret-3' };

export interface SshWorld {
  dir: string;
  catalog: Catalog;
  server: SshConsole;
  port: number;
  log: MemoryLog;
  /** Private key file per user (and `stranger`, a key nobody holds). */
  keys: Record<string, string>;
  hostKeyPath: string;
  shutdowns: string[];
}

export async function sshWorld(t: Test, options: Partial<SshConsoleOptions> & { catalog?: Catalog } = {}): Promise<SshWorld> {
  ensureTools();
  const dir = await tmpDir(t, 'colony-ssh-');
  const keys: Record<string, string> = {};
  for (const name of ['alice', 'bob', 'root', 'stranger']) {
    keys[name] = join(dir, `id_${name}`);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${name}@test`, '-f', keys[name]!], { timeout: 30_000 });
  }
  let catalog = options.catalog;
  if (!catalog) {
    catalog = await Catalog.open(join(dir, 'catalog'), { nodeId: 'node-ssh', scrypt: fastScrypt });
    const c = catalog;
    t.teardown(() => c.close());
  }
  for (const [name, role] of [['alice', 'user'], ['bob', 'user'], ['root', 'admin']] as const) {
    const line = (await readFile(`${keys[name]}.pub`, 'utf8')).trim();
    if (catalog.listUsers().some((u) => u.name === name)) {
      await catalog.addKey(name, line);
      await catalog.setPassword(name, PASSWORDS[name]!);
    } else {
      await catalog.addUser({ name, role, password: PASSWORDS[name]!, keys: [line] });
    }
  }
  const log = new MemoryLog();
  const shutdowns: string[] = [];
  const hostKeyPath = options.hostKeyPath ?? join(dir, 'ssh_host_ed25519_key');
  const server = new SshConsole({
    interpreter: echoInterpreter,
    log,
    onShutdown: (by) => { shutdowns.push(by); },
    ...options,
    catalog,
    hostKeyPath,
  });
  const { address } = await server.listen('127.0.0.1:0');
  t.teardown(() => server.close(2_000));
  return { dir, catalog, server, port: address.port, log, keys, hostKeyPath, shutdowns };
}

export type { SshResult };

/**
 * The OpenSSH options for a login as `user` with a key file or (through sshpass) a password;
 * `logLevel` and `prefs` (PreferredAuthentications) as in ../../helpers/openssh.ts.
 */
export function sshArgs(w: SshWorld, user: string, how: { key?: string; password?: string; bind?: string; tty?: boolean; logLevel?: 'ERROR' | 'INFO'; prefs?: string }): { file: string; args: string[] } {
  const base = [...sshOptions(how.logLevel), '-p', String(w.port), ...(how.bind ? ['-b', how.bind] : []), ...(how.tty ? ['-tt'] : ['-T'])];
  if (how.password !== undefined) {
    return { file: 'sshpass', args: ['-p', how.password, 'ssh', ...base, ...passwordOnly(how.prefs), `${user}@127.0.0.1`] };
  }
  return {
    file: 'ssh',
    args: [...base, '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-o', 'IdentityAgent=none', '-o', 'PreferredAuthentications=publickey', '-i', how.key ?? w.keys[user]!, `${user}@127.0.0.1`],
  };
}

/** Runs the OpenSSH client once, bounded in time; `command` words go after the host. */
export function ssh(w: SshWorld, user: string, command: string[], how: { key?: string; password?: string; input?: string; bind?: string } = {}): Promise<SshResult> {
  const { file, args } = sshArgs(w, user, how);
  return runSshClient(file, [...args, ...command], { timeoutMs: 30_000, input: how.input ?? '' });
}

/** A terminal (a tmux pane on its own tmux server) running the OpenSSH client; killed when the test ends. */
export class Terminal extends TmuxTerminal {
  static async open(t: Test, w: SshWorld, user: string, how: { key?: string; password?: string; command?: string[] } = {}): Promise<Terminal> {
    const { file, args } = sshArgs(w, user, { ...how, tty: true });
    const command = `${[file, ...args, ...(how.command ?? [])].map(shellQuote).join(' ')}; echo "ssh exited $?"; sleep 60`;
    return new Terminal({ command, session: 'ssh', socketPrefix: 'colony-ssh', waitMs: 10_000 }).start(t);
  }
}

/** How many times `needle` occurs in `hay`. */
export const count = (hay: string, needle: string) => hay.split(needle).length - 1;
