// `import NAME` / `export NAME` outside an SSH exec: the grammar, and the hint every other
// adapter (the colony> prompt, the serial console, ctl, the console socket) answers with.
import t from 'tap';
import { parseTransfer, runLine, type ConsoleContext } from '../../../appliance/console/index.js';

t.test('the grammar', async (t) => {
  t.same(parseTransfer('import deb'), { kind: 'import', name: 'deb' });
  t.same(parseTransfer('  export  deb-2 '), { kind: 'export', name: 'deb-2' });
  t.same(parseTransfer('import --help'), { kind: 'help', verb: 'import' });
  t.equal(parseTransfer('scores'), undefined);
  t.equal(parseTransfer('importer x'), undefined);
  for (const bad of ['import', 'export', 'import a b', 'import -x', 'export --force a']) {
    t.throws(() => parseTransfer(bad), { code: 'COLONY_USAGE' }, bad);
  }
});

t.test('typed at a console line, they say how to run them over SSH', async (t) => {
  const ctx: ConsoleContext = { user: 'alice', node: { id: 'n', version: '0', started: 0, sshPort: 2022 } };
  t.same(await runLine(ctx, 'import deb'), {
    output: 'error: import takes a tar on the SSH channel, which a console line cannot carry: run ssh -p 2022 alice@HOST import deb < tree.tar',
    error: 'COLONY_UNSUPPORTED',
  });
  t.match(await runLine(ctx, 'export deb'), { error: 'COLONY_UNSUPPORTED', output: /gives a tar on the SSH channel.*ssh -p 2022 alice@HOST export deb > tree\.tar$/ });
  t.match(await runLine({ user: 'bob' }, 'import deb'), { output: /ssh -p 2222 bob@HOST import deb < tree\.tar/ }, 'the default port without a node');
  t.match(await runLine(ctx, 'import'), { error: 'COLONY_USAGE', output: 'error: usage: import NAME' });
  t.match(await runLine(ctx, 'import --help'), { output: /^import NAME\n  ssh -p 2022 alice@HOST import NAME < tree\.tar\n/ });
  t.match(await runLine(ctx, 'help export'), { output: /^export NAME\n  your snapshot NAME as a tar on the SSH channel: ssh -p 2222 USER@HOST export NAME > tree\.tar$/ });
});
