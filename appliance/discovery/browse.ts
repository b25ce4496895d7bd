// Pure: what browsing `_colony._tcp` has learnt (a cache of the records heard, with their
// TTLs, RFC 6762 §10) and what the peer layer should do with it (dial a paired node at the
// addresses it announces; list an unpaired one as seen). Time comes in as `now`.
import { COLONY_TYPE, readColonyTxt, type Ports, type Rec } from './records.js';

/** One appliance found on the LAN. */
export interface Found {
  /** The instance name as announced (`colony-3kfq9x (2)`). */
  instance: string;
  nodeId: string;
  version: string;
  ports: Ports;
  /** `colony-3kfq9x.local` */
  host: string;
  addresses: string[];
}

interface Held<T> { value: T; expires: number; received: number }

/** Records kept at most: a LAN that announces more is cut, not followed into memory. */
export const MAX_RECORDS = 4096;

export class BrowseCache {
  private readonly records = new Map<string, Held<Rec>[]>();
  private count = 0;

  /** Takes a response's records. TTL 0 removes the record (a goodbye); the cache-flush bit drops older copies. */
  apply(records: Rec[], now: number): void {
    for (const r of records) {
      if (!['PTR', 'SRV', 'TXT', 'A'].includes(r.type)) continue;
      const key = `${r.type} ${r.name.toLowerCase()}`;
      let list = this.records.get(key) ?? [];
      const before = list.length;
      const ttl = (r as { ttl?: number }).ttl ?? 0;
      const data = JSON.stringify(norm(r));
      // RFC 6762 §10.2: a flush keeps only what arrived in the last second. A goodbye (TTL 0)
      // removes its own record only, never another host's for the same name.
      if ((r as { flush?: boolean }).flush && ttl > 0) list = list.filter((h) => now - h.received < 1000);
      list = list.filter((h) => JSON.stringify(norm(h.value)) !== data);
      if (ttl > 0 && this.count < MAX_RECORDS) list.push({ value: r, expires: now + ttl * 1000, received: now });
      this.count += list.length - before;
      if (list.length) this.records.set(key, list); else this.records.delete(key);
    }
  }

  /** Drops expired records; answers how many are left. */
  expire(now: number): number {
    for (const [key, list] of this.records) {
      const kept = list.filter((h) => h.expires > now);
      this.count -= list.length - kept.length;
      if (kept.length) this.records.set(key, kept); else this.records.delete(key);
    }
    return this.count;
  }

  /** The unexpired records of a name and type, newest first (after a rename the live one wins). */
  private get(type: string, name: string, now: number): Rec[] {
    return (this.records.get(`${type} ${name.toLowerCase()}`) ?? []).filter((h) => h.expires > now).sort((x, y) => y.received - x.received).map((h) => h.value);
  }

  /** The Colony appliances whose PTR, SRV and TXT (and any A) are held and unexpired. */
  found(now: number): Found[] {
    const out: Found[] = [];
    for (const ptr of this.get('PTR', COLONY_TYPE, now)) {
      const fqdn = String(ptr.data);
      const srv = this.get('SRV', fqdn, now)[0];
      const txt = this.get('TXT', fqdn, now)[0];
      const info = txt ? readColonyTxt(txt.data) : undefined;
      if (!srv || !info) continue;
      const host = (srv.data as { target: string }).target;
      const addresses = [...new Set(this.get('A', host, now).map((a) => String(a.data)))].sort();
      out.push({ instance: labelOf(fqdn), nodeId: info.nodeId, version: info.version, ports: info.ports, host, addresses });
    }
    return out;
  }

  /** Instances whose PTR is held but whose SRV, TXT or address is missing: what to ask for. */
  missing(now: number): Array<{ name: string; type: 'SRV' | 'TXT' | 'A' }> {
    const asks: Array<{ name: string; type: 'SRV' | 'TXT' | 'A' }> = [];
    for (const ptr of this.get('PTR', COLONY_TYPE, now)) {
      const fqdn = String(ptr.data);
      const srv = this.get('SRV', fqdn, now)[0];
      if (!srv) asks.push({ name: fqdn, type: 'SRV' });
      else if (this.get('A', (srv.data as { target: string }).target, now).length === 0) asks.push({ name: (srv.data as { target: string }).target, type: 'A' });
      if (this.get('TXT', fqdn, now).length === 0) asks.push({ name: fqdn, type: 'TXT' });
    }
    return asks.slice(0, 32);
  }
}

const norm = (r: Rec) => ({ t: r.type, n: r.name.toLowerCase(), d: r.type === 'TXT' ? txtKey(r.data) : r.data });
const txtKey = (d: unknown) => (Array.isArray(d) ? d : [d]).map((x) => (Buffer.isBuffer(x) ? x.toString('utf8') : String(x)));

/** `colony-x (2)._colony._tcp.local` → `colony-x (2)`. */
export function labelOf(fqdn: string): string {
  const suffix = `.${COLONY_TYPE}`;
  return fqdn.toLowerCase().endsWith(suffix) ? fqdn.slice(0, -suffix.length) : fqdn;
}

export interface DialPlan {
  /** Paired nodes and the multiaddrs they announce (their peer port on each address). */
  dial: Array<{ id: string; addresses: string[] }>;
  /** Unpaired nodes: shown by `peers` as seen, with a hint to pair them. */
  seen: Array<{ id: string; instance: string; addresses: string[] }>;
}

/**
 * What to do with the found nodes: skip this node; dial a member at each address it
 * announces on its peer port (one announcing no peer port cannot be dialled); list the
 * others as seen. A node found under two names (a rename) is one entry with both addresses.
 */
export function planDials(found: Found[], self: string, isMember: (id: string) => boolean): DialPlan {
  const dial = new Map<string, Set<string>>();
  const seen = new Map<string, { instance: string; addresses: Set<string> }>();
  for (const f of found) {
    if (f.nodeId === self) continue;
    if (isMember(f.nodeId)) {
      if (!f.ports.peer || f.addresses.length === 0) continue;
      const set = dial.get(f.nodeId) ?? new Set<string>();
      for (const a of f.addresses) set.add(`/ip4/${a}/tcp/${f.ports.peer}`);
      dial.set(f.nodeId, set);
    } else {
      const s = seen.get(f.nodeId) ?? { instance: f.instance, addresses: new Set<string>() };
      for (const a of f.addresses) s.addresses.add(a);
      seen.set(f.nodeId, s);
    }
  }
  return {
    dial: [...dial].sort(([a], [b]) => a.localeCompare(b)).map(([id, s]) => ({ id, addresses: [...s].sort() })),
    seen: [...seen].sort(([a], [b]) => a.localeCompare(b)).map(([id, s]) => ({ id, instance: s.instance, addresses: [...s.addresses].sort() })),
  };
}
