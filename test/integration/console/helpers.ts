// A data directory seeded for console tests (users admin, alice, bob; alice's `debian`
// and `plain`), and the CLI run as a child: through runCli when main.ts registers the
// console command, else through cli-entry.ts, which adds it.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Test } from 'tap';
import { Catalog } from '../../../appliance/catalog/index.js';
import { nodeIdOf } from '../../../appliance/cli/data-dir.js';
import { commands } from '../../../appliance/cli/main.js';
import { importDirectory } from '../../../appliance/snapshot/index.js';
import { BlockStore } from '../../../appliance/store/index.js';
import { repoRoot, runCli, type CliResult } from '../../helpers/cli.js';
import { tmpDir } from '../../helpers/tmp.js';
import { fastScrypt } from '../../unit/catalog/fixtures.js';
import { makeTree } from '../grid/helpers.js';

export const registered = commands.some((c) => c.path.join(' ') === 'console');
const entry = fileURLToPath(new URL('./cli-entry.ts', import.meta.url));

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
  const input = lines.map((l) => l + '\n').join('');
  const argv = ['console', '--data', data, ...args];
  if (registered) return runCli(argv, { input });
  return new Promise((resolve, reject) => {
    const child = consoleChild(data, args);
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => { err += b.toString(); });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout: Buffer.concat(out), stderr: err }));
    child.stdin.end(input);
  });
}

/** A console child whose standard input stays open (for kill tests). */
export function consoleChild(data: string, args: string[]): ChildProcessWithoutNullStreams {
  const script = registered ? fileURLToPath(new URL('../../../appliance/cli/run.ts', import.meta.url)) : entry;
  return spawn(process.execPath, ['--import', 'tsx', script, 'console', '--data', data, ...args], {
    cwd: repoRoot, env: { ...process.env }, stdio: ['pipe', 'pipe', 'pipe'], timeout: 60_000,
  });
}

export const commandLine = (data: string, args: string[]) => {
  const script = registered ? fileURLToPath(new URL('../../../appliance/cli/run.ts', import.meta.url)) : entry;
  return [process.execPath, '--import', 'tsx', script, 'console', '--data', data, ...args];
};
