// /metrics as data: every family has HELP and TYPE, counters end in _total and others do
// not, the values are the status's, and no user or environment name appears.
import t from 'tap';
import { renderMetrics } from '../../../appliance/web/index.js';
import { SECRET_WORDS, fixtureStatus } from './fixture.js';

const web = { requests: { '/': 2, '/metrics': 1 }, logins: { ok: 1, failed: 2, refused: 0 } };

function families(text: string): Map<string, { type: string; help: string; samples: string[] }> {
  const out = new Map<string, { type: string; help: string; samples: string[] }>();
  for (const line of text.trimEnd().split('\n')) {
    const help = /^# HELP (\S+) (.+)$/.exec(line);
    if (help) { out.set(help[1]!, { type: '', help: help[2]!, samples: [] }); continue; }
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) { out.get(type[1]!)!.type = type[2]!; continue; }
    const name = /^([a-z_0-9]+)/.exec(line)![1]!;
    out.get(name)!.samples.push(line);
  }
  return out;
}

t.test('families are well formed and carry the status', async (t) => {
  const text = renderMetrics(fixtureStatus(), web);
  const f = families(text);
  for (const [name, fam] of f) {
    t.ok(name.startsWith('colony_'), `${name} has the prefix`);
    t.ok(fam.help.length > 0 && fam.type, `${name} has HELP and TYPE`);
    t.equal(fam.type === 'counter', name.endsWith('_total'), `${name}: _total exactly on counters`);
    t.ok(fam.samples.length > 0, `${name} has samples`);
  }
  t.match(text, /^colony_health_state\{state="degraded"\} 1$/m);
  t.match(text, /^colony_health_state\{state="ready"\} 0$/m);
  t.match(text, /^colony_temperature_celsius 83\.2$/m);
  t.match(text, /^colony_store_blocks 1234$/m);
  t.match(text, /^colony_store_data_bytes 83886080$/m);
  t.match(text, /^colony_disk_reserve_bytes 1073741824$/m);
  t.match(text, /^colony_environments\{kind="ram"\} 2$/m);
  t.match(text, /^colony_environments\{kind="disk"\} 1$/m);
  t.match(text, /^colony_spawns_total 3$/m);
  t.match(text, /^colony_peers\{state="connected"\} 1$/m);
  t.match(text, /^colony_peer_lag_bytes\{peer="12D3KooWPeerOne"\} 4096$/m);
  t.match(text, /^colony_ninep_dropped_total 1$/m);
  t.match(text, /^colony_web_logins_total\{result="failed"\} 2$/m);
  t.match(text, /^colony_start_time_seconds 1796558400$/m);
  t.match(text, /^colony_store_reserve_bytes 268435456$/m);
  t.match(text, /^colony_store_refusing 0$/m);
  t.match(text, /^colony_gc_runs_total 2$/m);
  t.match(text, /^colony_ninep_requests_total\{type="Tread"\} 40$/m);
  t.match(text, /^colony_ninep_errors_total\{type="Twalk"\} 2$/m);
  t.match(text, /^colony_store_written_blocks_total 5$/m);
  t.match(text, /^colony_store_read_bytes_total 9000$/m);
  t.match(text, /^colony_store_verify_failures_total 1$/m);
  t.match(text, /^colony_gc_freed_bytes_total 3221225472$/m);
  t.match(text, /^colony_gc_written_bytes_total 1073741824$/m);
  t.match(text, /^colony_gc_last_duration_seconds 12\.5$/m);
  for (const word of SECRET_WORDS.filter((w) => !w.startsWith('12D3'))) t.notOk(text.includes(word), `no ${word}`);
});

t.test('absent facts leave their families out; labels are escaped', async (t) => {
  const s = fixtureStatus({ peers: null, store: null, ninep: null, health: { state: 'we"ird\\', reasons: [] } });
  s.board.temperatureC = null;
  const text = renderMetrics(s, { requests: {}, logins: {} });
  t.notMatch(text, /colony_temperature_celsius|colony_store_|colony_peers|colony_ninep_|colony_web_/);
  t.match(text, /^colony_health_state\{state="we\\"ird\\\\"\} 1$/m);
});
