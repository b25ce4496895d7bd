// dbus-next loads only when the system bus socket is there (issue 20, idle cost): a node
// without D-Bus never loads it.
import { createRequire } from 'node:module';
import t from 'tap';
import { MemoryLog } from '../../../appliance/log.js';
import { connectAvahi } from '../../../appliance/discovery/avahi.js';

const loaded = (pkg: string) => Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes(`/node_modules/${pkg}/`));

t.test('no system bus socket: no avahi, and dbus-next not loaded', async (t) => {
  const before = process.env.DBUS_SYSTEM_BUS_ADDRESS;
  process.env.DBUS_SYSTEM_BUS_ADDRESS = 'unix:path=/nonexistent/colony-test/system_bus_socket';
  t.teardown(() => { if (before === undefined) delete process.env.DBUS_SYSTEM_BUS_ADDRESS; else process.env.DBUS_SYSTEM_BUS_ADDRESS = before; });
  t.equal(loaded('dbus-next'), false, 'not loaded at import');
  t.equal(await connectAvahi(new MemoryLog(), 200), undefined);
  t.equal(loaded('dbus-next'), false, 'not loaded without a bus');
});
