import t from 'tap';
import { checkParams, hashPassword, parseHash, randomPassword, verifyPassword } from '../../../appliance/catalog/password.js';
import { fastScrypt } from './fixtures.js';

t.test('a hash verifies its password and nothing else', async (t) => {
  const h = await hashPassword('correct horse', fastScrypt);
  t.match(h, /^scrypt\$1024\$8\$1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/);
  t.notOk(h.includes('correct horse'));
  t.equal(await verifyPassword('correct horse', h), true);
  t.equal(await verifyPassword('correct hors', h), false);
  t.equal(await verifyPassword('', h), false);
  t.not(await hashPassword('correct horse', fastScrypt), h, 'a fresh salt every time');
});

t.test('verification uses the parameters stored in the hash, not the current default', async (t) => {
  const h = await hashPassword('pw', { N: 2048, r: 4, p: 1 });
  t.equal(await verifyPassword('pw', h, fastScrypt), true);
});

t.test('no stored hash, or a malformed one, never verifies', async (t) => {
  t.equal(await verifyPassword('pw', undefined, fastScrypt), false);
  t.equal(await verifyPassword('pw', 'plain:pw', fastScrypt), false);
  t.equal(await verifyPassword('x'.repeat(2000), undefined, fastScrypt), false);
});

t.test('unicode passwords are normalized, so composed and decomposed forms agree', async (t) => {
  const h = await hashPassword('caf\u00e9', fastScrypt);
  t.equal(await verifyPassword('cafe\u0301', h), true);
});

t.test('bad passwords and parameters are refused', async (t) => {
  await t.rejects(hashPassword('', fastScrypt), { code: 'COLONY_INVALID', message: /empty/ });
  await t.rejects(hashPassword('x'.repeat(1025), fastScrypt), { code: 'COLONY_INVALID' });
  t.throws(() => checkParams({ N: 1000, r: 8, p: 1 }), { code: 'COLONY_INVALID', message: /power of two/ });
  t.throws(() => checkParams({ N: 1024, r: 0, p: 1 }), { code: 'COLONY_INVALID' });
  t.throws(() => checkParams({ N: 1024, r: 8, p: 17 }), { code: 'COLONY_INVALID' });
  t.match(parseHash('scrypt$1000$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='), /power of two/);
  t.match(parseHash('nope'), /not a scrypt/);
});

t.test('one-time passwords are long and differ', async (t) => {
  const a = randomPassword();
  t.match(a, /^[A-Za-z0-9_-]{20}$/);
  t.not(randomPassword(), a);
});

t.test('an unknown user costs the same scrypt derivation as a known one', async (t) => {
  const crypto = await import('node:crypto');
  const calls: Array<{ N: number; r: number; p: number }> = [];
  const spied = await t.mockImport<typeof import('../../../appliance/catalog/password.js')>('../../../appliance/catalog/password.js', {
    'node:crypto': {
      ...crypto,
      scrypt: (pw: string, salt: Buffer, len: number, opts: { N: number; r: number; p: number }, cb: (e: Error | null, k: Buffer) => void) => {
        calls.push({ N: opts.N, r: opts.r, p: opts.p });
        crypto.scrypt(pw, salt, len, opts, cb);
      },
    },
  });
  const h = await spied.hashPassword('pw', fastScrypt);
  calls.length = 0;
  await spied.verifyPassword('pw', h, fastScrypt);
  await spied.verifyPassword('pw', undefined, fastScrypt);
  await spied.verifyPassword('pw', 'garbage', fastScrypt);
  t.same(calls, [fastScrypt, fastScrypt, fastScrypt]);
});
