// The authentication decision as data: known keys must sign, passwords are checked, a
// key query is answered only for a key the user holds, and failures feed the limiter.
import { generateKeyPairSync, sign } from 'node:crypto';
import t from 'tap';
import { decide, FailureLimiter, parseListenAddress, verifySignature, type Accounts } from '../../../appliance/console/ssh/index.js';

const str = (b: Buffer | string) => { const buf = Buffer.from(b); const len = Buffer.alloc(4); len.writeUInt32BE(buf.length); return Buffer.concat([len, buf]); };
function ed25519() {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const blob = Buffer.concat([str('ssh-ed25519'), str(Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url'))]);
  return { blob, sign: (data: Buffer) => sign(null, data, privateKey) };
}

const alice = ed25519();
const other = ed25519();
const accounts = {
  userForKey: (k: Buffer) => (k.equals(alice.blob) ? 'alice' : undefined),
  checkPassword: async (n: string, p: string) => n === 'alice' && p === 'right',
} as unknown as Accounts;
const session = Buffer.from('session-id and request');
const keyReq = (k: ReturnType<typeof ed25519>, signer = k, username = 'alice') =>
  ({ method: 'publickey' as const, username, key: { algo: 'ssh-ed25519', data: k.blob }, signature: signer.sign(session), blob: session });

t.test('signatures are verified', async (t) => {
  t.ok(verifySignature(alice.blob, session, alice.sign(session)));
  t.notOk(verifySignature(alice.blob, session, other.sign(session)), 'another key’s signature');
  t.notOk(verifySignature(alice.blob, Buffer.from('other data'), alice.sign(session)), 'other data');
  t.notOk(verifySignature(Buffer.from('junk'), session, alice.sign(session)), 'a junk key');
});

t.test('public keys', async (t) => {
  const a = { accounts, limiter: new FailureLimiter(), now: () => 0 };
  t.same(await decide(a, '10.0.0.1', { method: 'publickey', username: 'alice', key: { algo: 'ssh-ed25519', data: alice.blob } }), { verdict: 'key-ok' }, 'a query for a held key');
  t.match(await decide(a, '10.0.0.1', { method: 'publickey', username: 'alice', key: { algo: 'ssh-ed25519', data: other.blob } }), { verdict: 'reject', counted: false }, 'a query for another key: refused, not counted');
  t.match(await decide(a, '10.0.0.1', { method: 'publickey', username: 'bob', key: { algo: 'ssh-ed25519', data: alice.blob } }), { verdict: 'reject', counted: false }, "alice's key for bob");
  t.same(await decide(a, '10.0.0.1', keyReq(alice)), { verdict: 'accept', user: 'alice' });
  t.match(await decide(a, '10.0.0.1', keyReq(alice, other)), { verdict: 'reject', counted: true, reason: 'bad signature' }, 'signed by the wrong key');
  t.match(await decide(a, '10.0.0.1', keyReq(other)), { verdict: 'reject', counted: true }, 'a signed unknown key counts');
  t.match(await decide(a, '10.0.0.1', { method: 'none', username: 'alice' }), { verdict: 'reject', counted: false });
  t.match(await decide(a, '10.0.0.1', { method: 'keyboard-interactive', username: 'alice' }), { verdict: 'reject' });
});

t.test('passwords and lockouts', async (t) => {
  const limiter = new FailureLimiter({ lockAfter: 2, freeFailures: 1, baseDelayMs: 100 });
  const a = { accounts, limiter, now: () => 0 };
  const pw = (password: string, username = 'alice') => ({ method: 'password' as const, username, password });
  t.same(await decide(a, '::ffff:10.0.0.1', pw('right')), { verdict: 'accept', user: 'alice' });
  t.match(await decide(a, '10.0.0.1', pw('wrong')), { verdict: 'reject', counted: true, delayMs: 0, locked: false });
  t.match(await decide(a, '10.0.0.1', pw('wrong')), { verdict: 'reject', counted: true, delayMs: 100, locked: true }, 'the second failure locks');
  t.match(await decide(a, '10.0.0.1', pw('right')), { verdict: 'reject', locked: true, counted: false }, 'the right password from a locked address');
  t.same(await decide(a, '10.0.0.1', keyReq(alice)), { verdict: 'accept', user: 'alice' }, 'a valid key from a locked address');
  t.ok(limiter.state('addr:10.0.0.1', 0).locked, 'which does not lift the lockout');
  t.match(await decide(a, '10.0.0.1', keyReq(other)), { verdict: 'reject', counted: true }, 'an unknown signed key from there is still refused');
  t.match(await decide(a, '10.0.0.2', pw('right')), { verdict: 'reject', locked: true, reason: /user locked/ }, 'a locked user’s password from elsewhere');
  t.same(await decide(a, '10.0.0.2', keyReq(alice)), { verdict: 'accept', user: 'alice' }, 'her key from elsewhere');
  t.ok(limiter.state('addr:10.0.0.1', 0).locked, 'IPv4-mapped addresses count as IPv4');
});

t.test('listen addresses', async (t) => {
  t.same(parseListenAddress('0.0.0.0:2222'), { host: '0.0.0.0', port: 2222 });
  t.same(parseListenAddress('127.0.0.1:0'), { host: '127.0.0.1', port: 0 });
  t.same(parseListenAddress('[::1]:22'), { host: '::1', port: 22 });
  t.same(parseListenAddress(':2222'), { host: '0.0.0.0', port: 2222 });
  for (const bad of ['2222', 'host', 'host:99999', 'a:b', '::1:22', '']) t.throws(() => parseListenAddress(bad), { code: 'COLONY_INVALID' }, bad);
});
