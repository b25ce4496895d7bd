// The console socket (DATA/console.sock, `colony console` through a running supervisor):
// a connection that said hello as alice stays the old alice's after she is removed and
// added again; its next line gets "was removed" and ends, and a new hello works.
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { Catalog } from '../../../appliance/catalog/index.js';
import type { ConsoleReply } from '../../../appliance/console/index.js';
import { FRAME, FrameReader, jsonFrame, parseJson, type Frame } from '../../../appliance/console/local-protocol.js';
import type { Grid } from '../../../appliance/grid/index.js';
import { MemoryLog } from '../../../appliance/log.js';
import { listenConsole } from '../../../appliance/supervisor/console-socket.js';
import { tmpDir } from '../../helpers/tmp.js';
import { fastScrypt } from '../../unit/catalog/fixtures.js';

/** One connection: hello as `user`, then lines, each answered by one frame. */
async function client(t: Test, path: string, user: string) {
  const sock: Socket = connect(path);
  t.teardown(() => sock.destroy());
  const reader = new FrameReader();
  const frames: Frame[] = [];
  let waiter: (() => void) | undefined;
  sock.on('data', (b: Buffer) => { frames.push(...reader.push(b)); waiter?.(); });
  const next = async (): Promise<Frame> => {
    for (let i = 0; i < 200 && frames.length === 0; i++) await new Promise<void>((r) => { waiter = r; setTimeout(r, 50); });
    const f = frames.shift();
    if (!f) throw new Error('no frame came');
    return f;
  };
  sock.write(jsonFrame(FRAME.HELLO, { protocol: 'colony-local', version: 1, user }));
  t.equal((await next()).type, FRAME.WELCOME);
  return {
    line: async (line: string): Promise<ConsoleReply> => {
      sock.write(jsonFrame(FRAME.LINE, { line }));
      const f = await next();
      t.equal(f.type, FRAME.REPLY);
      return parseJson<ConsoleReply>(f);
    },
  };
}

t.test('a re-added user is a new account on the console socket', async (t) => {
  const dir = await tmpDir(t);
  const catalog = await Catalog.open(join(dir, 'catalog'), { nodeId: 'node-s', scrypt: fastScrypt });
  t.teardown(() => catalog.close());
  await catalog.addUser({ name: 'admin', role: 'admin' });
  await catalog.addUser({ name: 'alice', role: 'user' });
  const path = join(dir, 'console.sock');
  const server = await listenConsole(path, { grid: {} as Grid, catalog, log: new MemoryLog() });
  t.teardown(() => server.close());

  const old = await client(t, path, 'alice');
  t.equal((await old.line('whoami')).output, 'alice (user)');
  await catalog.removeUser('alice');
  await catalog.addUser({ name: 'alice', role: 'user' });
  const gone = await old.line('whoami');
  t.equal(gone.output, "error: the account 'alice' was removed; this session ends");
  t.equal(gone.error, 'COLONY_AUTH');
  t.equal(gone.exit, true);

  const fresh = await client(t, path, 'alice');
  t.equal((await fresh.line('whoami')).output, 'alice (user)', 'a new hello is the new account');
});
