// The check every new name passes before an import reads a byte: valid syntax, and not
// taken (names are immutable). Shared by `colony import` and the SSH console's import.
import { exists, isColonyError } from '../errors.js';
import type { Catalog } from './catalog.js';
import { checkName } from './syntax.js';

export function refuseTakenName(catalog: Catalog, owner: string, name: string): void {
  checkName(name);
  try {
    catalog.getName(owner, name);
  } catch (err) {
    if (isColonyError(err, 'COLONY_NOT_FOUND')) return;
    throw err;
  }
  throw exists(`${owner}'s name ${name} (names are immutable; pick another)`);
}
