import { ClassicLevel } from 'classic-level';
import t from 'tap';
import { eventKey } from '../../../appliance/catalog/event.js';
import { Catalog } from '../../../appliance/catalog/index.js';
import { tmpDir } from '../../helpers/tmp.js';
import { fastScrypt, score } from '../../unit/catalog/fixtures.js';

/** A closed catalog with four events from node-a, and a way to tamper with its LevelDB. */
async function damaged(t: Parameters<typeof tmpDir>[0], tamper: (db: ClassicLevel<Buffer, Buffer>) => Promise<void>) {
  const dir = await tmpDir(t);
  const c = await Catalog.open(dir, { nodeId: 'node-a', scrypt: fastScrypt });
  await c.addUser({ name: 'alice', role: 'admin' });
  for (let i = 0; i < 3; i++) await c.registerName({ owner: 'alice', name: `n${i}`, root: score(i) });
  await c.close();
  const db = new ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  await tamper(db);
  await db.close();
  return dir;
}

const open = (dir: string) => Catalog.open(dir, { nodeId: 'node-a', scrypt: fastScrypt });

t.test('a corrupted event value fails the open with COLONY_CORRUPT_DATA naming the key', async (t) => {
  const dir = await damaged(t, (db) => db.put(eventKey('node-a', 2), Buffer.from('{"origin":"node-a","seq":2,"ti')));
  await t.rejects(open(dir), { code: 'COLONY_CORRUPT_DATA', message: /event node-a#2 \(key 016e6f64652d6100[0-9a-f]+\) does not hold a valid event/ });
  await t.rejects(open(dir), { code: 'COLONY_CORRUPT_DATA' }, 'the failed open released the lock, and failing is not a one-off');
});

t.test('a value that parses but breaks a field is corrupt too', async (t) => {
  const dir = await damaged(t, async (db) => {
    const v = JSON.parse((await db.get(eventKey('node-a', 3)))?.toString() ?? '{}');
    v.payload.name = 'bad/name';
    await db.put(eventKey('node-a', 3), Buffer.from(JSON.stringify(v)));
  });
  await t.rejects(open(dir), { code: 'COLONY_CORRUPT_DATA', message: /node-a#3.*contains '\/'/ });
});

t.test('an event stored under another key is corrupt', async (t) => {
  const dir = await damaged(t, async (db) => {
    const v = await db.get(eventKey('node-a', 3));
    if (v) await db.put(eventKey('node-a', 2), v);
  });
  await t.rejects(open(dir), { code: 'COLONY_CORRUPT_DATA', message: /event node-a#2 .* holds event node-a#3/ });
});

t.test('a missing event in the middle of an origin is corrupt, not skipped', async (t) => {
  const dir = await damaged(t, (db) => db.del(eventKey('node-a', 2)));
  await t.rejects(open(dir), { code: 'COLONY_CORRUPT_DATA', message: /node-a#3 .*follows node-a#1; events node-a#2..2 are missing/ });
});

t.test('a stray key in the event range is corrupt', async (t) => {
  const dir = await damaged(t, (db) => db.put(Buffer.from([1, 0x41]), Buffer.from('x')));
  await t.rejects(open(dir), { code: 'COLONY_CORRUPT_DATA', message: /key 0141: not an event key/ });
});

t.test('a catalog of another format version is refused', async (t) => {
  const dir = await damaged(t, (db) => db.put(Buffer.from('\u0000format'), Buffer.from('7')));
  await t.rejects(open(dir), { code: 'COLONY_UNSUPPORTED', message: /format "7"/ });
});
