// Test helpers that own their clean-up: each registers its own teardown on the test.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { BlockStore, type StoreOptions } from '../../appliance/store/index.js';

export async function tmpDir(t: Test, prefix = 'colony-test-'): Promise<string> {
  const dir = await mkdtemp(join(process.env.COLONY_TEST_TMP ?? tmpdir(), prefix));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A fresh store in its own directory, closed when the test ends. */
export async function tmpStore(t: Test, options: StoreOptions = {}): Promise<{ store: BlockStore; dir: string }> {
  const dir = await tmpDir(t);
  const store = await BlockStore.open(dir, options);
  t.teardown(() => store.close().catch(() => {}));
  return { store, dir };
}
