// A laptop on the LAN finds an appliance with the standard tools (issue 14): a real `colony
// serve` in a namespace, and in two other namespaces avahi-browse (with its own avahi-daemon)
// and python3-zeroconf. Both list `_colony._tcp` with the TXT keys and ports (and zeroconf the
// console as `_ssh._tcp`); a clean stop's goodbye removes it from both long before any TTL;
// a SIGKILLed one sends none and stays listed until its records expire.
// Times are printed as figures (from health.json's ready time), never asserted.
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { startSupervisor, type ColonySupervisor } from '../helpers/colony-server.js';
import { createLan, lanUnavailable } from '../helpers/netns.js';
import { tmpDir } from '../helpers/tmp.js';
import { avahiClient, zeroconfClient, type Client } from './fixtures/discovery-clients.js';

const skip = lanUnavailable();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 30_000): Promise<T> {
  for (let i = 0; i < timeoutMs / 50; i++) { const v = probe(); if (v) return v; await sleep(50); }
  throw new Error(`${what}: not within ${timeoutMs} ms`);
}

const readyAt = async (sup: ColonySupervisor) => Date.parse((JSON.parse(await readFile(join(sup.data, 'health.json'), 'utf8')) as { updated: string }).updated);
const nodeOf = async (sup: ColonySupervisor) => sup.ctl('node');

t.test('avahi-browse and python3-zeroconf see an appliance, its goodbye, and not a SIGKILLed one\'s', { skip }, async (t) => {
  execFileSync('scripts/ensure-apt.sh', ['avahi-daemon', 'avahi-utils', 'python3-zeroconf', 'dbus'], { stdio: 'inherit', timeout: 600_000 });
  const scratch = await tmpDir(t, 'colony-discovery-');
  const lan = await createLan(t, ['a', 'b', 'x', 'y']);
  const avahi = await avahiClient(t, lan, 'x', join(scratch, 'avahi'));
  const zc = await zeroconfClient(t, lan, 'y');
  const clients: Array<[string, Client]> = [['avahi-browse', avahi], ['zeroconf', zc]];

  const start = (n: string) => startSupervisor(t, { netns: { wrap: (cmd, args) => lan.wrap(n, cmd, args) }, peerListen: `${lan.node(n).address}:17034`, snapshot: `seed${n}` });
  const a = await start('a');
  const ready = await readyAt(a);
  const id = /^node (\S+)$/m.exec(await nodeOf(a))?.[1];
  const lanName = /^lan name (\S+) on eth0$/m.exec(await nodeOf(a))?.[1];
  t.ok(id && lanName === `colony-${id.slice(-6).toLowerCase()}`, `node shows the announced name (${lanName})`);

  for (const [label, c] of clients) {
    const seen = await until(`${label} sees A`, () => c.listed().get(lanName!));
    t.comment(`figure: ${label} lists A ${seen.at - ready} ms after health.json said ready`);
    t.same({ port: seen.port, address: seen.addresses?.[0], host: seen.host?.replace(/\.$/, '') }, { port: 17034, address: lan.node('a').address, host: `${lanName}.local` }, `${label}: SRV port, A record, host name`);
    t.same(Object.keys(seen.txt ?? {}).sort(), ['9p', 'id', 'peer', 'ssh', 'txtvers', 'v'], `${label}: the TXT keys`);
    t.match(seen.txt, { txtvers: '1', id, peer: '17034', '9p': String(a.ninepPort), ssh: String(a.sshPort) }, `${label}: the TXT values`);
  }
  t.equal(zc.events.find((e) => e.type === '_colony._tcp')?.firstTxt, 'txtvers=1', 'txtvers=1 is the first TXT string');
  const ssh = await until('zeroconf sees the console as _ssh._tcp', () => zc.listed('_ssh._tcp').get(lanName!));
  t.equal(ssh.port, a.sshPort, '_ssh._tcp: the console\'s port');

  // A clean stop: the goodbye (TTL 0). Its records live 120 s / 75 min, so only the goodbye removes it this soon.
  const stopAt = Date.now();
  t.equal(await a.stop(), 0, 'A stops cleanly');
  for (const [label, c] of clients) {
    const gone = await until(`${label} drops A`, () => c.events.find((e) => e.ev === 'removed' && e.name === lanName), 20_000);
    t.comment(`figure: ${label} drops A ${gone.at - stopAt} ms after SIGTERM`);
  }
  t.notOk(avahi.listed().has(lanName!) || zc.listed().has(lanName!), 'A is listed by neither');

  // SIGKILL: no goodbye; the clients keep B until its records expire (120 s for the SRV at least).
  const b = await start('b');
  const bName = /^lan name (\S+) on eth0$/m.exec(await nodeOf(b))?.[1]!;
  await until('both clients see B', () => avahi.listed().has(bName) && zc.listed().has(bName));
  process.kill(b.pid, 'SIGKILL');
  await sleep(5000);
  t.ok(avahi.listed().has(bName) && zc.listed().has(bName), 'a SIGKILLed B is still listed 5 s later (no goodbye: it expires)');
  t.equal(avahi.events.filter((e) => e.ev === 'removed' && e.name === bName).length + zc.events.filter((e) => e.ev === 'removed' && e.name === bName).length, 0, 'no removal seen for B');
});
