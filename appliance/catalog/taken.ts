// The check every new name passes before an import reads a byte: valid syntax, and not
// taken or forgotten (names are immutable and never reused). Shared by `colony import` and the SSH console's import.
import { exists, isColonyError } from '../errors.js';
import type { Catalog } from './catalog.js';
import { forgottenError } from './forget.js';
import { checkName } from './syntax.js';

export function refuseTakenName(catalog: Catalog, owner: string, name: string): void {
  checkName(name);
  if (catalog.isForgotten(owner, name)) throw forgottenError(owner, name);
  try {
    catalog.getName(owner, name);
  } catch (err) {
    if (isColonyError(err, 'COLONY_NOT_FOUND')) return;
    throw err;
  }
  throw exists(`${owner}'s name ${name} (names are immutable; pick another)`);
}
