// Log lines: readable on a terminal, JSON elsewhere, and never a key twice.
import { spawnSync } from 'node:child_process';
import t from 'tap';
import { chooseLogFormat, withoutBound } from '../../appliance/log.js';
import { childEnv, repoRoot, tsLoader } from '../helpers/cli.js';

t.test('which format', async (t) => {
  t.equal(chooseLogFormat('auto', true, {}), 'pretty');
  t.equal(chooseLogFormat('auto', false, {}), 'json');
  t.equal(chooseLogFormat('json', true, {}), 'json');
  t.equal(chooseLogFormat('pretty', false, {}), 'pretty');
  t.equal(chooseLogFormat('auto', true, { COLONY_LOG_FORMAT: 'json' }), 'json', 'the environment wins');
  t.equal(chooseLogFormat('json', false, { COLONY_LOG_FORMAT: 'pretty' }), 'pretty');
  t.equal(chooseLogFormat('json', true, { COLONY_LOG_FORMAT: 'nonsense' }), 'json', 'an unknown value is ignored');
});

t.test('call-site keys that repeat a binding', async (t) => {
  const bound = new Map<string, unknown>([['pid', 7], ['user', 'alice'], ['msg', undefined]]);
  t.same(withoutBound({ pid: 7, user: 'alice', x: 1 }, bound), { x: 1 }, 'equal values are dropped');
  t.same(withoutBound({ user: 'bob' }, bound), { user_: 'bob' }, 'a different value is kept under another name');
  t.same(withoutBound({ msg: 'hi', msg_: 1 }, bound), { msg__: 'hi', msg_: 1 });
});

t.test('a real logger writes no key twice', async (t) => {
  const script = `
    import { createLog } from './appliance/log.ts';
    const log = createLog({ format: 'json', level: 'info' }).child({ service: 'ssh' }).child({ user: 'alice' });
    log.info({ pid: process.pid, user: 'alice', service: 'ssh', n: 1 }, 'one');
    log.warn({ user: 'bob', hostname: 'elsewhere' }, 'two');`;
  const r = spawnSync(process.execPath, [...tsLoader, '--input-type=module', '-e', script], { cwd: repoRoot, env: childEnv(), encoding: 'utf8', timeout: 30_000 });
  const lines = r.stderr.trim().split('\n');
  t.equal(lines.length, 2, r.stderr);
  for (const line of lines) {
    const keys = [...line.matchAll(/"([^"]+)":/g)].map((m) => m[1]);
    t.same(keys.length, new Set(keys).size, `no key twice: ${line}`);
  }
  t.match(JSON.parse(lines[1]!), { user: 'alice', user_: 'bob', hostname_: 'elsewhere', msg: 'two' });
});
