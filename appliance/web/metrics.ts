// /metrics in the Prometheus text format (version 0.0.4), as a pure function of a
// NodeStatus and the web server's own counters. Names follow node_exporter's conventions:
// the colony_ prefix, base units in the name (_bytes, _seconds, _celsius), counters end in
// _total, every family has HELP and TYPE. Nothing here names a user or an environment:
// /metrics is as anonymous as the page.
import type { NodeStatus } from './types.js';

/** What the HTTP layer counts itself. */
export interface WebCounters {
  /** Requests by route (/, /panel, /api/status, /metrics, /login, /logout, other). */
  requests: Record<string, number>;
  /** Login attempts by result: ok, failed, refused (locked out or busy). */
  logins: Record<string, number>;
}

const HEALTH_STATES = ['booting', 'ready', 'degraded', 'stopping', 'stopped', 'error'];

type Sample = [labels: Record<string, string>, value: number];

function labelText(labels: Record<string, string>): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

function num(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  return String(v);
}

class Families {
  private readonly out: string[] = [];
  add(name: string, type: 'gauge' | 'counter', help: string, samples: Sample[] | number | null | undefined): void {
    if (samples === null || samples === undefined) return;
    const list: Sample[] = typeof samples === 'number' ? [[{}, samples]] : samples;
    if (list.length === 0) return;
    this.out.push(`# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of list) this.out.push(`${name}${labelText(labels)} ${num(value)}`);
  }
  text(): string { return this.out.join('\n') + '\n'; }
}

export function renderMetrics(s: NodeStatus, web: WebCounters): string {
  const f = new Families();
  f.add('colony_info', 'gauge', 'Always 1; the labels say which node and version.', [[{ node: s.node.id, version: s.node.version }, 1]]);
  f.add('colony_start_time_seconds', 'gauge', 'When the supervisor started, in seconds since the epoch.', Date.parse(s.node.started) / 1000);
  const states = HEALTH_STATES.includes(s.health.state) ? HEALTH_STATES : [...HEALTH_STATES, s.health.state];
  f.add('colony_health_state', 'gauge', 'The health state: 1 for the current one.', states.map((st) => [{ state: st }, st === s.health.state ? 1 : 0]));
  f.add('colony_degraded_reasons', 'gauge', 'How many reasons the node has to be degraded.', s.health.reasons.length);

  const b = s.board;
  f.add('colony_temperature_celsius', 'gauge', 'The hottest thermal zone.', b.temperatureC);
  f.add('colony_memory_total_bytes', 'gauge', 'Memory, total (MemTotal).', b.memory?.totalBytes);
  f.add('colony_memory_available_bytes', 'gauge', 'Memory available (MemAvailable).', b.memory?.availableBytes);
  f.add('colony_load1', 'gauge', 'The one-minute load average.', b.load?.[0]);
  f.add('colony_disk_size_bytes', 'gauge', 'The data filesystem, total.', b.disk?.totalBytes);
  f.add('colony_disk_available_bytes', 'gauge', 'The data filesystem, available to Colony.', b.disk?.availableBytes);
  f.add('colony_disk_reserve_bytes', 'gauge', 'The node is degraded below this much available (sysinfo.diskReserveBytes).', b.reserveBytes);

  const st = s.store;
  f.add('colony_store_blocks', 'gauge', 'Blocks in the store.', st?.blocks);
  f.add('colony_store_data_bytes', 'gauge', "The blocks' bytes.", st?.bytes);
  f.add('colony_store_disk_bytes', 'gauge', 'The arenas on disk.', st?.diskBytes);
  f.add('colony_store_arenas', 'gauge', 'Arena files, sealed and active.', st?.arenas);
  f.add('colony_store_cache_hits_total', 'counter', 'Block reads answered from the RAM cache.', st?.cacheHits);
  f.add('colony_store_cache_misses_total', 'counter', 'Block reads that went to the arenas.', st?.cacheMisses);
  f.add('colony_store_written_blocks_total', 'counter', 'New blocks written to the arenas.', st?.io?.blocksWritten);
  f.add('colony_store_written_bytes_total', 'counter', 'Bytes of new blocks written to the arenas, as stored.', st?.io?.bytesWritten);
  f.add('colony_store_read_blocks_total', 'counter', 'Blocks read from the arenas (cache misses that succeeded).', st?.io?.blocksRead);
  f.add('colony_store_read_bytes_total', 'counter', 'Bytes read from the arenas, as stored.', st?.io?.bytesRead);
  f.add('colony_store_verify_failures_total', 'counter', 'Reads that found a block not matching its score (corrupt on disk).', st?.io?.corruptReads);
  f.add('colony_store_reserve_bytes', 'gauge', 'Free space the store leaves on its disk (store.reserveBytes).', st?.reserveBytes);
  f.add('colony_store_refusing', 'gauge', '1 while the store refuses new blocks because free space is below its reserve.', st ? Number(st.refusing) : undefined);
  f.add('colony_gc_runs_total', 'counter', 'Garbage collections finished since the supervisor started.', s.gc?.runs);
  f.add('colony_gc_freed_bytes_total', 'counter', 'Bytes of arenas garbage collection gave back.', s.gc?.freedBytes);
  f.add('colony_gc_written_bytes_total', 'counter', 'Bytes garbage collection copied forward.', s.gc?.writtenBytes);
  f.add('colony_gc_last_duration_seconds', 'gauge', 'How long the last garbage collection took.', s.gc?.last?.seconds);

  const n = s.ninep;
  f.add('colony_ninep_connections', 'gauge', '9P connections open.', n?.connections);
  f.add('colony_ninep_fids', 'gauge', 'Fids held by 9P clients.', n?.fids);
  f.add('colony_ninep_refused_total', 'counter', '9P connections closed at accept by the connection caps.', n?.refused);
  f.add('colony_ninep_dropped_total', 'counter', '9P connections dropped (timeouts, protocol errors, limits).', n?.dropped);
  if (n?.requests) f.add('colony_ninep_requests_total', 'counter', '9P requests answered, by message type.', Object.entries(n.requests).map(([type, v]) => [{ type }, v]));
  if (n?.errors) f.add('colony_ninep_errors_total', 'counter', '9P requests answered with an error, by message type.', Object.entries(n.errors).map(([type, v]) => [{ type }, v]));

  const kinds: Record<string, number> = { ram: 0, disk: 0 };
  for (const e of s.environments) kinds[e.kind] = (kinds[e.kind] ?? 0) + 1;
  f.add('colony_environments', 'gauge', 'Environments running, by cache kind.', Object.entries(kinds).map(([kind, v]) => [{ kind }, v]));
  f.add('colony_environment_users', 'gauge', 'Users with at least one environment running.', new Set(s.environments.map((e) => e.owner)).size);
  f.add('colony_environment_clients', 'gauge', '9P clients attached to environments.', s.environments.reduce((a, e) => a + e.clients, 0));
  f.add('colony_spawns_total', 'counter', 'Environments seen starting since the supervisor started.', s.counters.spawns);
  f.add('colony_booms_total', 'counter', 'Environments seen ending since the supervisor started.', s.counters.booms);
  f.add('colony_saves_total', 'counter', 'Names registered (saves, here or replicated) since the supervisor started.', s.counters.saves);

  if (s.peers !== null) {
    const byState: Record<string, number> = { connected: 0, unreachable: 0, refused: 0, seen: 0 };
    for (const p of s.peers) byState[p.state] = (byState[p.state] ?? 0) + 1;
    f.add('colony_peers', 'gauge', 'Peers by state.', Object.entries(byState).map(([state, v]) => [{ state }, v]));
    const synced = s.peers.filter((p) => p.sync);
    if (synced.length) {
      f.add('colony_peer_lag_bytes', 'gauge', "A peer's log bytes past our replication cursor.", synced.filter((p) => p.sync!.lagBytes !== undefined).map((p) => [{ peer: p.id }, p.sync!.lagBytes!]));
      f.add('colony_peer_received_bytes_total', 'counter', 'Block bytes replicated from a peer.', synced.map((p) => [{ peer: p.id }, p.sync!.receivedBytes]));
      f.add('colony_peer_received_blocks_total', 'counter', 'Blocks replicated from a peer.', synced.map((p) => [{ peer: p.id }, p.sync!.receivedBlocks]));
    }
  }

  f.add('colony_web_requests_total', 'counter', 'Front panel HTTP requests, by route.', Object.entries(web.requests).map(([route, v]) => [{ route }, v]));
  f.add('colony_web_logins_total', 'counter', 'Front panel login attempts, by result.', Object.entries(web.logins).map(([result, v]) => [{ result }, v]));
  return f.text();
}
