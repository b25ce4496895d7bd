// A stop that arrives while the supervisor starts (a signal during boot) waits for the start
// to settle and then closes everything it opened: the directory is free afterwards and
// health.json says stopped.
import { join } from 'node:path';
import t from 'tap';
import { MemoryLog } from '../../../appliance/log.js';
import { BlockStore } from '../../../appliance/store/index.js';
import { defaultConfig } from '../../../appliance/supervisor/config.js';
import { readHealth } from '../../../appliance/supervisor/health.js';
import { Supervisor } from '../../../appliance/supervisor/index.js';
import { tmpDir } from '../../helpers/tmp.js';

t.test('stop during start', async (t) => {
  const data = await tmpDir(t);
  const config = defaultConfig(false);
  config.ninep.listen = ['127.0.0.1:0'];
  config.ssh.listen = '127.0.0.1:0';
  config.peer.listen = ['127.0.0.1:0'];
  const sup = new Supervisor({ data, log: new MemoryLog(), config });
  const started = sup.start();
  const stopped = sup.stop();
  await started;
  await stopped;
  t.equal(sup.health, 'stopped');
  t.match(await readHealth(data), { state: 'stopped' });
  const store = await BlockStore.open(join(data, 'store')); // the lock was released
  await store.close();
});
