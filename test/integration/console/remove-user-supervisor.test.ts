// Issue 12, finding 4, end to end on a real Supervisor: removing a user booms their
// environments (only with --boom), cuts off a 9P client already attached by token, refuses
// the token afterwards, ends their open SSH session at its next line and their logins; an
// admin booms another user's environment with a reason that is logged and shown to the owner.
import { join } from 'node:path';
import t from 'tap';
import { Catalog } from '../../../appliance/catalog/index.js';
import { NinepClient, L_O_RDWR } from '../../../appliance/ninep/index.js';
import { nodeIdOf } from '../../../appliance/supervisor/node-id.js';
import { fastScrypt } from '../../unit/catalog/fixtures.js';
import { preparedData, startedSupervisor } from '../supervisor/seeded-supervisor.js';
import { consoleShell, passwordLogin } from '../../helpers/ssh2-client.js';

const PASSWORD = { alice: 'alice-pass-123', bob: 'bob-pass-456' };

/** One line on ctl (unix socket) as `uname`: ok and the text (the error message when the write failed). */
async function ctl(unix: string, uname: string, line: string): Promise<{ ok: boolean; text: string }> {
  const c = await NinepClient.connect(unix);
  try {
    const { fid } = await c.attach('ctl', uname);
    const f = await c.walkPath(fid, 'ctl');
    await c.open(f, L_O_RDWR);
    let ok = true;
    try { await c.write(f, 0, Buffer.from(line)); } catch { ok = false; }
    return { ok, text: (await c.readAll(f)).toString() };
  } finally { c.close(); }
}


t.test('users remove --boom, live sessions, and an admin boom with a reason', async (t) => {
  const data = await preparedData(t);
  const catalog = await Catalog.open(join(data, 'catalog'), { nodeId: await nodeIdOf(data), scrypt: fastScrypt });
  await catalog.addUser({ name: 'alice', role: 'user', password: PASSWORD.alice });
  await catalog.addUser({ name: 'bob', role: 'user', password: PASSWORD.bob });
  await catalog.grant('admin', 'deb', 'alice');
  await catalog.grant('admin', 'deb', 'bob');
  await catalog.close();
  const { sup, log, tcp, unix } = await startedSupervisor(t, data);

  const a1 = await ctl(unix, 'alice', 'spawn deb as a1');
  t.ok(a1.ok, a1.text);
  const aname = /aname: (env\/a1\/\S+)/.exec(a1.text)![1]!;
  t.ok((await ctl(unix, 'alice', 'spawndisk deb as a2')).ok);
  t.ok((await ctl(unix, 'bob', 'spawn deb as b1')).ok);

  // alice's 9P client, attached by token over TCP and reading.
  const nine = await NinepClient.connect(tcp);
  t.teardown(() => nine.close());
  const { fid } = await nine.attach(aname, 'root');
  const hello = await nine.walkPath(fid, 'hello');
  await nine.open(hello);
  t.equal((await nine.readAll(hello)).toString(), 'hello from colony\n');

  // alice's SSH console session.
  const sshPort = sup.sshAddress!.port;
  const aliceSsh = await passwordLogin(sshPort, 'alice', PASSWORD.alice);
  t.teardown(() => aliceSsh.end());
  const sh = await consoleShell(aliceSsh);
  sh.ch.write('whoami\n');
  await sh.until(() => /alice \(user\)/.test(sh.text()), 'whoami');

  const refused = await ctl(unix, 'admin', 'users remove alice');
  t.notOk(refused.ok, 'refused while alice has environments');
  t.match(refused.text, /alice has 2 environments \(a1, a2\); `users remove alice --boom` destroys them, unsaved changes included/);
  t.equal((await ctl(unix, 'alice', 'whoami')).text, 'alice (user)\n', 'alice is still there');

  const removed = await ctl(unix, 'admin', 'users remove alice --boom');
  t.ok(removed.ok, removed.text);
  t.match(removed.text, /^removed user alice\nboomed 2 environments: a1, a2\n$/);

  await t.rejects(nine.readAll(hello), 'the attached 9P client is cut off');
  const again = await NinepClient.connect(tcp);
  await t.rejects(again.attach(aname, 'root'), /EACCES/, 'the token attaches no more');
  again.close();
  const status = await ctl(unix, 'admin', 'status');
  t.notMatch(status.text, /\ba1\b|\ba2\b/, 'her environments are gone');
  t.match(status.text, /\bb1\b/, "bob's runs on");

  sh.ch.write('status\n');
  await sh.until(() => sh.closed(), 'the session end');
  t.match(sh.text(), /error: the account 'alice' was removed; this session ends/, 'her open session ran nothing and ended');
  await t.rejects(passwordLogin(sshPort, 'alice', PASSWORD.alice), 'she cannot log in again');

  // An admin booms bob's environment: a reason is required, logged, and shown to bob.
  const noReason = await ctl(unix, 'admin', 'boom b1');
  t.notOk(noReason.ok);
  t.match(noReason.text, /b1 is bob's: an admin booms it with `boom b1 --reason TEXT`/);
  t.notOk((await ctl(unix, 'bob', 'boom nothing-of-mine --reason x')).ok);
  const boomed = await ctl(unix, 'admin', 'boom b1 --reason node maintenance tonight');
  t.equal(boomed.text, "boomed bob's b1; bob sees the reason in status\n");
  t.match(log.lines.filter((l) => l.msg === 'environment boomed by an admin' && l.env === 'b1'), [{ level: 'warn', owner: 'bob', admin: 'admin', reason: 'node maintenance tonight' }]);
  const bobStatus = (await ctl(unix, 'bob', 'status')).text;
  t.match(bobStatus, /notice: b1 was boomed by admin admin at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC: node maintenance tonight/);
  t.notMatch((await ctl(unix, 'admin', 'status')).text, /notice:/, 'only the owner sees it');
});
