// bench/grid's way of changing an environment: the planned 1% change written through
// Colony's own 9P client into an attached tree, as any program on a mount would write it.
import type { NinepClient } from '../appliance/ninep/client.js';
import { L_O_CREAT, L_O_TRUNC, L_O_WRONLY } from '../appliance/ninep/constants.js';
import type { ChangePlan } from './grid-tree.js';

/** How many edits are in flight at once: the client is concurrent, one by one would time the round trips. */
const IN_FLIGHT = 8;

/**
 * Applies `plan` under the directory `rootFid` (an attach of the environment). Ops on
 * directories (mkdir) are a barrier: the files in them are created after. Returns the bytes written.
 */
export async function applyOverNinep(c: NinepClient, rootFid: number, plan: ChangePlan): Promise<number> {
  let bytes = 0;
  const one = async (op: ChangePlan['ops'][number]): Promise<void> => {
    const names = op.path.split('/').filter(Boolean);
    if (op.kind === 'write') {
      const { fid } = await c.walk(rootFid, names);
      try {
        await c.open(fid, L_O_WRONLY);
        const n = await c.write(fid, op.offset, op.data);
        bytes += n; // not `bytes += await`: that reads `bytes` before the wait, losing the concurrent edits' counts
      } finally { await c.clunk(fid); }
      return;
    }
    const { fid } = await c.walk(rootFid, names.slice(0, -1));
    try {
      if (op.kind === 'mkdir') { await c.mkdir(fid, names[names.length - 1]!, 0o755); return; }
      // Tlcreate turns the directory's fid into the open new file.
      await c.lcreate(fid, names[names.length - 1]!, L_O_WRONLY | L_O_CREAT | L_O_TRUNC, 0o644);
      const n = await c.write(fid, 0, op.data);
      bytes += n;
    } finally { await c.clunk(fid); }
  };
  let batch: Array<Promise<void>> = [];
  for (const op of plan.ops) {
    if (op.kind === 'mkdir') { await Promise.all(batch); batch = []; await one(op); continue; }
    batch.push(one(op));
    if (batch.length >= IN_FLIGHT) { await Promise.all(batch); batch = []; }
  }
  await Promise.all(batch);
  return bytes;
}
