// This node's id: random, made once and kept in DATA/node-id. The peer layer will derive
// it from the node's key; until then every process on one data directory agrees on it.
import { randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export async function nodeIdOf(data: string): Promise<string> {
  const file = join(data, 'node-id');
  const existing = await readFile(file, 'utf8').then((s) => s.trim()).catch(() => '');
  if (/^[0-9a-f]{16,64}$/.test(existing)) return existing;
  const id = randomBytes(16).toString('hex');
  await writeFile(`${file}.tmp`, id + '\n');
  await rename(`${file}.tmp`, file);
  return id;
}
