// What the serial console shows before anyone has logged in (physical presence): the node id,
// its addresses, and the first admin's one-time password, so a person with a serial cable
// and no network can take over a freshly flashed appliance.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { addresses } from '../../hw/sysinfo/index.js';
import { FIRST_ADMIN, type Catalog } from '../catalog/index.js';

/** DATA/first-admin-password: the first admin's one-time password when no terminal watched the start (cli/first-admin.ts). */
export const FIRST_ADMIN_FILE = 'first-admin-password';

/**
 * First-boot facts for the serial line (physical presence): shown before any admin has logged
 * in, i.e. while the first admin's password is still one-time. The password itself is shown
 * only if `colony serve` stored it in DATA/first-admin-password (it does when no terminal
 * watched the start).
 */
export function firstBootInfo(data: string, catalog: Pick<Catalog, 'mustChangePassword'>, nodeId: string): { nodeId: string; addresses: string[]; password?: string } | undefined {
  let must = false;
  try { must = catalog.mustChangePassword(FIRST_ADMIN); } catch { /* no such user: not first boot */ }
  if (!must) return undefined;
  let password: string | undefined;
  try { password = readFileSync(join(data, FIRST_ADMIN_FILE), 'utf8').trim() || undefined; } catch { /* not stored: it was shown on a terminal */ }
  return { nodeId, addresses: addresses(), ...(password ? { password } : {}) };
}
