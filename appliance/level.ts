// Opening a LevelDB database the same way everywhere: buffer keys and values, and the
// lock another process holds reported as COLONY_LOCKED with what the database is.
import { ClassicLevel } from 'classic-level';
import { ColonyError, fromSystemError } from './errors.js';

export async function openLevel(path: string, what: string): Promise<ClassicLevel<Buffer, Buffer>> {
  const db = new ClassicLevel<Buffer, Buffer>(path, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  try {
    await db.open();
  } catch (err) {
    const code = (err as { code?: string; cause?: { code?: string } }).cause?.code ?? (err as { code?: string }).code;
    if (code === 'LEVEL_LOCKED') throw new ColonyError('COLONY_LOCKED', `${what} ${path} is in use by another process`, { cause: err });
    throw fromSystemError(err, `opening ${what} ${path}`);
  }
  return db;
}
