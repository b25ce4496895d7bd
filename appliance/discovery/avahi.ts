// Publishing and browsing through a running avahi-daemon over D-Bus (one mDNS responder per
// host: a second one on 5353 beside avahi causes spurious conflicts). The daemon probes,
// answers and says goodbye; we choose the name on a collision (records.ts nextName, the same
// rule as in process) and turn its browse signals into BrowseCache's `Found` rows.
//
// Concurrency: one publish step at a time (a collision resets the group and adds the
// services again under the next name, chained on `step`); resolves run one per found item.
//
// dbus-next (~10 MB resident) loads only once the system bus socket is there (issue 20, idle cost).
import { readFile, readlink, stat } from 'node:fs/promises';
import type dbus from 'dbus-next';
import type { Log } from '../log.js';
import type { Found } from './browse.js';
import { nextName, readColonyTxt, txtStrings, type Announcement } from './records.js';
import { MAX_RENAMES } from './responder.js';

const AVAHI = 'org.freedesktop.Avahi';
const PROTO_INET = 0;
const IF_UNSPEC = -1;
// The parts of Avahi's D-Bus API used here, so no introspection is needed.
const arg = (name: string, type: string, dir?: 'in' | 'out') => `<arg name="${name}" type="${type}"${dir ? ` direction="${dir}"` : ''}/>`;
const SERVER_XML = `<node><interface name="${AVAHI}.Server2">
<method name="GetVersionString">${arg('v', 's', 'out')}</method>
<method name="EntryGroupNew">${arg('path', 'o', 'out')}</method>
<method name="ServiceBrowserPrepare">${arg('interface', 'i', 'in')}${arg('protocol', 'i', 'in')}${arg('type', 's', 'in')}${arg('domain', 's', 'in')}${arg('flags', 'u', 'in')}${arg('path', 'o', 'out')}</method>
<method name="ResolveService">${['interface:i', 'protocol:i', 'name:s', 'type:s', 'domain:s', 'aprotocol:i', 'flags:u'].map((a) => arg(a.split(':')[0]!, a.split(':')[1]!, 'in')).join('')}${['interface:i', 'protocol:i', 'name:s', 'type:s', 'domain:s', 'host:s', 'aprotocol:i', 'address:s', 'port:q', 'txt:aay', 'flags:u'].map((a) => arg(`o_${a.split(':')[0]!}`, a.split(':')[1]!, 'out')).join('')}</method>
</interface></node>`;
const GROUP_XML = `<node><interface name="${AVAHI}.EntryGroup"><method name="Free"/><method name="Commit"/><method name="Reset"/>
<signal name="StateChanged">${arg('state', 'i')}${arg('error', 's')}</signal>
<method name="AddService">${['interface:i', 'protocol:i', 'flags:u', 'name:s', 'type:s', 'domain:s', 'host:s', 'port:q', 'txt:aay'].map((a) => arg(a.split(':')[0]!, a.split(':')[1]!, 'in')).join('')}</method>
</interface></node>`;
const BROWSER_XML = `<node><interface name="${AVAHI}.ServiceBrowser"><method name="Free"/><method name="Start"/>
${['ItemNew', 'ItemRemove'].map((s) => `<signal name="${s}">${arg('interface', 'i')}${arg('protocol', 'i')}${arg('name', 's')}${arg('type', 's')}${arg('domain', 's')}${arg('flags', 'u')}</signal>`).join('')}
</interface></node>`;

// Avahi's entry group states.
const ESTABLISHED = 2;
const COLLISION = 3;
const FAILURE = 4;

type Iface = dbus.ClientInterface;

