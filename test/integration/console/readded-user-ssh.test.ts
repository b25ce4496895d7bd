// An SSH console session of a user who is removed and added again under the same name is
// still the old account's: its next line gets "was removed" and the channel ends, and a
// new channel on the old connection is refused too; a new login acts as the new account.
import t from 'tap';
import { Client, type ClientChannel } from 'ssh2';
import { PASSWORDS, sshWorld } from '../ssh/helpers.js';

function login(port: number, username: string, password: string): Promise<Client> {
  return new Promise((resolve, reject) => {
    const c = new Client();
    c.on('ready', () => resolve(c)).on('error', reject);
    c.connect({ host: '127.0.0.1', port, username, password, tryKeyboard: false, readyTimeout: 30_000, hostVerifier: () => true });
  });
}

/** A console shell without a pty: write lines, wait for text (bounded). */
async function shell(c: Client) {
  const ch = await new Promise<ClientChannel>((resolve, reject) => c.shell(false, (err, s) => (err ? reject(err) : resolve(s))));
  let out = '';
  let closed = false;
  ch.on('data', (b: Buffer) => { out += b.toString(); });
  ch.stderr.on('data', (b: Buffer) => { out += b.toString(); });
  ch.on('close', () => { closed = true; });
  const until = async (ok: () => boolean, what: string) => {
    for (let i = 0; i < 600 && !ok(); i++) await new Promise((r) => setTimeout(r, 25));
    if (!ok()) throw new Error(`never saw ${what}; got ${JSON.stringify(out)}`);
  };
  return { ch, text: () => out, closed: () => closed, until };
}

t.test('a removed and re-added user\'s old SSH session acts as nobody', async (t) => {
  const w = await sshWorld(t);
  const old = await login(w.port, 'alice', PASSWORDS.alice!);
  t.teardown(() => old.end());
  const sh = await shell(old);
  sh.ch.write('whoami\n');
  await sh.until(() => sh.text().includes('alice (user)\n'), 'whoami');

  await w.catalog.removeUser('alice');
  await w.catalog.addUser({ name: 'alice', role: 'user', password: 'alice-new-secret-9' });

  sh.ch.write('whoami\n');
  await sh.until(() => sh.closed(), 'the session end');
  t.equal(sh.text(), "alice (user)\nerror: the account 'alice' was removed; this session ends\n", 'nothing ran as the new alice');

  const again = await shell(old);
  again.ch.write('whoami\n');
  await again.until(() => again.closed(), 'the second channel\'s end');
  t.equal(again.text(), "error: the account 'alice' was removed; this session ends\n", 'a new channel on the old connection is the old account too');

  const fresh = await login(w.port, 'alice', 'alice-new-secret-9');
  t.teardown(() => fresh.end());
  const sh2 = await shell(fresh);
  sh2.ch.write('whoami\n');
  await sh2.until(() => sh2.text().includes('alice (user)\n'), 'the new account\'s whoami');
  t.notOk(sh2.text().includes('was removed'));
});
