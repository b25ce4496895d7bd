// A LAN attacker who opens TCP sockets and never speaks SSH must not lock people out:
// idle sockets are dropped at the handshake deadline, one address holds only a few slots,
// and past the global cap a small reserve still lets a valid key in. Counted in sockets
// and outcomes, never in time.
import { connect, type Socket } from 'node:net';
import t from 'tap';
import { PASSWORDS, ssh, sshWorld, type SshWorld } from './helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A raw socket that never speaks; `ended` says whether the server closed it within `waitMs`. */
function idleSocket(w: SshWorld, from: string): { socket: Socket; connected: Promise<void>; ended: (waitMs: number) => Promise<'closed' | 'still open'> } {
  const socket = connect({ host: '127.0.0.1', port: w.port, localAddress: from });
  socket.on('error', () => {});
  socket.on('data', () => {}); // the server's version line; we never answer it
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  const connected = new Promise<void>((r) => { socket.once('connect', () => r()); socket.once('close', () => r()); });
  return {
    socket, connected,
    ended: async (waitMs) => {
      let timer: NodeJS.Timeout | undefined;
      const out = await Promise.race([closed.then(() => 'closed' as const), new Promise<'still open'>((r) => { timer = setTimeout(() => r('still open'), waitMs); })]);
      clearTimeout(timer);
      return out;
    },
  };
}

/** Waits (bounded) until the server holds `n` sockets. */
async function serverHolds(w: SshWorld, n: number): Promise<boolean> {
  const held = () => (w.server as unknown as { sockets: Set<unknown> }).sockets.size;
  for (let i = 0; i < 500 && held() < n; i++) await sleep(20);
  return held() >= n;
}

t.test('sockets that never speak SSH are dropped at the handshake deadline', async (t) => {
  const w = await sshWorld(t, { handshakeTimeoutMs: 200 });
  const idle = Array.from({ length: 6 }, () => idleSocket(w, '127.0.0.1'));
  t.teardown(() => { for (const s of idle) s.socket.destroy(); });
  await Promise.all(idle.map((s) => s.connected));
  const ends = await Promise.all(idle.map((s) => s.ended(15_000)));
  t.same(ends, Array(6).fill('closed'), 'the server closed every idle socket');
  t.ok(w.log.lines.some((l) => l.msg === 'ssh handshake timed out'), 'and logged why');
});

t.test('one address holds only maxPerAddress sockets', async (t) => {
  const w = await sshWorld(t, { maxPerAddress: 2, handshakeTimeoutMs: 60_000 });
  const held = [idleSocket(w, '127.0.0.4'), idleSocket(w, '127.0.0.4')];
  t.teardown(() => { for (const s of held) s.socket.destroy(); });
  await Promise.all(held.map((s) => s.connected));
  t.ok(await serverHolds(w, 2), 'the first two are held');
  const third = idleSocket(w, '127.0.0.4');
  t.teardown(() => third.socket.destroy());
  t.equal(await third.ended(10_000), 'closed', 'a third from the same address is refused');
  const r = await ssh(w, 'alice', ['whoami'], { bind: '127.0.0.5' });
  t.equal(r.stdout, 'alice (user)\n', 'another address still logs in');
});

t.test('a full console still lets a valid key in, through the reserve', async (t) => {
  const w = await sshWorld(t, { maxConnections: 4, reserveConnections: 1, handshakeTimeoutMs: 60_000, limits: { baseDelayMs: 0 } });
  const idle = ['127.0.0.2', '127.0.0.2', '127.0.0.3', '127.0.0.3'].map((a) => idleSocket(w, a));
  t.teardown(() => { for (const s of idle) s.socket.destroy(); });
  await Promise.all(idle.map((s) => s.connected));
  t.ok(await serverHolds(w, 4), 'the idle sockets fill the global cap');

  const key = await ssh(w, 'bob', ['whoami'], { bind: '127.0.0.1' });
  t.equal(key.stdout, 'bob (user)\n', 'a key logs in while the idle sockets are held');
  const password = await ssh(w, 'alice', ['whoami'], { password: PASSWORDS.alice!, bind: '127.0.0.1' });
  t.not(password.code, 0, 'a password does not keep a reserve slot');
  t.same(await Promise.all(idle.map((s) => s.ended(0))), Array(4).fill('still open'), 'the idle sockets were still held throughout');
});
