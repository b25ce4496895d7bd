// A data directory with one registered name, `deb` (owner admin; /etc/passwd with root and
// alice, and /hello), and an in-process Supervisor on it listening on ephemeral ports.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Test } from 'tap';
import { Catalog } from '../../../appliance/catalog/index.js';
import { MemoryLog } from '../../../appliance/log.js';
import { importDirectory } from '../../../appliance/snapshot/index.js';
import { BlockStore } from '../../../appliance/store/index.js';
import { defaultConfig, validateConfig } from '../../../appliance/supervisor/config.js';
import { Supervisor } from '../../../appliance/supervisor/index.js';
import { NinepClient, L_O_RDWR } from '../../../appliance/ninep/index.js';
import { nodeIdOf } from '../../../appliance/supervisor/node-id.js';
import { tmpDir } from '../../helpers/tmp.js';

/** A fresh data directory with user admin and the name `deb`; returns its path. */
export async function preparedData(t: Test): Promise<string> {
  const data = await tmpDir(t);
  const src = join(data, 'src');
  await mkdir(join(src, 'etc'), { recursive: true });
  await writeFile(join(src, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n');
  await writeFile(join(src, 'hello'), 'hello from colony\n');
  const store = await BlockStore.open(join(data, 'store'));
  const catalog = await Catalog.open(join(data, 'catalog'), { nodeId: await nodeIdOf(data) });
  await catalog.addUser({ name: 'admin', role: 'admin' });
  const { root } = await importDirectory(store, src);
  await store.sync();
  await catalog.registerName({ owner: 'admin', name: 'deb', root });
  await catalog.close();
  await store.close();
  return data;
}

/** A Supervisor started on `data` (9P and SSH on 127.0.0.1:0), stopped when the test ends. */
export async function startedSupervisor(t: Test, data: string) {
  const log = new MemoryLog();
  const config = validateConfig({ ninep: { listen: ['127.0.0.1:0'] }, ssh: { listen: '127.0.0.1:0' }, peer: { listen: ['127.0.0.1:0'] }, web: { enabled: false }, environments: { checkpointSeconds: 3600 } }, defaultConfig(false));
  const sup = new Supervisor({ data, log, config });
  await sup.start();
  t.teardown(() => sup.stop().catch(() => {}));
  return { sup, log, tcp: sup.ninepAddresses.find((a) => a.includes(':'))!, unix: join(data, '9p.sock') };
}

/** One line written to the ctl file over the unix socket `unix`, as admin; the reply. */
export async function ctlLine(unix: string, line: string): Promise<string> {
  const c = await NinepClient.connect(unix);
  try {
    const { fid } = await c.attach('ctl', 'admin');
    const f = await c.walkPath(fid, 'ctl');
    await c.open(f, L_O_RDWR);
    await c.write(f, 0, Buffer.from(line));
    return (await c.readAll(f)).toString();
  } finally { c.close(); }
}
