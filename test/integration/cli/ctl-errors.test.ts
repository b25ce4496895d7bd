// A ctl command that fails fails the 9P write itself (an Rlerror with the errno of its
// error code), so every client sees it; `colony 9p write` exits 1 and prints the message.
import { join } from 'node:path';
import t from 'tap';
import { E, errnoFor } from '../../../appliance/ninep/errno.js';
import { NinepClient } from '../../../appliance/ninep/client.js';
import { L_O_RDWR } from '../../../appliance/ninep/constants.js';
import { isColonyError } from '../../../appliance/errors.js';
import { runCli } from '../../helpers/cli.js';
import { seededData } from '../console/helpers.js';
import { serveChild } from './serve-child.js';

t.test('ctl errors fail the write', async (t) => {
  const data = await seededData(t);
  await serveChild(t, data);
  const sock = join(data, '9p.sock');
  const ctl = (line: string, uname = 'alice') => runCli(['9p', '--uname', uname, 'write', sock, 'ctl', line]);

  const bad = await ctl('spawn nothing-here');
  t.equal(bad.code, 1, bad.stdout.toString());
  t.match(bad.stderr, /^colony: COLONY_NOT_FOUND: name 'nothing-here' not found\n$/);
  t.equal(bad.stdout.toString(), '');
  const unknown = await ctl('frobnicate');
  t.equal(unknown.code, 2, 'a usage mistake exits 2, as on the command line');
  t.match(unknown.stderr, /unknown command 'frobnicate'/);
  const forbidden = await ctl('users list');
  t.equal(forbidden.code, 1);
  t.match(forbidden.stderr, /'users' is for admins/);
  const ok = await ctl('spawn debian');
  t.equal(ok.code, 0, ok.stderr);
  t.match(ok.stdout.toString(), /^spawned debian/);
  const envBad = await runCli(['9p', '--uname', 'alice', 'write', sock, 'env/debian/ctl', 'frob']);
  t.equal(envBad.code, 2, envBad.stderr);

  // Any 9P client sees the failure as the write's Rlerror.
  const c = await NinepClient.connect(sock);
  t.teardown(() => c.close());
  const root = await c.attach('ctl', 'alice', 1000);
  const fid = await c.walkPath(root.fid, 'ctl');
  await c.open(fid, L_O_RDWR);
  const err = await c.write(fid, 0, Buffer.from('boom nope')).then(() => undefined, (e: unknown) => e);
  t.ok(isColonyError(err, 'COLONY_NOT_FOUND'), String(err));
  t.equal(errnoFor(err), E.ENOENT);
});
