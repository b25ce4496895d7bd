// The host key: made once with mode 0600 in the OpenSSH format that both ssh2 and
// OpenSSH's own tools read, and the same key (and fingerprint) on every later start.
import { execFileSync } from 'node:child_process';
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import t from 'tap';
import { loadOrCreateHostKey } from '../../../appliance/console/ssh/index.js';
import { tmpDir } from '../../helpers/tmp.js';

t.test('made at the first start, reused afterwards', async (t) => {
  const dir = await tmpDir(t);
  const path = join(dir, 'ssh', 'host_ed25519');
  const first = await loadOrCreateHostKey(path);
  t.ok(first.created);
  t.match(first.fingerprint, /^SHA256:[A-Za-z0-9+/]{43}$/);
  t.equal((await stat(path)).mode & 0o777, 0o600, 'readable by the owner only');
  const again = await loadOrCreateHostKey(path);
  t.notOk(again.created);
  t.equal(again.fingerprint, first.fingerprint, 'the fingerprint is stable');
  const parsed = ssh2.utils.parseKey(again.pem);
  t.notOk(parsed instanceof Error, 'ssh2 reads the file');
  if (!(parsed instanceof Error)) t.equal(parsed.type, 'ssh-ed25519');
  t.equal(execFileSync('ssh-keygen', ['-y', '-f', path]).toString().split(' ').slice(0, 2).join(' '), first.publicLine.split(' ').slice(0, 2).join(' '), 'OpenSSH derives the same public key');
  t.match(execFileSync('ssh-keygen', ['-l', '-f', path]).toString(), first.fingerprint, 'and the same fingerprint');
});

t.test('a file that is not a key is an error, never replaced', async (t) => {
  const dir = await tmpDir(t);
  const path = join(dir, 'key');
  await writeFile(path, 'hello');
  await t.rejects(loadOrCreateHostKey(path), { code: 'COLONY_CORRUPT_DATA' });
});
