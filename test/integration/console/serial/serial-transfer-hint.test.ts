// `import NAME` / `export NAME` typed on the serial console: a terminal cannot carry a tar,
// so the console says which ssh command moves the snapshot, and help lists both.
import t from 'tap';
import { Far, PASSWORDS, servedConsole } from './helpers.js';

t.test('import and export on the serial line answer with the ssh command', async (t) => {
  const { pair } = await servedConsole(t);
  const far = await Far.open(t, pair.b);
  far.line('');
  await far.waitFor(/colony login: $/);
  let m = far.mark;
  far.line('alice');
  await far.waitFor(/password: $/, m);
  far.line(PASSWORDS.alice!);
  await far.waitFor(/colony> $/);
  m = far.mark;
  far.line('import deb');
  t.match(await far.waitFor(/colony> $/, m), /error: import takes a tar on the SSH channel, which a console line cannot carry: run ssh -p 2222 alice@HOST import deb < tree\.tar/);
  m = far.mark;
  far.line('export deb');
  t.match(await far.waitFor(/colony> $/, m), /error: export gives a tar on the SSH channel[^\n]*ssh -p 2222 alice@HOST export deb > tree\.tar/);
  m = far.mark;
  far.line('help');
  const help = await far.waitFor(/colony> $/, m);
  t.match(help, /import NAME\s+a new snapshot NAME from a tar \(plain or gzip\) on the SSH channel: ssh -p 2222 USER@HOST import NAME < tree\.tar/);
  t.match(help, /export NAME\s+your snapshot NAME as a tar on the SSH channel/);
});
