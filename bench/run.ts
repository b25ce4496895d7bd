// `npm run bench`: every benchmark in turn. Each prints its figures beside an anchor
// measured in the same run. Pass names to run some: `npm run bench -- store`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const all = ['store', 'import', 'gc', 'spawn', 'ninep', 'grid', 'hw'];
const chosen = process.argv.slice(2).length ? process.argv.slice(2) : all;
let failed = 0;
for (const name of chosen) {
  const file = join(import.meta.dirname, `${name}.ts`);
  if (!existsSync(file)) { console.log(`bench/${name}: not written yet`); continue; }
  console.log(`\n=== bench/${name}`);
  // The heap flag the supervisor runs with (see docs/operator.md), for the benches that serve in-process.
  const r = spawnSync(process.execPath, ['--initial-old-space-size=64', '--import', 'tsx', file], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exitCode = failed ? 1 : 0;
