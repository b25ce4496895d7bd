// A reader that goes away early (`colony import DIR | head -1`) must end the command quietly:
// status 141 (as a pipe writer killed by SIGPIPE), no stack trace on standard error.
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { childEnv, cliEntry, repoRoot, runCli, tsLoader } from '../../helpers/cli.js';
import { tmpDir } from '../../helpers/tmp.js';

interface Closed { code: number | null; signal: NodeJS.Signals | null; stderr: string }

/**
 * Runs the CLI with standard output read by a reader that closes its end: at once
 * (`| true`), or after the first chunk (`| head -c1`). Nothing else waits for it.
 */
function runClosing(args: string[], env: NodeJS.ProcessEnv, when: 'at-once' | 'after-first'): Promise<Closed> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...tsLoader, cliEntry, ...args], { cwd: repoRoot, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
    if (when === 'at-once') child.stdout.destroy();
    else child.stdout.once('data', () => child.stdout.destroy());
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
}

t.test('import, scores and export - end quietly when standard output is closed', async (t) => {
  const base = await tmpDir(t);
  const env = { COLONY_DATA: join(base, 'var') };
  const src = join(base, 'src');
  await mkdir(join(src, 'etc'), { recursive: true });
  for (let i = 0; i < 20; i++) await writeFile(join(src, `file-${i}`), `file ${i}\n`);
  await writeFile(join(src, 'big.bin'), Buffer.alloc(2_000_000, 3)); // far beyond a pipe's buffer
  const first = await runCli(['import', src, 'tree'], { env });
  t.equal(first.code, 0, first.stderr);

  const cases: Array<[string, string[], 'at-once' | 'after-first']> = [
    ['import DIR', ['import', src, 'tree-2'], 'at-once'],
    ['scores', ['scores'], 'at-once'],
    ['export NAME -', ['export', 'tree', '-'], 'after-first'],
  ];
  for (const [what, args, when] of cases) {
    const r = await runClosing(args, env, when);
    t.equal(r.code, 141, `${what}: the status of a writer killed by SIGPIPE`);
    t.notMatch(r.stderr, /EPIPE|Error:|\n\s+at /, `${what}: no stack trace (${r.stderr})`);
  }
  const after = await runCli(['scores'], { env });
  t.match(after.stdout.toString(), /tree-2/, 'the import itself finished before its report hit the closed pipe');
});
