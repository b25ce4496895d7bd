// `npm run bench`: every benchmark in turn. Each prints its figures beside an anchor
// measured in the same run, and one line starting `summary NAME:`; those lines are
// collected into one table at the end. Pass names to run some: `npm run bench -- store`.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const all = ['store', 'import', 'gc', 'spawn', 'ninep', 'grid', 'hw', 'idle'];
const chosen = process.argv.slice(2).length ? process.argv.slice(2) : all;

/** Runs one bench, passing its output through, and returns its summary lines and exit status. */
function runOne(file: string): Promise<{ code: number | null; summaries: string[] }> {
  // The heap flag the supervisor runs with (see docs/operator.md), for the benches that serve in-process.
  const child = spawn(process.execPath, ['--initial-old-space-size=64', '--import', 'tsx', file], { stdio: ['inherit', 'pipe', 'inherit'] });
  const summaries: string[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    process.stdout.write(`${line}\n`);
    if (line.startsWith('summary ')) summaries.push(line.slice('summary '.length));
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, summaries })));
}

let failed = 0;
const table: string[] = [];
for (const name of chosen) {
  const file = join(import.meta.dirname, `${name}.ts`);
  if (!existsSync(file)) { console.log(`bench/${name}: not written yet`); continue; }
  console.log(`\n=== bench/${name}`);
  const { code, summaries } = await runOne(file);
  if (code !== 0) { failed++; table.push(`${name}: FAILED (exit ${code})`); }
  table.push(...(summaries.length ? summaries : code === 0 ? [`${name}: (no summary line)`] : []));
}
console.log('\n=== summary');
for (const line of table) console.log(line);
process.exitCode = failed ? 1 : 0;
