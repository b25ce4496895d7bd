// How the console shows what the grid answers: plain text, one line per thing, no colour.
import type { NameRecord } from '../catalog/index.js';
import { pendingText, type BoomResult, type EnvironmentInfo, type InviteResult, type PendingName, type SpawnResult } from '../grid/index.js';
import { formatScore } from '../store/index.js';

export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
}

export function duration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, '0')}h`;
}

const short = (root: string) => `${root.slice(0, 15)}…`;

export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => { widths[i] = Math.max(widths[i] ?? 0, c.length); });
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

/** The names, then (apart, and not spawnable yet) the names whose blocks are still arriving. */
export function scoresText(list: NameRecord[], pending: PendingName[] = []): string {
  const shown = list.length ? table([
    ['NAME', 'CREATED', 'ROOT', 'COMMENT'],
    ...list.map((r) => [`${r.owner}/${r.name}`, r.created.slice(0, 19).replace('T', ' '), short(formatScore(r.root)), r.comment]),
  ]) : 'no names';
  if (!pending.length) return shown;
  return `${shown}

${table([
    ['PENDING', 'CREATED', 'ROOT', 'BLOCKS'],
    ...pending.map(({ record: r, progress }) => [`${r.owner}/${r.name}`, r.created.slice(0, 19).replace('T', ' '), short(formatScore(r.root)), pendingText(progress)]),
  ])}`;
}

/** `cpu` (when this node runs processes) goes beside `mount`: the two ways into the new environment. */
export function spawnText(r: SpawnResult, cpu?: string): string {
  const e = r.env;
  return [
    `spawned ${e.name} (${e.kind} cache, ${bytes(e.cache.size)}) from ${e.base.owner}/${e.base.name} ${short(e.base.root)}`,
    `aname: ${r.aname}`,
    `mount: ${r.mount}`,
    ...(cpu !== undefined ? [`cpu: ${cpu}`] : []),
  ].join('\n');
}

/** The host the mount line names (the grid's `host`, `HOST` by default), so the cpu line names the same. */
export function mountHost(mount: string): string {
  return / (\S+) \S+$/.exec(mount)?.[1] ?? 'HOST';
}

export function saveText(env: string, r: NameRecord): string {
  return `saved ${env} as ${r.owner}/${r.name} (${formatScore(r.root)}); ${env} keeps running on it`;
}

export function inviteText(user: string, env: string, r: InviteResult): string {
  const how = r.via === 'passwd'
    ? `added to /etc/passwd as uid ${r.uid}, in group ${r.sysGroup}`
    : "recorded in the snapshot's metadata (the tree has no /etc/passwd and /etc/group)";
  return `invited ${user} into ${env}: ${how}; saved as ${r.record.owner}/${r.record.name}, which only ${user} sees`;
}

export function boomText(r: BoomResult): string {
  const head = r.owner ? `boomed ${r.owner}'s ${r.name}; ${r.owner} sees the reason in status` : `boomed ${r.name}`;
  return r.warning ? `${head}\nwarning: ${r.warning}` : head;
}

export function statusText(list: EnvironmentInfo[]): string {
  if (!list.length) return 'no environments running';
  const rows = [['ENV', 'OWNER', 'BASE', 'CACHE', 'USE', 'DIRTY', 'CLIENTS', 'UPTIME', 'ANAME']];
  for (const e of list) {
    rows.push([
      e.name, e.owner, `${e.base.owner}/${e.base.name}${e.unsaved ? '*' : ''}`, e.kind, `${bytes(e.cache.used)}/${bytes(e.cache.size)}`,
      bytes(e.dirtyBytes), String(e.clients), duration(e.uptimeMs), e.aname ?? '-',
    ]);
  }
  const mine = list.filter((e) => e.mount);
  const lines = [table(rows)];
  if (list.some((e) => e.unsaved)) lines.push('(* unsaved changes)');
  for (const e of mine) lines.push(`${e.name}: ${e.mount}`);
  return lines.join('\n');
}
