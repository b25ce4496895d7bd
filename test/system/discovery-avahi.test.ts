// One responder per host (issue 14): with avahi-daemon running in the appliance's own
// namespace, `colony serve` publishes and browses through it over D-Bus and opens nothing on
// 5353 itself; python3-zeroconf on another node sees the appliance with its TXT keys, and
// the daemon's goodbye when it stops cleanly.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';
import { startSupervisor } from '../helpers/colony-server.js';
import { createLan, lanUnavailable } from '../helpers/netns.js';
import { tmpDir } from '../helpers/tmp.js';
import { avahiScript, daemonPids, zeroconfClient } from './fixtures/discovery-clients.js';

const skip = lanUnavailable();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 30_000): Promise<T> {
  for (let i = 0; i < timeoutMs / 50; i++) { const v = probe(); if (v) return v; await sleep(50); }
  throw new Error(`${what}: not within ${timeoutMs} ms`);
}

t.test('avahi-daemon in the appliance\'s namespace: Colony publishes through it, alone on 5353', { skip }, async (t) => {
  execFileSync('scripts/ensure-apt.sh', ['avahi-daemon', 'avahi-utils', 'python3-zeroconf', 'dbus'], { stdio: 'inherit', timeout: 600_000 });
  const scratch = await tmpDir(t, 'colony-discovery-avahi-');
  const lan = await createLan(t, ['a', 'y']);
  const zc = await zeroconfClient(t, lan, 'y');
  const dir = join(scratch, 'avahi-a');
  const script = await avahiScript(dir);
  // Registered before the supervisor's teardown, so it runs after it: the daemons go last.
  t.teardown(async () => { for (const pid of await daemonPids(dir)) { try { process.kill(pid, 'SIGTERM'); } catch { /* gone */ } } });
  const a = await startSupervisor(t, {
    netns: { wrap: (cmd, args) => lan.wrap('a', 'unshare', ['-m', 'sh', script, cmd, ...args]) },
    peerListen: `${lan.node('a').address}:17034`, snapshot: 'seeda',
  });
  t.equal((await daemonPids(dir)).length, 2, 'dbus and avahi-daemon run in A\'s namespace');
  const node = await a.ctl('node');
  const name = /^lan name (\S+) on eth0 \(through avahi-daemon\)$/m.exec(node)?.[1];
  t.ok(name, `node says Colony publishes through avahi-daemon (${name})`);

  const owners = lan.exec('a', 'ss', ['-Hulpn', 'sport = :5353']).trim().split('\n').filter(Boolean);
  t.ok(owners.length > 0 && owners.every((l) => /"avahi-daemon"/.test(l)), `only avahi-daemon listens on 5353 in A's namespace:\n${owners.join('\n')}`);
  t.notMatch(owners.join('\n'), /"node"/, 'the supervisor opened no mDNS socket');

  const seen = await until('zeroconf sees A', () => zc.listed().get(name!));
  t.match(seen, { port: 17034, addresses: [lan.node('a').address], txt: { txtvers: '1', peer: '17034', ssh: String(a.sshPort) } }, 'zeroconf: port, address and TXT as announced');
  t.equal(seen.firstTxt, 'txtvers=1', 'txtvers=1 first');
  t.ok(await until('zeroconf sees the console', () => zc.listed('_ssh._tcp').get(name!)), '_ssh._tcp too');

  t.equal(await a.stop(), 0, 'A stops cleanly');
  await until('zeroconf drops A', () => zc.events.some((e) => e.ev === 'removed' && e.name === name), 20_000);
  t.pass('the daemon withdrew A when the entry group was freed');
});
