// Pure: the DNS-SD records one appliance announces (RFC 6763), their TXT keys, the rename
// rule for a name conflict (RFC 6762 §9) and what answers a query. No sockets here, so every
// rule is tested as data.
import { invalid } from '../errors.js';

/** A resource record as multicast-dns encodes and decodes it (dns-packet's shape, loosely typed). */
export interface Rec { name: string; type: string; ttl?: number; flush?: boolean; class?: string; data?: any } // eslint-disable-line @typescript-eslint/no-explicit-any
/** A question: a name and a record type (`ANY` for all). */
export interface Ask { name: string; type: string }

export const COLONY_TYPE = '_colony._tcp.local';
export const SSH_TYPE = '_ssh._tcp.local';
/** RFC 6763 §9: browsers that enumerate service types ask this name. */
export const TYPES_NAME = '_services._dns-sd._udp.local';
/** RFC 6762 §10: host records live 120 s, the others 75 minutes. */
export const HOST_TTL = 120;
export const OTHER_TTL = 4500;
/** RFC 6763 §6.2: keep the whole TXT record well under this many bytes. */
export const MAX_TXT_BYTES = 400;

export interface Ports { peer?: number; ninep?: number; ssh?: number }

/** What one appliance says about itself. */
export interface Announcement {
  /** The instance name: a single DNS label, no dots (`colony-3kfq9x`). */
  instance: string;
  /** The host name without `.local` (`colony-3kfq9x`): derived from the node id, so unique. */
  host: string;
  /** IPv4 addresses on the chosen interfaces (the A records). */
  addresses: string[];
  nodeId: string;
  version: string;
  ports: Ports;
}

/** `colony-` and the node id's last six characters, lower case: the default name. */
export const defaultName = (nodeId: string): string => `colony-${nodeId.slice(-6).toLowerCase()}`;

/** Checks an operator's instance name: one DNS label (1..63 bytes), printable, no dot. */
export function checkInstanceName(name: string): string {
  if (!name || Buffer.byteLength(name) > 63 || name.includes('.') || /[\x00-\x1f\x7f]/.test(name)) {
    throw invalid(`'${name}' is not an instance name (1 to 63 bytes, no dot, no control character)`);
  }
  return name;
}

/**
 * RFC 6762 §9 / RFC 6763 §4.1 as Bonjour does it: `name` → `name (2)` → `name (3)`; the base
 * is cut so that the label stays within 63 bytes.
 */
export function nextName(name: string): string {
  const m = /^(.*) \((\d+)\)$/.exec(name);
  const base = m ? m[1]! : name;
  const n = m ? Number(m[2]) + 1 : 2;
  const suffix = ` (${n})`;
  let cut = base;
  while (Buffer.byteLength(cut + suffix) > 63) cut = cut.slice(0, -1);
  return cut + suffix;
}

/** The TXT strings: `txtvers=1` first (RFC 6763 §6.7), short keys, absent ports left out. */
export function txtStrings(a: Pick<Announcement, 'nodeId' | 'version' | 'ports'>): string[] {
  const out = ['txtvers=1', `id=${a.nodeId}`, `v=${a.version}`];
  if (a.ports.peer) out.push(`peer=${a.ports.peer}`);
  if (a.ports.ninep) out.push(`9p=${a.ports.ninep}`);
  if (a.ports.ssh) out.push(`ssh=${a.ports.ssh}`);
  const bytes = out.reduce((n, s) => n + 1 + Buffer.byteLength(s), 0);
  if (bytes >= MAX_TXT_BYTES || out.some((s) => Buffer.byteLength(s) > 255)) throw invalid(`the TXT record would be ${bytes} bytes (at most ${MAX_TXT_BYTES - 1})`);
  return out;
}

/** A TXT record's strings as key → value (RFC 6763 §6.4: the first of a key wins; keys fold case). */
export function parseTxt(data: unknown): Map<string, string> {
  const items = Array.isArray(data) ? data : [data];
  const out = new Map<string, string>();
  for (const item of items) {
    const s = Buffer.isBuffer(item) ? item.toString('utf8') : typeof item === 'string' ? item : '';
    if (!s) continue;
    const at = s.indexOf('=');
    const key = (at < 0 ? s : s.slice(0, at)).toLowerCase();
    if (key && !out.has(key)) out.set(key, at < 0 ? '' : s.slice(at + 1));
  }
  return out;
}

const port = (v: string | undefined): number | undefined => (v !== undefined && /^\d{1,5}$/.test(v) && Number(v) > 0 && Number(v) < 65536 ? Number(v) : undefined);

/** A Colony TXT record read back, or undefined when it is not one (wrong txtvers, no id). */
export function readColonyTxt(data: unknown): { nodeId: string; version: string; ports: Ports } | undefined {
  const kv = parseTxt(data);
  const id = kv.get('id');
  if (kv.get('txtvers') !== '1' || !id || !/^[1-9A-HJ-NP-Za-km-z]{20,100}$/.test(id)) return undefined;
  const ports: Ports = {};
  const p = port(kv.get('peer')); if (p) ports.peer = p;
  const n = port(kv.get('9p')); if (n) ports.ninep = n;
  const s = port(kv.get('ssh')); if (s) ports.ssh = s;
  return { nodeId: id, version: kv.get('v') ?? '', ports };
}

export const instanceFqdn = (instance: string, type = COLONY_TYPE): string => `${instance}.${type}`;
export const hostFqdn = (host: string): string => `${host}.local`;