/** The system bus with avahi-daemon on it, or undefined (no bus, no daemon, or no answer within `ms`). */
export async function connectAvahi(log: Log, ms = 2000): Promise<{ bus: dbus.MessageBus; server: Iface; version: string } | undefined> {
  const address = process.env.DBUS_SYSTEM_BUS_ADDRESS ?? 'unix:path=/run/dbus/system_bus_socket';
  const path = /^unix:path=([^,;]+)/.exec(address)?.[1];
  if (path && !(await stat(path).then((st) => st.isSocket(), () => false))) return undefined;
  let systemBus: typeof dbus.systemBus;
  try {
    systemBus = (await import('dbus-next')).default.systemBus;
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'the dbus-next module did not load, so avahi-daemon cannot be reached: mDNS in process');
    return undefined;
  }
  let bus: dbus.MessageBus | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    bus = systemBus();
    bus.on('error', (err: Error) => log.debug({ err: err.message }, 'system bus error'));
    const found = (async () => {
      const obj = await bus!.getProxyObject(AVAHI, '/', SERVER_XML);
      const server = obj.getInterface(`${AVAHI}.Server2`);
      const version = String(await server.GetVersionString!());
      return { bus: bus!, server, version };
    })();
    const late = new Promise<undefined>((resolve) => { timer = setTimeout(() => resolve(undefined), ms); });
    const got = await Promise.race([found, late]);
    if (!got) throw new Error(`no answer within ${ms} ms`);
    if (!(await sameNetwork())) throw new Error('avahi-daemon runs in another network namespace');
    return got;
  } catch (err) {
    log.debug({ err: (err as Error).message }, 'avahi-daemon is not reachable over D-Bus: mDNS in process');
    try { bus?.disconnect(); } catch { /* never connected */ }
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Whether the daemon (its pid file, when readable) shares our network namespace: the system
 * bus is a file, so a process in a namespace of its own may reach the host's daemon, which
 * would publish on the host's network, not ours. No pid file: assume it does.
 */
export async function sameNetwork(pidFile = '/run/avahi-daemon/pid'): Promise<boolean> {
  const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
  if (!Number.isInteger(pid) || pid <= 0) return true;
  const [theirs, ours] = await Promise.all([readlink(`/proc/${pid}/ns/net`).catch(() => ''), readlink('/proc/self/ns/net').catch(() => '')]);
  return !theirs || !ours || theirs === ours;
}

/** Interface names → Avahi's indexes (the kernel's), from sysfs; absent ones are left out. */
async function indexes(names: string[]): Promise<number[]> {
  const out: number[] = [];
  for (const n of names) {
    const i = Number((await readFile(`/sys/class/net/${n}/ifindex`, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(i) && i > 0) out.push(i);
  }
  return out;
}

export interface AvahiPublication { name(): string; renames(): Array<{ from: string; to: string }>; announced: Promise<void>; stop(): Promise<void> }

/** Publishes `_colony._tcp` (and `_ssh._tcp`) on the named interfaces through the daemon. */
export async function publishThroughAvahi(conn: { bus: dbus.MessageBus; server: Iface }, ann: Announcement, interfaces: string[], log: Log): Promise<AvahiPublication> {
  const path = String(await conn.server.EntryGroupNew!());
  const group = (await conn.bus.getProxyObject(AVAHI, path, GROUP_XML)).getInterface(`${AVAHI}.EntryGroup`);
  const ifs = await indexes(interfaces);
  const txt = txtStrings(ann).map((s) => Buffer.from(s));
  let name = ann.instance;
  const renames: Array<{ from: string; to: string }> = [];
  let done!: () => void;
  const announced = new Promise<void>((r) => { done = r; });
  let step: Promise<void> = Promise.resolve();
  let stopped = false;
  const add = async () => {
    for (const i of ifs) {
      await group.AddService!(i, PROTO_INET, 0, name, '_colony._tcp', '', '', ann.ports.peer ?? ann.ports.ssh ?? 0, txt);
      if (ann.ports.ssh) await group.AddService!(i, PROTO_INET, 0, name, '_ssh._tcp', '', '', ann.ports.ssh, []);
    }
    await group.Commit!();
  };
  group.on('StateChanged', (state: number, error: string) => {
    if (stopped) return;
    if (state === ESTABLISHED) { log.info({ instance: name, via: 'avahi-daemon' }, 'announced on the LAN (mDNS)'); done(); }
    if (state === FAILURE) { log.error({ instance: name, error }, 'avahi-daemon failed to publish'); done(); }
    if (state === COLLISION) {
      step = step.then(async () => {
        if (renames.length >= MAX_RENAMES) { log.error({ instance: name }, 'gave up announcing: every name tried is taken'); done(); return; }
        const from = name;
        name = nextName(name);
        renames.push({ from, to: name });
        log.warn({ from, to: name }, 'the name is taken on the LAN: renamed');
        await group.Reset!();
        await add();
      }).catch((err: Error) => log.error({ err: err.message }, 'avahi-daemon refused a rename'));
    }
  });
  if (ifs.length) await add(); else done();
  return {
    name: () => name,
    renames: () => [...renames],
    announced,
    stop: async () => {
      stopped = true;
      done();
      await step.catch(() => {});
      // Free withdraws the records: the daemon sends their goodbye.
      await Promise.resolve(group.Free!()).catch((err: Error) => log.warn({ err: err.message }, 'avahi-daemon: freeing the entry group failed'));
      log.info({ instance: name, via: 'avahi-daemon' }, 'said goodbye on the LAN (mDNS)');
    },
  };
}

export interface AvahiBrowse { found(): Found[]; stop(): Promise<void> }

/** Browses `_colony._tcp` through the daemon on the named interfaces; resolves each item once. */
export async function browseThroughAvahi(conn: { bus: dbus.MessageBus; server: Iface }, interfaces: string[], onChange: (found: Found[]) => void, log: Log): Promise<AvahiBrowse> {
  const ifs = new Set(await indexes(interfaces));
  const path = String(await conn.server.ServiceBrowserPrepare!(IF_UNSPEC, PROTO_INET, '_colony._tcp', '', 0));
  const browser = (await conn.bus.getProxyObject(AVAHI, path, BROWSER_XML)).getInterface(`${AVAHI}.ServiceBrowser`);
  const items = new Map<string, Found>();
  const MAX_ITEMS = 1024;
  let stopped = false;
  const changed = () => { if (!stopped) onChange(merged()); };
  const merged = (): Found[] => {
    const byName = new Map<string, Found>();
    for (const f of items.values()) {
      const m = byName.get(f.instance);
      if (m) m.addresses = [...new Set([...m.addresses, ...f.addresses])].sort();
      else byName.set(f.instance, { ...f, addresses: [...f.addresses] });
    }
    return [...byName.values()];
  };
  browser.on('ItemNew', (iface: number, proto: number, name: string, type: string, domain: string) => {
    if (stopped || !ifs.has(iface) || items.size >= MAX_ITEMS) return;
    void Promise.resolve(conn.server.ResolveService!(iface, proto, name, type, domain, PROTO_INET, 0)).then((r: unknown[]) => {
      const info = readColonyTxt((r[9] as Buffer[]) ?? []);
      if (!info || stopped) return;
      items.set(`${iface} ${name}`, { instance: name, nodeId: info.nodeId, version: info.version, ports: info.ports, host: String(r[5]), addresses: [String(r[7])] });
      changed();
    }, (err: Error) => log.debug({ err: err.message, instance: name }, 'avahi-daemon could not resolve a found instance'));
  });
  browser.on('ItemRemove', (iface: number, _proto: number, name: string) => {
    if (items.delete(`${iface} ${name}`)) changed();
  });
  await browser.Start!();
  return {
    found: merged,
    stop: async () => {
      stopped = true;
      await Promise.resolve(browser.Free!()).catch(() => {});
    },
  };
}
