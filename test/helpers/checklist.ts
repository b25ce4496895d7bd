// What the POSIX-checklist and conformance system tests share: the mount modes they run in,
// and running the checklist against a server whose failures are documented.
import type { Test } from 'tap';
import { parseTap, posixChecklist, runGuest, type GuestMount, type MountOptions, type TapSummary } from './vm.js';

/** The mount modes the checklist and the conformance suites run in. */
export const checkedModes: MountOptions[] = [{ access: 'user', cache: 'none' }, { access: 'client', cache: 'loose' }];

export const modeName = (m: MountOptions) => `access=${m.access} cache=${m.cache}`;

/**
 * Runs the POSIX checklist in a guest on `target` (a unix socket with mount options, or a tcp
 * mount line) and asserts that the run reached its plan and that `who` fails exactly the
 * checks named in `facts`. `mode` names the run in the comments.
 */
export async function runChecklist(t: Test, who: string, target: GuestMount, mode: string, facts: Record<string, string>): Promise<TapSummary> {
  const r = await runGuest({ ...target, script: posixChecklist(), timeoutMs: 420_000 });
  t.ok(r.mounted, 'mounted', { bootLog: r.bootLog });
  const tap = parseTap(r.output);
  t.ok(tap.plan && tap.plan === tap.results.length, `the checklist ran to its plan (${tap.results.length} of ${tap.plan ?? '?'})`, { output: r.output });
  t.comment(`${who}, ${mode}: pass ${tap.pass.length}, fail ${tap.fail.length}, todo ${tap.todo.length} (client limits) of ${tap.results.length}; script ${r.ms.script} ms`);
  for (const f of tap.results.filter((x) => !x.ok && !x.todo)) t.comment(`${who} fails: ${f.name}${f.detail ? ` # ${f.detail}` : ''}`);
  t.same([...tap.fail].sort(), Object.keys(facts).sort(), `${who} fails exactly the documented checks`);
  return tap;
}
