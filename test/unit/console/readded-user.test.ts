// A user removed and added again under the same name is a new account: a console context
// or session that logged in as the old one gets "was removed" and ends, while a new login
// acts as the new account. Over a real catalog, whose accounts tell the two apart.
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import t, { type Test } from 'tap';
import { Catalog } from '../../../appliance/catalog/index.js';
import { loginAccount, runLine, Session, type ConsoleContext } from '../../../appliance/console/index.js';
import { tmpDir } from '../../helpers/tmp.js';
import { fastScrypt } from '../catalog/fixtures.js';

async function catalogWithAlice(t: Test): Promise<Catalog> {
  const catalog = await Catalog.open(join(await tmpDir(t), 'catalog'), { nodeId: 'node-a', scrypt: fastScrypt });
  t.teardown(() => catalog.close());
  await catalog.addUser({ name: 'root', role: 'admin', password: 'root-secret-1' });
  await catalog.addUser({ name: 'alice', role: 'user', password: 'alice-secret-1' });
  return catalog;
}

const readd = async (catalog: Catalog) => {
  await catalog.removeUser('alice');
  await catalog.addUser({ name: 'alice', role: 'user', password: 'alice-secret-2' });
};

t.test('the catalog gives a re-added user a new account', async (t) => {
  const catalog = await catalogWithAlice(t);
  const old = catalog.getUser('alice').account;
  t.equal(old, 'first', 'a user never removed is in its first life');
  t.equal(catalog.getUser('alice').account, old, 'stable while the account lives');
  await catalog.setPassword('alice', 'alice-secret-3');
  t.equal(catalog.getUser('alice').account, old, 'a password change is the same account');
  await readd(catalog);
  t.not(catalog.getUser('alice').account, old);
  t.equal(loginAccount(catalog, 'nobody'), '', 'no account: matches none');
});

t.test('a context of the old account gets "was removed" after a re-add; a new one works', async (t) => {
  const catalog = await catalogWithAlice(t);
  const old: ConsoleContext = { user: 'alice', accounts: catalog, account: loginAccount(catalog, 'alice')! };
  t.equal((await runLine(old, 'whoami')).output, 'alice (user)');
  await readd(catalog);
  const r = await runLine(old, 'whoami');
  t.equal(r.output, "error: the account 'alice' was removed; this session ends");
  t.equal(r.error, 'COLONY_AUTH');
  t.equal(r.exit, true);
  const fresh: ConsoleContext = { user: 'alice', accounts: catalog, account: loginAccount(catalog, 'alice')! };
  t.equal((await runLine(fresh, 'whoami')).output, 'alice (user)', 'a new login acts as the new account');
  const unpinned: ConsoleContext = { user: 'alice', accounts: catalog };
  t.equal((await runLine(unpinned, 'whoami')).output, 'alice (user)', 'without a pinned account only existence is checked');
});

t.test('a Session pins the account it started as', async (t) => {
  const catalog = await catalogWithAlice(t);
  const input = new PassThrough();
  const output = new PassThrough();
  let text = '';
  output.on('data', (b: Buffer) => { text += b.toString(); });
  const s = new Session({ context: { user: 'alice', accounts: catalog }, input, output, terminal: false });
  const ended = s.run();
  const until = async (needle: string) => {
    for (let i = 0; i < 400 && !text.includes(needle); i++) await new Promise((r) => setTimeout(r, 5));
    t.ok(text.includes(needle), `saw ${JSON.stringify(needle)} in ${JSON.stringify(text)}`);
  };
  input.write('whoami\n');
  await until('alice (user)\n');
  await readd(catalog);
  input.write('whoami\nwhoami\n');
  t.equal(await ended, 'exit', 'the session ends on the refusal');
  t.equal(text, "alice (user)\nerror: the account 'alice' was removed; this session ends\n", 'the old session ran nothing as the new alice');
  t.equal(s.failures, 1);
});