/**
 * Every record of the announcement, with `ttl` (0: the goodbye, RFC 6762 §10.1). Unique
 * records (SRV, TXT, A) carry the cache-flush bit; shared ones (PTR) do not.
 */
export function recordsOf(a: Announcement, goodbye = false): Rec[] {
  const t = (ttl: number) => (goodbye ? 0 : ttl);
  const host = hostFqdn(a.host);
  const colony = instanceFqdn(a.instance);
  const out: Rec[] = [
    { name: COLONY_TYPE, type: 'PTR', ttl: t(OTHER_TTL), data: colony },
    { name: colony, type: 'SRV', ttl: t(HOST_TTL), flush: true, data: { priority: 0, weight: 0, port: a.ports.peer ?? a.ports.ssh ?? 0, target: host } },
    { name: colony, type: 'TXT', ttl: t(OTHER_TTL), flush: true, data: txtStrings(a) },
    { name: TYPES_NAME, type: 'PTR', ttl: t(OTHER_TTL), data: COLONY_TYPE },
  ];
  if (a.ports.ssh) {
    const ssh = instanceFqdn(a.instance, SSH_TYPE);
    out.push(
      { name: SSH_TYPE, type: 'PTR', ttl: t(OTHER_TTL), data: ssh },
      { name: ssh, type: 'SRV', ttl: t(HOST_TTL), flush: true, data: { priority: 0, weight: 0, port: a.ports.ssh, target: host } },
      { name: ssh, type: 'TXT', ttl: t(OTHER_TTL), flush: true, data: [''] },
      { name: TYPES_NAME, type: 'PTR', ttl: t(OTHER_TTL), data: SSH_TYPE },
    );
  }
  for (const address of a.addresses) out.push({ name: host, type: 'A', ttl: t(HOST_TTL), flush: true, data: address });
  return out;
}

const same = (x: string, y: string) => x.toLowerCase() === y.toLowerCase();

/** RFC 6762 §6: the records that answer `q` (by name, and type or ANY), with their additionals (§12, RFC 6763 §12). */
export function answer(records: Rec[], questions: Ask[]): { answers: Rec[]; additionals: Rec[] } {
  const answers = records.filter((r) => questions.some((q) => same(q.name, r.name) && (q.type === 'ANY' || q.type === r.type)));
  const extra = new Set<string>();
  for (const r of answers) {
    if (r.type === 'PTR' && !same(r.name, TYPES_NAME)) extra.add(String(r.data).toLowerCase());
    if (r.type === 'SRV') extra.add(String((r.data as { target: string }).target).toLowerCase());
  }
  for (const r of answers) if (r.type === 'PTR' && !same(r.name, TYPES_NAME)) extra.add(hostOf(records, String(r.data)));
  const additionals = records.filter((r) => !answers.includes(r) && extra.has(r.name.toLowerCase()) && r.type !== 'PTR');
  return { answers, additionals };
}

function hostOf(records: Rec[], instance: string): string {
  const srv = records.find((r) => r.type === 'SRV' && same(r.name, instance));
  return srv ? String((srv.data as { target: string }).target).toLowerCase() : '';
}

/** The names this node claims alone (probed, and defended): the instances' SRV/TXT owners. */
export const uniqueNames = (a: Announcement): string[] => [instanceFqdn(a.instance), ...(a.ports.ssh ? [instanceFqdn(a.instance, SSH_TYPE)] : [])].map((n) => n.toLowerCase());

/** A record's data as a string that compares equal exactly when the rdata is the same. */
export function rdataKey(r: Rec): string {
  const d = r.data as unknown;
  if (r.type === 'TXT') return (Array.isArray(d) ? d : [d]).map((x) => (Buffer.isBuffer(x) ? x.toString('utf8') : String(x))).join('\0');
  if (r.type === 'SRV') { const s = d as { priority?: number; weight?: number; port: number; target: string }; return `${s.priority ?? 0} ${s.weight ?? 0} ${s.port} ${s.target.toLowerCase()}`; }
  return String(d);
}

/**
 * RFC 6762 §9: another host's record for one of our unique names with different data is a
 * conflict. A record equal to ours (our own packet looped back, or an identical copy) is not.
 */
export function conflicts(ours: Rec[], a: Announcement, theirs: Rec[]): boolean {
  const names = new Set(uniqueNames(a));
  return theirs.some((r) => {
    if (!names.has(r.name.toLowerCase()) || (r.type !== 'SRV' && r.type !== 'TXT')) return false;
    return !ours.some((o) => o.type === r.type && same(o.name, r.name) && rdataKey(o) === rdataKey(r));
  });
}

/**
 * RFC 6762 §8.2, simultaneous probes: both hosts compare their proposed records for the name
 * (sorted, as strings); the one whose data is lexicographically earlier loses and probes
 * again a second later. Equal data (our own probe looped back) loses nothing.
 */
export function probeLoses(ours: Rec[], theirs: Rec[], name: string): boolean {
  const pick = (rs: Rec[]) => rs.filter((r) => same(r.name, name) && (r.type === 'SRV' || r.type === 'TXT')).map((r) => `${r.type} ${rdataKey(r)}`).sort();
  const x = pick(ours);
  const y = pick(theirs);
  if (y.length === 0) return false;
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i]! < y[i]!) return true;
    if (x[i]! > y[i]!) return false;
  }
  return x.length < y.length;
}
