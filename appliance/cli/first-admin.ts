// Where `colony serve` puts the first admin's one-time password. On a terminal a person is
// watching, so it is shown there. Otherwise standard error is a log stream (journald, a
// pipe) that must never hold it: it goes to DATA/first-admin-password (mode 0600) and the
// log line says where. The catalog marks it one-time, so the first SSH login must choose a
// new one; when that happens the file is deleted (and at any later start, if still there).
import { chmodSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIRST_ADMIN, type Catalog } from '../catalog/index.js';
import type { Log } from '../log.js';

import { FIRST_ADMIN_FILE } from '../supervisor/index.js';

export { FIRST_ADMIN_FILE };

type Err = NodeJS.WritableStream & { isTTY?: boolean };

/** Shows the one-time password on a terminal, or stores it in DATA/first-admin-password and says so. */
export function announceFirstAdmin(data: string, err: Err, name: string, password: string): void {
  if (err.isTTY === true) {
    err.write(`\ncolony: created the first admin user '${name}' with the one-time password: ${password}\n`);
    err.write('colony: it is shown only now and stored only as a hash; the first login (ssh or the serial console) must choose a new one.\n\n');
    return;
  }
  const path = join(data, FIRST_ADMIN_FILE);
  writeFileSync(path, `${password}\n`, { mode: 0o600 });
  chmodSync(path, 0o600); // a file left by an older start keeps its mode otherwise
  err.write(`colony: created the first admin user '${name}'; its one-time password is in ${path} (mode 0600, deleted once it is changed); the first login (ssh or the serial console) must choose a new one\n`);
}

/**
 * Deletes DATA/first-admin-password once the first admin's password is no longer one-time:
 * now if it already is not, else when it is changed. Returns the way to stop watching.
 */
export function watchFirstAdminFile(data: string, catalog: Pick<Catalog, 'mustChangePassword' | 'onPasswordChange'> | undefined, log: Log): () => void {
  const path = join(data, FIRST_ADMIN_FILE);
  const drop = (): void => {
    try {
      unlinkSync(path);
      log.info({ path }, 'the first admin password was changed: its file is deleted');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') log.warn({ path, err: (e as Error).message }, 'cannot delete the first admin password file');
    }
  };
  if (!catalog) return () => {};
  if (!catalog.mustChangePassword(FIRST_ADMIN)) { drop(); return () => {}; }
  const stop = catalog.onPasswordChange((name) => {
    if (name === FIRST_ADMIN && !catalog.mustChangePassword(name)) { drop(); stop(); }
  });
  return stop;
}
