// The standard mDNS clients a person's laptop runs, inside a namespace of a test LAN
// (test/helpers/netns.ts), reporting what they see as events with times:
//  - avahi-browse -rp _colony._tcp, against an avahi-daemon of the namespace's own (a private
//    dbus and /run and /etc/avahi bind-mounted in an `unshare -m` mount namespace, so the
//    host's, if any, is untouched);
//  - python3-zeroconf (Debian's, /usr/bin/python3) browsing _colony._tcp and _ssh._tcp.
// Every process is stopped by PID at teardown, before the LAN goes.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Lan } from '../helpers/netns.js';
import type { Teardown } from '../helpers/vm.js';

export interface Sighting { at: number; client: 'avahi' | 'zeroconf'; ev: 'added' | 'removed'; name: string; type: string; port?: number; host?: string; addresses?: string[]; txt?: Record<string, string>; firstTxt?: string }

export interface Client {
  events: Sighting[];
  /** The instances of `type` listed now (added and not removed since). */
  listed(type?: string): Map<string, Sighting>;
  pids(): number[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function track(events: Sighting[]): Client['listed'] {
  return (type = '_colony._tcp') => {
    const m = new Map<string, Sighting>();
    for (const e of events) if (e.type === type) { if (e.ev === 'added') m.set(e.name, e); else m.delete(e.name); }
    return m;
  };
}

function killAll(pids: number[]): void {
  for (const pid of pids) { try { process.kill(pid, 'SIGTERM'); } catch { /* gone */ } }
}

/** avahi-daemon.conf for a namespace: IPv4 on eth0 only, no wide-area, nothing of the host's own published. */
export const AVAHI_CONF = `[server]
use-ipv4=yes
use-ipv6=no
allow-interfaces=eth0
ratelimit-interval-usec=1000000
ratelimit-burst=1000
[wide-area]
enable-wide-area=no
[publish]
publish-hinfo=no
publish-workstation=no
`;

/**
 * The shell run inside `ip netns exec NS unshare -m`: private /run/dbus, /run/avahi-daemon and
 * /etc/avahi, a system dbus and an avahi-daemon there, then its arguments, exec'd (so the
 * command's PID is the spawned child's: `sh SCRIPT CMD ARGS…`). The daemons' PIDs land in
 * DIR/run-dbus/pid and DIR/run-avahi/pid.
 */
export async function avahiScript(dir: string): Promise<string> {
  await mkdir(join(dir, 'etc'), { recursive: true });
  await mkdir(join(dir, 'run-dbus'), { recursive: true });
  await mkdir(join(dir, 'run-avahi'), { recursive: true });
  await writeFile(join(dir, 'etc', 'avahi-daemon.conf'), AVAHI_CONF);
  const script = join(dir, 'run.sh');
  await writeFile(script, `set -e
mount --make-rprivate /
mkdir -p /run/dbus /run/avahi-daemon
mount --bind ${dir}/run-dbus /run/dbus
mount --bind ${dir}/run-avahi /run/avahi-daemon
mount --bind ${dir}/etc /etc/avahi
dbus-daemon --system --fork
avahi-daemon --no-drop-root --no-chroot --no-rlimits -D
for i in $(seq 1 100); do avahi-daemon --check && break; sleep 0.1; done
exec "$@"
`);
  return script;
}

export async function daemonPids(dir: string): Promise<number[]> {
  const read = (f: string) => readFile(join(dir, f), 'utf8').then((s) => Number(s.trim()), () => NaN);
  return [await read('run-dbus/pid'), await read('run-avahi/pid')].filter((n) => Number.isInteger(n) && n > 1);
}

function follow(child: ChildProcess, onLine: (line: string) => void): void {
  createInterface({ input: child.stdout! }).on('line', onLine);
  child.stderr?.resume();
}

/** avahi-browse -rp _colony._tcp in `node`'s namespace, with its own avahi-daemon. */
export async function avahiClient(t: Teardown, lan: Lan, node: string, dir: string): Promise<Client> {
  const script = await avahiScript(dir);
  const [cmd, args] = lan.wrap(node, 'unshare', ['-m', 'sh', script, 'avahi-browse', '-rp', '_colony._tcp']);
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const events: Sighting[] = [];
  let daemons: number[] = [];
  t.teardown(async () => { killAll([child.pid ?? -1, ...daemons]); await sleep(100); });
  follow(child, (line) => {
    const f = line.split(';');
    // = iface;proto;name;type;domain;host;address;port;txt  /  - iface;proto;name;type;domain
    if (f[0] === '=' && f[2] === 'IPv4') {
      const txt = [...(f[9] ?? '').matchAll(/"([^"]*)"/g)].map((m) => m[1]!);
      events.push({ at: Date.now(), client: 'avahi', ev: 'added', name: unescape(f[3]!), type: f[4]!, host: f[6]!, addresses: [f[7]!], port: Number(f[8]), txt: Object.fromEntries(txt.map((s) => [s.split('=')[0]!, s.slice(s.indexOf('=') + 1)])) });
    } else if (f[0] === '-' && f[2] === 'IPv4') {
      events.push({ at: Date.now(), client: 'avahi', ev: 'removed', name: unescape(f[3]!), type: f[4]! });
    }
  });
  for (let i = 0; i < 100 && daemons.length < 2; i++) { await sleep(100); daemons = await daemonPids(dir); }
  if (daemons.length < 2) throw new Error(`avahi-daemon or dbus did not start in ${node}`);
  return { events, listed: track(events), pids: () => [child.pid ?? -1, ...daemons] };
}

/** avahi-browse -p escapes a name's bytes as \DDD (decimal); `colony-x \0402\041` → `colony-x (2)`. */
function unescape(s: string): string {
  return s.replace(/\\(\d{3})/g, (_m, d: string) => String.fromCharCode(Number(d)));
}

const ZEROCONF = String.raw`
import json, sys, time
from zeroconf import Zeroconf, ServiceBrowser, ServiceStateChange, IPVersion
zc = Zeroconf(ip_version=IPVersion.V4Only)
def out(**k):
    k['at'] = time.time() * 1000
    print(json.dumps(k), flush=True)
def changed(zeroconf, service_type, name, state_change):
    inst = name[:-len(service_type) - 1]
    if state_change is ServiceStateChange.Removed:
        out(ev='removed', name=inst, type=service_type[:-7]); return
    if state_change is not ServiceStateChange.Added: return
    info = zeroconf.get_service_info(service_type, name, 3000)
    if info is None: return
    text = info.text or b''
    first = text[1:1 + text[0]].decode() if text else ''
    txt = {k.decode(): (v.decode() if v is not None else '') for k, v in info.properties.items()}
    out(ev='added', name=inst, type=service_type[:-7], port=info.port, host=info.server, addresses=info.parsed_addresses(), txt=txt, firstTxt=first)
ServiceBrowser(zc, ['_colony._tcp.local.', '_ssh._tcp.local.'], handlers=[changed])
out(ev='ready', name='', type='')
sys.stdin.read()
zc.close()
`;

/** python3-zeroconf browsing _colony._tcp and _ssh._tcp in `node`'s namespace. */
export async function zeroconfClient(t: Teardown, lan: Lan, node: string): Promise<Client> {
  const [cmd, args] = lan.wrap(node, '/usr/bin/python3', ['-u', '-c', ZEROCONF]);
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const events: Sighting[] = [];
  let ready = false;
  t.teardown(async () => { child.stdin?.end(); await sleep(200); killAll([child.pid ?? -1]); });
  follow(child, (line) => {
    let e: Sighting & { ev: string };
    try { e = JSON.parse(line) as Sighting; } catch { return; }
    if ((e.ev as string) === 'ready') { ready = true; return; }
    events.push({ ...e, client: 'zeroconf' });
  });
  for (let i = 0; i < 100 && !ready; i++) await sleep(100);
  if (!ready) throw new Error(`python3-zeroconf did not start in ${node}`);
  return { events, listed: track(events), pids: () => [child.pid ?? -1] };
}
