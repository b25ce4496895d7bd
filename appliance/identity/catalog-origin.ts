// The catalog's origin id: the name this node signs its catalog events with. A data
// directory made before appliance/identity/ has a random hex id in DATA/node-id, and its
// catalog history carries that id; changing it would make the node's own past events look
// like another node's. So DATA/node-id stays the origin wherever it exists. A new data
// directory records the peer id there instead, so old and new directories read alike.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ColonyError, fromSystemError } from '../errors.js';
import { writeFileDurably } from '../files.js';
import type { Identity } from './key-file.js';

export const NODE_ID_FILE = 'node-id';

/** What the catalog accepts as an origin (appliance/catalog/syntax.ts checks it again). */
const ORIGIN = /^[A-Za-z0-9_.:-]{1,128}$/;

async function readOrigin(path: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fromSystemError(err, `reading ${path} (the origin of this node's catalog events)`);
  }
  const id = text.trim();
  if (!ORIGIN.test(id)) throw new ColonyError('COLONY_CORRUPT_DATA', `${path} is damaged (it names this node's catalog events): restore it from a backup`);
  return id;
}

/**
 * DATA/node-id when it exists (a data directory older than the node key keeps its id);
 * otherwise the identity's node id, recorded in DATA/node-id. `identity` is asked for only
 * when the file is missing, so an old directory does not need its key read to find it.
 */
export async function catalogOrigin(data: string, identity: () => Promise<Identity>): Promise<string> {
  const path = join(data, NODE_ID_FILE);
  const existing = await readOrigin(path);
  if (existing !== undefined) return existing;
  const id = (await identity()).nodeId;
  try {
    await writeFileDurably(path, id + '\n', 0o600, { exclusive: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw fromSystemError(err, `writing ${path}`);
    return (await readOrigin(path)) ?? id; // another process recorded it first
  }
  return id;
}
