// A data directory seeded for console tests (users admin, alice, bob; alice's `debian`
// and `plain`), and `colony console` run as a child process, piped or on a terminal.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import type { Test } from 'tap';
import { Catalog } from '../../../appliance/catalog/index.js';
import { nodeIdOf } from '../../../appliance/cli/data-dir.js';
import { importDirectory } from '../../../appliance/snapshot/index.js';
import { BlockStore } from '../../../appliance/store/index.js';
import { childEnv, cliEntry, repoRoot, runCli, tsLoader, type CliResult } from '../../helpers/cli.js';
import { tmpDir } from '../../helpers/tmp.js';
import { fastScrypt } from '../../unit/catalog/fixtures.js';
import { makeTree } from '../grid/helpers.js';

export async function seededData(t: Test): Promise<string> {
  const data = await tmpDir(t);
  const nodeId = await nodeIdOf(data);
  const store = await BlockStore.open(join(data, 'store'));
  const catalog = await Catalog.open(join(data, 'catalog'), { nodeId, scrypt: fastScrypt });
  try {
    for (const [name, role] of [['admin', 'admin'], ['alice', 'user'], ['bob', 'user']] as const) await catalog.addUser({ name, role });
    const src = await tmpDir(t);
    await makeTree(join(src, 'debian'));
    await makeTree(join(src, 'plain'), { etc: false });
    await catalog.registerName({ owner: 'alice', name: 'debian', root: (await importDirectory(store, join(src, 'debian'), { xattrs: false })).root });
    await catalog.registerName({ owner: 'alice', name: 'plain', root: (await importDirectory(store, join(src, 'plain'), { xattrs: false })).root });
  } finally {
    await catalog.close();
    await store.close();
  }
  return data;
}

/** `colony console ARGS` with the lines as standard input (a pipe). */
export function consoleRun(data: string, args: string[], lines: string[]): Promise<CliResult> {
  return runCli(['console', '--data', data, ...args], { input: lines.map((l) => l + '\n').join('') });
}

/** A console child whose standard input stays open (for kill tests). */
export function consoleChild(data: string, args: string[]): ChildProcessWithoutNullStreams {
  const script = cliEntry;
  return spawn(process.execPath, [...tsLoader, script, 'console', '--data', data, ...args], {
    cwd: repoRoot, env: childEnv(), stdio: ['pipe', 'pipe', 'pipe'], timeout: 60_000,
  });
}

export const commandLine = (data: string, args: string[]) => {
  const script = cliEntry;
  return [process.execPath, ...tsLoader, script, 'console', '--data', data, ...args];
};

/** Whether script(1) from util-linux is here to make a pseudo-terminal. */
export const hasScript = spawnSync('script', ['--version']).status === 0;
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** `argv` on a pseudo-terminal made by script(1); `screen()` is everything it printed so far. */
export function onTerminal(argv: string[]) {
  const child = spawn('script', ['-q', '-e', '-c', `exec ${argv.map(quote).join(' ')}`, '/dev/null'], { cwd: repoRoot, env: childEnv(), stdio: ['pipe', 'pipe', 'pipe'], timeout: 60_000 });
  let out = '';
  child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
  const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  /** Resolves once the screen so far matches `re` (bounded by the child's timeout). */
  const waitFor = (re: RegExp) => new Promise<void>((resolve, reject) => {
    const check = () => { if (re.test(out)) { child.stdout.off('data', check); resolve(); } };
    child.stdout.on('data', check);
    void closed.then(() => (re.test(out) ? resolve() : reject(new Error(`terminal closed before ${re}; screen:\n${out}`))));
    check();
  });
  return { child, waitFor, closed, screen: () => out };
}
