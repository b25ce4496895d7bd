// Opens catalogs in temporary directories and closes them when the test ends.
import type { Test } from 'tap';
import { Catalog, type CatalogOptions } from '../../../appliance/catalog/index.js';
import { tmpDir } from '../../helpers/tmp.js';
import { fastScrypt } from '../../unit/catalog/fixtures.js';
import { signerFor } from '../../unit/catalog/signers.js';

export async function openCatalog(t: Test, dir?: string, options: Partial<CatalogOptions> = {}): Promise<{ catalog: Catalog; dir: string }> {
  const d = dir ?? (await tmpDir(t));
  // Signed like a real node (its key follows from the node id), so replicas accept its events.
  const nodeId = options.nodeId ?? 'node-a';
  const catalog = await Catalog.open(d, { nodeId, scrypt: fastScrypt, signer: signerFor(nodeId), ...options });
  t.teardown(() => catalog.close());
  return { catalog, dir: d };
}

/** A catalog with an admin `root` and plain users alice and bob. */
export async function peopleCatalog(t: Test, options: Partial<CatalogOptions> = {}) {
  const opened = await openCatalog(t, undefined, options);
  await opened.catalog.addUser({ name: 'root', role: 'admin' });
  await opened.catalog.addUser({ name: 'alice', role: 'user' });
  await opened.catalog.addUser({ name: 'bob', role: 'user' });
  return opened;
}
