// A child process for crash-child tests: opens a catalog and either holds it open or
// appends names in a loop, printing `ack N` after each append returns. Run by the
// tests with arguments; with none (as when tap runs every file here) it does nothing.
import { Catalog } from '../../../appliance/catalog/index.js';
import { fastScrypt, score } from '../../unit/catalog/fixtures.js';

const [dir, mode] = process.argv.slice(2);
const MAX_APPENDS = 100_000;
const HOLD_MS = 60_000;

if (dir && mode) {
  const c = await Catalog.open(dir, { nodeId: 'crashy', scrypt: fastScrypt });
  if (mode === 'hold') {
    process.stdout.write('ready\n');
    setTimeout(() => void c.close().then(() => process.exit(0)), HOLD_MS);
  } else {
    if (c.stats().users === 0) await c.addUser({ name: 'alice', role: 'admin' });
    // Pipes are written synchronously on Linux, so an `ack` the parent reads was printed
    // after its append had returned.
    for (let i = 0; i < MAX_APPENDS; i++) {
      const rec = await c.registerName({ owner: 'alice', name: `n${c.stats().seq}`, root: score(i % 256) });
      process.stdout.write(`ack ${rec.name}\n`);
    }
    await c.close();
  }
}
