// The heap bound's config keys: defaults, and a bad fraction named by its key.
import t from 'tap';
import { defaultConfig, validateConfig } from '../../../appliance/supervisor/config.js';

t.test('environments.heapFraction and diskHeapBytes: defaults and checks', async (t) => {
  const d = defaultConfig(false);
  t.same([d.environments.heapFraction, d.environments.diskHeapBytes], [0.5, 32 << 20]);
  t.equal(validateConfig({ environments: { heapFraction: 0.25, diskHeapBytes: 8 << 20 } }, d).environments.heapFraction, 0.25);
  for (const bad of [0, 1.5, -1, '0.5']) {
    t.throws(() => validateConfig({ environments: { heapFraction: bad } }, d), { code: 'COLONY_INVALID', message: /'environments.heapFraction': expected a number above 0 and at most 1/ }, String(bad));
  }
  t.throws(() => validateConfig({ environments: { diskHeapBytes: 1000 } }, d), { message: /'environments.diskHeapBytes'/ });
});
