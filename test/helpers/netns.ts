// A private LAN of network namespaces for grid tests and benchmarks: one "switch" namespace
// holding a bridge, and one namespace per node joined to it by a veth pair. Nothing is
// created in the host's own namespace, so no test traffic can leave the namespaces.
//
//   const lan = await createLan(t, ['a', 'b', 'c']);
//   lan.node('a').address;            // '10.213.0.1' (b: .2, c: .3)
//   lan.wrap('a', cmd, args);          // ['ip', ['netns', 'exec', NS, cmd, ...args]]
//   await lan.cut('c'); await lan.heal('c');   // C's cable out of the switch, and back
//
// Namespaces are named after this process's pid (`colony-<pid>-<node>`), so runs side by
// side do not collide, and ones left by a killed run (their pid gone) are removed on the
// next createLan. Requires root and iproute2 (`ip`): `lanUnavailable()` says why not.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Teardown } from './vm.js';

export interface LanNode {
  name: string;
  /** The node's namespace (for `ip netns exec`). */
  ns: string;
  /** Its IPv4 address on the LAN (a /24 that exists only inside the namespaces). */
  address: string;
  /** The veth end inside the switch namespace: down = the node's cable is out. */
  switchPort: string;
}

export interface Lan {
  nodes: LanNode[];
  node(name: string): LanNode;
  /** A command run inside the node's namespace: spawn(cmd, args) of the result. */
  wrap(name: string, cmd: string, args: string[]): [string, string[]];
  /** Runs a command in the node's namespace, synchronously, and returns its stdout. */
  exec(name: string, cmd: string, args: string[]): string;
  /** Unplugs the node from the switch (a partition: it keeps its address). */
  cut(name: string): void;
  heal(name: string): void;
  /** Removes every namespace (also done at teardown); stop the processes in them first. */
  destroy(): void;
}

const SUBNET = '10.213.0';
const PREFIX = 'colony-';

const ip = (args: string[]): string => execFileSync('ip', args, { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'] });

/** Why namespaces cannot be made here, or undefined when they can. */
export function lanUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'network namespaces need root';
  if (!['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'].some((p) => existsSync(p))) return 'iproute2 (ip) is not installed: apt-get install iproute2';
  try {
    const probe = `${PREFIX}${process.pid}-probe`;
    ip(['netns', 'add', probe]);
    ip(['netns', 'del', probe]);
  } catch (err) {
    return `cannot create a network namespace: ${(err as Error).message.split('\n')[0]}`;
  }
  return undefined;
}

function pidAlive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (err) { return (err as NodeJS.ErrnoException).code === 'EPERM'; }
}

/** Deletes namespaces left by runs whose process is gone (never another live run's). */
function removeStale(): void {
  let names: string[];
  try { names = ip(['netns', 'list']).split('\n').map((l) => l.split(' ')[0] ?? '').filter(Boolean); } catch { return; }
  for (const name of names) {
    const m = /^colony-(\d+)-/.exec(name);
    if (m && !pidAlive(Number(m[1]))) { try { ip(['netns', 'del', name]); } catch { /* already gone */ } }
  }
}

/**
 * Creates the switch and one namespace per name (at most 200), each with `lo` up and one
 * interface `eth0` at 10.213.0.<index+1>/24. Everything is removed at `t`'s teardown.
 */
export async function createLan(t: Teardown, names: string[]): Promise<Lan> {
  if (names.length === 0 || names.length > 200) throw new Error(`a LAN of ${names.length} nodes`);
  if (new Set(names).size !== names.length || names.some((n) => !/^[a-z0-9]{1,8}$/.test(n))) throw new Error(`node names must be distinct, [a-z0-9]{1,8}: ${names.join(' ')}`);
  removeStale();
  const tag = `${PREFIX}${process.pid}`;
  const sw = `${tag}-sw`;
  const made: string[] = [];
  const destroy = () => {
    for (const ns of made.splice(0).reverse()) { try { ip(['netns', 'del', ns]); } catch { /* gone */ } }
  };
  t.teardown(destroy);
  ip(['netns', 'add', sw]);
  made.push(sw);
  ip(['-n', sw, 'link', 'set', 'lo', 'up']);
  ip(['-n', sw, 'link', 'add', 'br0', 'type', 'bridge']);
  ip(['-n', sw, 'link', 'set', 'br0', 'up']);
  const nodes: LanNode[] = names.map((name, i) => {
    const ns = `${tag}-${name}`;
    ip(['netns', 'add', ns]);
    made.push(ns);
    const switchPort = `p${i}`;
    // Both ends are born inside their namespaces: the host's namespace never holds one.
    ip(['-n', sw, 'link', 'add', switchPort, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    ip(['-n', sw, 'link', 'set', switchPort, 'master', 'br0', 'up']);
    ip(['-n', ns, 'link', 'set', 'lo', 'up']);
    ip(['-n', ns, 'addr', 'add', `${SUBNET}.${i + 1}/24`, 'dev', 'eth0']);
    ip(['-n', ns, 'link', 'set', 'eth0', 'up']);
    return { name, ns, address: `${SUBNET}.${i + 1}`, switchPort };
  });
  const node = (name: string): LanNode => {
    const n = nodes.find((x) => x.name === name);
    if (!n) throw new Error(`no node ${name} on this LAN`);
    return n;
  };
  const wrap = (name: string, cmd: string, args: string[]): [string, string[]] => ['ip', ['netns', 'exec', node(name).ns, cmd, ...args]];
  return {
    nodes,
    node,
    wrap,
    exec: (name, cmd, args) => execFileSync(...wrap(name, cmd, args), { encoding: 'utf8', timeout: 120_000, stdio: ['ignore', 'pipe', 'pipe'] }),
    cut: (name) => { ip(['-n', sw, 'link', 'set', node(name).switchPort, 'down']); },
    heal: (name) => { ip(['-n', sw, 'link', 'set', node(name).switchPort, 'up']); },
    destroy,
  };
}
