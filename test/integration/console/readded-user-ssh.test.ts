// An SSH console session of a user who is removed and added again under the same name is
// still the old account's: its next line gets "was removed" and the channel ends, and a
// new channel on the old connection is refused too; a new login acts as the new account.
import t from 'tap';
import { PASSWORDS, sshWorld } from '../ssh/helpers.js';
import { consoleShell, passwordLogin } from '../../helpers/ssh2-client.js';


t.test('a removed and re-added user\'s old SSH session acts as nobody', async (t) => {
  const w = await sshWorld(t);
  const old = await passwordLogin(w.port, 'alice', PASSWORDS.alice!);
  t.teardown(() => old.end());
  const sh = await consoleShell(old);
  sh.ch.write('whoami\n');
  await sh.until(() => sh.text().includes('alice (user)\n'), 'whoami');

  await w.catalog.removeUser('alice');
  await w.catalog.addUser({ name: 'alice', role: 'user', password: 'alice-new-secret-9' });

  sh.ch.write('whoami\n');
  await sh.until(() => sh.closed(), 'the session end');
  t.equal(sh.text(), "alice (user)\nerror: the account 'alice' was removed; this session ends\n", 'nothing ran as the new alice');

  const again = await consoleShell(old);
  again.ch.write('whoami\n');
  await again.until(() => again.closed(), 'the second channel\'s end');
  t.equal(again.text(), "error: the account 'alice' was removed; this session ends\n", 'a new channel on the old connection is the old account too');

  const fresh = await passwordLogin(w.port, 'alice', 'alice-new-secret-9');
  t.teardown(() => fresh.end());
  const sh2 = await consoleShell(fresh);
  sh2.ch.write('whoami\n');
  await sh2.until(() => sh2.text().includes('alice (user)\n'), 'the new account\'s whoami');
  t.notOk(sh2.text().includes('was removed'));
});
