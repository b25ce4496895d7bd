// First boot on the serial line: before the first admin has chosen a password, the text
// before `colony login:` shows the node id, its addresses and the one-time password; the
// admin logs in with it, must choose a new one, and then the notice is gone.
import t from 'tap';
import { FIRST_ADMIN } from '../../../../appliance/catalog/index.js';
import { serveSerialConsole } from '../../../../appliance/console/serial/index.js';
import { MemoryLog } from '../../../../appliance/log.js';
import { openSerialLine } from '../../../../hw/serial/index.js';
import { catalogWithUsers, Far, ptyPair, statusInterpreter } from './helpers.js';

t.test('the first-boot notice, the forced password change, then no notice', async (t) => {
  const pair = await ptyPair(t);
  const { catalog, adminPassword } = await catalogWithUsers(t, { firstAdmin: true });
  t.ok(adminPassword, 'the catalog made a first admin with a one-time password');
  const log = new MemoryLog();
  const node = { id: 'node-serial', version: '0.0.0-test', started: Date.now() };
  // As the supervisor does: the facts come from DATA/first-admin-password while it exists;
  // here they are always offered, so only the catalog's mark can hide them.
  const firstBoot = () => ({ nodeId: node.id, addresses: ['192.0.2.7', 'fe80::7'], password: adminPassword! });
  const line = openSerialLine({
    config: { enabled: true, path: pair.a, baudRate: 115200 }, log, simRoot: '/nonexistent',
    onOpen: (stream) => {
      const s = serveSerialConsole(stream, { accounts: catalog, interpreter: statusInterpreter, node, log, firstBoot });
      return () => s.close();
    },
  });
  t.teardown(() => line.stop());
  const far = await Far.open(t, pair.b);
  far.line('');
  const issue = await far.waitFor(/colony login: $/);
  t.match(issue, /first boot/);
  t.match(issue, /node-serial/);
  t.match(issue, /192\.0\.2\.7, fe80::7/);
  t.match(issue, new RegExp(`one-time password ${adminPassword}`));
  let m = far.mark;
  far.line('');
  t.match(await far.waitFor(/colony login: $/, m), /first boot/, 'Enter shows it again, for a terminal attached late');

  m = far.mark;
  far.line(FIRST_ADMIN);
  await far.waitFor(/password: $/, m);
  m = far.mark;
  far.line(adminPassword!);
  t.match(await far.waitFor(/new password: $/, m), /one-time password; choose a new one/);
  m = far.mark;
  far.line(adminPassword!);
  await far.waitFor(/new password again: $/, m);
  m = far.mark;
  far.line(adminPassword!);
  t.match(await far.waitFor(/new password: $/, m), /that is the one-time password; choose another/, 'the one-time password is refused as the new one');
  m = far.mark;
  far.line('brand-new-pass-1');
  await far.waitFor(/new password again: $/, m);
  m = far.mark;
  far.line('brand-new-pass-1');
  const after = await far.waitFor(/colony> $/, m);
  t.match(after, /password changed/);
  t.notMatch(after, /brand-new-pass-1/, 'never echoed');
  t.equal(catalog.mustChangePassword(FIRST_ADMIN), false);
  m = far.mark;
  far.line('node');
  t.match(await far.waitFor(/colony> $/, m), /node-serial/, 'an admin verb works now');
  m = far.mark;
  far.line('exit');
  const again = await far.waitFor(/colony login: $/, m);
  t.notMatch(again, /first boot/, 'the notice is gone once the admin chose a password');
  t.notMatch(again, new RegExp(adminPassword!), 'and so is the old password');
  t.match(again, /Colony node node-serial/);
  t.ok(await catalog.checkPassword(FIRST_ADMIN, 'brand-new-pass-1'));
});

t.test('giving up the change (Ctrl-D) goes back to the login, the password still one-time', async (t) => {
  const pair = await ptyPair(t);
  const { catalog, adminPassword } = await catalogWithUsers(t, { firstAdmin: true });
  const log = new MemoryLog();
  const node = { id: 'node-serial', version: '0.0.0-test', started: Date.now() };
  const line = openSerialLine({
    config: { enabled: true, path: pair.a, baudRate: 115200 }, log, simRoot: '/nonexistent',
    onOpen: (stream) => {
      const s = serveSerialConsole(stream, { accounts: catalog, interpreter: statusInterpreter, node, log, firstBoot: () => ({ nodeId: node.id, addresses: [], password: adminPassword! }) });
      return () => s.close();
    },
  });
  t.teardown(() => line.stop());
  const far = await Far.open(t, pair.b);
  far.line('');
  await far.waitFor(/colony login: $/);
  let m = far.mark;
  far.line(FIRST_ADMIN);
  await far.waitFor(/password: $/, m);
  m = far.mark;
  far.line(adminPassword!);
  await far.waitFor(/new password: $/, m);
  m = far.mark;
  far.send('\x04');
  const back = await far.waitFor(/colony login: $/, m);
  t.match(back, /one-time password is unchanged/);
  t.match(back, /first boot/, 'the notice is still there');
  t.equal(catalog.mustChangePassword(FIRST_ADMIN), true);
});
