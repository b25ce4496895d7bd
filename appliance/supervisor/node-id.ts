// The origin id of this data directory's catalog events (see appliance/identity/): the
// id in DATA/node-id when a directory has one, else the node key's peer id, recorded
// there. One-shot commands (cli/data-dir.ts) and the supervisor both call this, so every
// process on one data directory agrees on it.
import { catalogOrigin, loadOrCreateIdentity } from '../identity/index.js';

export async function nodeIdOf(data: string): Promise<string> {
  return catalogOrigin(data, () => loadOrCreateIdentity(data));
}
