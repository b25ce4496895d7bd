// Pure: what the supervisor's listeners mean for discovery — the ports to put in the TXT
// record, and the interfaces worth announcing on (those a listener covers: a node whose
// peer port listens on 127.0.0.1 only has nothing to offer the LAN).
import type { Ports } from './records.js';

const portOf = (hostPort: string | undefined): number | undefined => {
  const p = hostPort === undefined ? NaN : Number(hostPort.split(':').pop());
  return Number.isInteger(p) && p > 0 && p < 65536 ? p : undefined;
};

/** The ports: peer from the libp2p multiaddrs (`/ip4/…/tcp/P/…`), 9P and SSH from host:port. */
export function listenerPorts(l: { peer: string[]; ninep: string[]; ssh?: string }): Ports {
  const out: Ports = {};
  const peer = l.peer.map((a) => /\/tcp\/(\d+)/.exec(a)?.[1]).find((p) => p !== undefined);
  if (peer && Number(peer) > 0) out.peer = Number(peer);
  const ninep = l.ninep.map(portOf).find((p) => p !== undefined);
  if (ninep) out.ninep = ninep;
  const ssh = portOf(l.ssh);
  if (ssh) out.ssh = ssh;
  return out;
}

/** Whether an interface address is reached by one of the `host:port` listeners (0.0.0.0 reaches all). */
export function reachableFrom(listen: string[]): (address: string) => boolean {
  const hosts = new Set(listen.map((a) => a.slice(0, a.lastIndexOf(':'))));
  return (address) => hosts.has('0.0.0.0') || hosts.has('[::]') || hosts.has(address);
}
