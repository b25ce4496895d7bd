// Anames, tokens and mount lines for the 9P layer.
import t from 'tap';
import { anameOf, mountLine, newToken, parseAname } from '../../../appliance/grid/environment.js';

t.test('tokens are 32 unguessable aname-safe characters', async (t) => {
  const a = newToken();
  t.match(a, /^[A-Za-z0-9_-]{32}$/);
  t.not(a, newToken());
});

t.test('anames round-trip; other texts are not environment anames', async (t) => {
  t.same(parseAname(anameOf('debian', 'TOK')), { env: 'debian', token: 'TOK' });
  for (const bad of ['ctl', 'env/debian', 'env/debian/tok/x', 'env//tok', 'cpu/debian/tok']) t.equal(parseAname(bad), undefined, bad);
  t.equal(mountLine('env/d/T', 'colony-ab12.local', 564), 'mount -t 9p -o trans=tcp,port=564,version=9p2000.L,access=user,aname=env/d/T colony-ab12.local /mnt');
});
