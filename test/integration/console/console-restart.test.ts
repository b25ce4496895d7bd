// The console holds the data directory; disk environments come back when it restarts,
// even after a SIGKILL; ram environments do not.
import { join } from 'node:path';
import t from 'tap';
import { BlockStore } from '../../../appliance/store/index.js';
import { consoleChild, consoleRun, seededData } from './helpers.js';

t.test('disk environments come back; ram ones do not', async (t) => {
  const data = await seededData(t);
  const first = await consoleRun(data, ['--user', 'alice'], ['spawndisk debian', 'spawn plain']);
  t.equal(first.code, 0, first.stderr);
  const aname = /^aname: (\S+)$/m.exec(first.stdout.toString())?.[1];
  t.ok(aname);
  const second = await consoleRun(data, ['--user', 'alice'], ['status']);
  const out = second.stdout.toString();
  t.match(out, /^debian\s+alice\s+alice\/debian\s+disk\s/m);
  t.ok(out.includes(aname!), 'with the same token');
  t.notMatch(out, /^plain\s/m, 'the ram environment ended with the console');
});

t.test('a SIGKILLed console: the disk environment and its last save come back', async (t) => {
  const data = await seededData(t);
  const child = consoleChild(data, ['--user', 'alice']);
  let out = '';
  let err = '';
  child.stderr.on('data', (b: Buffer) => { err += b.toString(); });
  const waitFor = (re: RegExp) => new Promise<void>((resolve, reject) => {
    const check = () => { if (re.test(out)) { child.stdout.off('data', on); child.off('close', closed); resolve(); } };
    const on = (b: Buffer) => { out += b.toString(); check(); };
    const closed = () => reject(new Error(`console exited early: ${err}`));
    child.stdout.on('data', on);
    child.on('close', closed);
    check();
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_code, signal) => resolve(signal)));
  child.stdin.write('spawndisk debian\n');
  await waitFor(/^aname: /m);
  child.stdin.write('save debian debian-kept\n');
  await waitFor(/^saved debian as alice\/debian-kept/m);
  child.kill('SIGKILL');
  t.equal(await exited, 'SIGKILL');
  const after = await consoleRun(data, ['--user', 'alice'], ['status', 'scores kept']);
  t.equal(after.code, 0, after.stderr);
  t.match(after.stdout.toString(), /^debian\s+alice\s+alice\/debian-kept\s+disk\s/m, 'back, on the saved base');
  t.match(after.stdout.toString(), /^alice\/debian-kept\s/m);
});

t.test('SIGINT and SIGTERM close a piped console cleanly', async (t) => {
  const data = await seededData(t);
  for (const [signal, env] of [['SIGINT', 'one'], ['SIGTERM', 'two']] as const) {
    const child = consoleChild(data, ['--user', 'alice']);
    let out = '';
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const spawned = new Promise<void>((resolve) => child.stdout.on('data', (b: Buffer) => { out += b.toString(); if (/^aname: /m.test(out)) resolve(); }));
    child.stdin.write(`spawndisk debian as ${env}\n`);
    await Promise.race([spawned, exited]);
    child.kill(signal);
    t.equal(await exited, 0, `${signal}: status 0`);
  }
  const after = await consoleRun(data, ['--user', 'alice'], ['status']);
  t.match(after.stdout.toString(), /^one\s+alice/m);
  t.match(after.stdout.toString(), /^two\s+alice/m);
});

t.test('a second process on the data directory gets COLONY_LOCKED', async (t) => {
  const data = await seededData(t);
  const holder = await BlockStore.open(join(data, 'store'));
  t.teardown(() => holder.close());
  const r = await consoleRun(data, [], ['status']);
  t.equal(r.code, 1);
  t.match(r.stderr, /COLONY_LOCKED: .* is in use by another Colony process/);
  t.equal(r.stdout.toString(), '');
});
