import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { keyOf, parsePublicKey } from '../../../appliance/catalog/ssh-key.js';
import { keyBlob, keyLine, sshString, typeOf } from './fixtures.js';

t.test('ed25519, ecdsa and rsa lines parse and are stored in normal form', async (t) => {
  for (const kind of ['ed25519', 'ecdsa256', 'ecdsa384', 'rsa'] as const) {
    const blob = keyBlob(kind);
    const type = typeOf(blob);
    const k = parsePublicKey(`  ${type}\t${blob.toString('base64')}   alice@laptop  home \n`);
    t.equal(k.type, type, kind);
    t.same(k.blob, blob);
    t.equal(k.comment, 'alice@laptop home', 'the comment keeps inner words with single spaces');
    t.equal(k.line, `${type} ${blob.toString('base64')} alice@laptop home`);
    t.match(k.fingerprint, /^SHA256:[A-Za-z0-9+/]{43}$/);
  }
  const bare = parsePublicKey(keyLine('ed25519', ''));
  t.equal(bare.comment, '');
  t.equal(bare.line.split(' ').length, 2, 'no trailing space without a comment');
});

t.test('the fingerprint is the one ssh-keygen prints', async (t) => {
  const line = keyLine('ed25519', 'fp@test');
  const file = join(tmpdir(), `colony-key-${process.pid}.pub`);
  writeFileSync(file, line + '\n');
  const out = execFileSync('ssh-keygen', ['-l', '-f', file], { encoding: 'utf8' });
  t.equal(out.split(' ')[1], parsePublicKey(line).fingerprint);
});

t.test('a key whose embedded type differs from the line is refused', async (t) => {
  const ed = keyBlob('ed25519');
  t.throws(() => parsePublicKey(`ssh-rsa ${ed.toString('base64')} x`), { code: 'COLONY_INVALID', message: /says 'ssh-rsa' but the key inside is 'ssh-ed25519'/ });
});

t.test('malformed blobs and lines are refused with a reason', async (t) => {
  const ed = keyBlob('ed25519');
  const b64 = (b: Buffer) => `ssh-ed25519 ${b.toString('base64')}`;
  const cases: Array<[string, RegExp]> = [
    ['', /not an OpenSSH public key line/],
    ['ssh-dss AAAAB3NzaC1kc3M= x', /not an OpenSSH public key line/],
    ['no-pty ssh-ed25519 AAAA', /not an OpenSSH public key line/],
    ['ssh-ed25519', /base64/],
    ['ssh-ed25519 not*base64', /base64/],
    ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI', /base64/],
    [b64(ed.subarray(0, ed.length - 5)), /ends inside its public key/],
    [b64(ed.subarray(0, 2)), /ends before its type/],
    [b64(Buffer.concat([ed, Buffer.from([0])])), /1 bytes after the key/],
    [b64(Buffer.concat([sshString('ssh-ed25519'), sshString(Buffer.alloc(31))])), /32 bytes, this one is 31/],
    [`${keyLine('ed25519', '')}\nssh-ed25519 AAAA`, /one line/],
    [`${keyLine('ed25519', '')} bell\u0007`, /control/],
  ];
  for (const [line, msg] of cases) t.throws(() => parsePublicKey(line), { code: 'COLONY_INVALID', message: msg }, JSON.stringify(line.slice(0, 40)));
});

t.test('ecdsa: the curve name must match and the point must lie on the curve', async (t) => {
  const blob = keyBlob('ecdsa256');
  const point = blob.subarray(blob.length - 65);
  const wrongCurve = Buffer.concat([sshString('ecdsa-sha2-nistp256'), sshString('nistp384'), sshString(point)]);
  t.throws(() => keyOf(wrongCurve), { code: 'COLONY_INVALID', message: /names curve 'nistp384'/ });
  const offCurve = Buffer.from(point); offCurve[64] = (offCurve[64] ?? 0) ^ 1;
  t.throws(() => keyOf(Buffer.concat([sshString('ecdsa-sha2-nistp256'), sshString('nistp256'), sshString(offCurve)])),
    { code: 'COLONY_INVALID', message: /not a valid public key/ });
  const compressed = Buffer.concat([sshString('ecdsa-sha2-nistp256'), sshString('nistp256'), sshString(point.subarray(0, 33))]);
  t.throws(() => keyOf(compressed), { code: 'COLONY_INVALID', message: /uncompressed/ });
});

t.test('rsa keys under 2048 bits are refused', async (t) => {
  t.throws(() => keyOf(keyBlob('rsa', 1024)), { code: 'COLONY_INVALID', message: /1024 bits; at least 2048/ });
  t.equal(keyOf(keyBlob('rsa', 2048)).type, 'ssh-rsa');
});

t.test('unknown algorithms inside a blob are named', async (t) => {
  t.throws(() => keyOf(Buffer.concat([sshString('ssh-foo'), sshString('x')])), { code: 'COLONY_INVALID', message: /unsupported key type 'ssh-foo'/ });
});
