// The multicast sockets: one multicast-dns instance per chosen interface, bound to
// 0.0.0.0:5353 with the interface's address for its group membership and for sending
// (bound to the unicast address, Linux delivers it no multicast). Which interfaces is pure.
import type { NetworkInterfaceInfo } from 'node:os';
import makeMdns from 'multicast-dns';
import type { Log } from '../log.js';
import type { Ask, Rec } from './records.js';

export interface ChosenInterface { name: string; address: string }

/**
 * Pure: the IPv4 interfaces to announce on. `wanted` empty: every interface except the
 * loopback; otherwise exactly those named (the loopback too, if named). An interface named
 * but absent is reported, never replaced by another. Only interfaces whose address passes
 * `reachable` (a listener covers it) are kept.
 */
export function pickInterfaces(all: NodeJS.Dict<NetworkInterfaceInfo[]>, wanted: string[], reachable: (address: string) => boolean = () => true): { chosen: ChosenInterface[]; absent: string[] } {
  const chosen: ChosenInterface[] = [];
  for (const [name, infos] of Object.entries(all)) {
    const v4 = (infos ?? []).find((i) => i.family === 'IPv4');
    if (!v4) continue;
    if ((wanted.length ? wanted.includes(name) : !v4.internal) && reachable(v4.address)) chosen.push({ name, address: v4.address });
  }
  const absent = wanted.filter((w) => !(all[w] ?? []).some((i) => i.family === 'IPv4'));
  return { chosen: chosen.sort((a, b) => a.name.localeCompare(b.name)), absent };
}

/** The part of a multicast-dns instance used here, with packets typed as records.ts's loose shapes. */
export interface Mdns {
  query(packet: { questions: Ask[]; authorities?: Rec[] }, cb?: () => void): void;
  respond(packet: { answers: Rec[]; additionals?: Rec[] }, cb?: () => void): void;
  on(event: string, listener: (...args: any[]) => void): unknown; // eslint-disable-line @typescript-eslint/no-explicit-any
  once(event: string, listener: (...args: any[]) => void): unknown; // eslint-disable-line @typescript-eslint/no-explicit-any
  destroy(cb?: () => void): void;
}

/** Opens one socket per interface; resolves once all are bound (or rejects with the first error, closing the others). */
export async function openSockets(chosen: ChosenInterface[], log: Log, port = 5353): Promise<Mdns[]> {
  const out: Mdns[] = [];
  try {
    for (const c of chosen) {
      const m = makeMdns({ interface: c.address, bind: '0.0.0.0', port, reuseAddr: true, loopback: true }) as unknown as Mdns;
      out.push(m);
      m.on('warning', (err: Error) => log.debug({ err: err.message, interface: c.name }, 'mdns warning'));
      await new Promise<void>((resolve, reject) => { m.once('ready', resolve); m.once('error', reject); });
      m.on('error', (err: Error) => log.warn({ err: err.message, interface: c.name }, 'mdns socket error'));
    }
  } catch (err) {
    await closeSockets(out);
    throw err;
  }
  return out;
}

export async function closeSockets(sockets: Mdns[]): Promise<void> {
  await Promise.all(sockets.map((m) => new Promise<void>((resolve) => m.destroy(() => resolve()))));
}

/** Sends through every socket and waits until the datagrams have left. */
export function sendAll(sockets: Mdns[], send: (m: Mdns, done: () => void) => void): Promise<void> {
  return Promise.all(sockets.map((m) => new Promise<void>((resolve) => send(m, resolve)))).then(() => {});
}
