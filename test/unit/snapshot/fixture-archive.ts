// A synthetic tar archive covering every entry kind and tree shape, built in code so the
// pinned-format test does not depend on any file system. Changing it changes the pinned
// root score: don't, add a new fixture instead.
import { END_OF_ARCHIVE, encodeTarHeader, padding, type TarHeader } from '../../../appliance/snapshot/tar-write.js';

const h = (path: string, over: Partial<TarHeader> = {}): TarHeader => ({
  path: Buffer.from(path), type: 'file', mode: 0o644, uid: 1000, gid: 1000, mtime: 1_700_000_000_123_456_789n, size: 0, linkname: null, major: 0, minor: 0, xattrs: [], ...over,
});

export function fixtureArchive(): Buffer {
  const parts: Buffer[] = [];
  const add = (hd: TarHeader, body?: Buffer) => { parts.push(encodeTarHeader({ ...hd, size: body?.length ?? 0 })); if (body) parts.push(body, padding(body.length)); };
  add(h('./', { type: 'dir', mode: 0o755, xattrs: [{ name: Buffer.from('user.top'), value: Buffer.from('t') }] }));
  add(h('./many/', { type: 'dir', mode: 0o1777 }));
  for (let i = 0; i < 150; i++) add(h(`./many/entry-${String(i).padStart(3, '0')}`, { mtime: BigInt(i) * 1_000_000_007n }), Buffer.from(`file ${i}\n`));
  const big = Buffer.alloc(600_000);
  for (let i = 0; i < 200_000; i++) big[i] = ((i % 4096) % 251) + 1; // identical full leaves: dedup inside a file
  big.fill(7, 550_000, 560_000);
  add(h('./big', { mode: 0o4755, uid: 0, gid: 0, xattrs: [{ name: Buffer.from('user.bin'), value: Buffer.from([0, 255, 10]) }] }), big);
  add(h('./inline', { mtime: -5n }), Buffer.from('tiny'));
  add(h('./empty'));
  add(h('./link', { type: 'symlink', mode: 0o777, linkname: Buffer.from('big') }));
  add(h('./many/hard', { type: 'link', linkname: Buffer.from('./big') }));
  add(h('./fifo', { type: 'fifo', mode: 0o600 }));
  add(h('./null', { type: 'char', mode: 0o666, major: 1, minor: 3 }));
  add(h('./disk', { type: 'block', mode: 0o660, major: 259, minor: 65536 }));
  add(h('./implied/parent/file'), Buffer.from('under directories the archive never lists'));
  parts.push(END_OF_ARCHIVE);
  return Buffer.concat(parts);
}
