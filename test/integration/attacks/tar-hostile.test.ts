// Hostile tar headers (issue 12, "keep what held"). fuzz.test.ts in test/integration/snapshot
// keeps path traversal, absolute paths, writing through a symlink and hard links out of the
// tree; this file keeps the header fields an attacker controls byte by byte (NUL in names,
// huge, negative and overflowing numbers in octal, base-256 and pax), and checks the whole
// path through the product: what a hostile archive does get in is exported to a directory
// and nothing lands outside it, and `colony import -` refuses a hostile stream without
// registering a name.
import { lstat, mkdir, readdir, readFile, readlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { isColonyError } from '../../../appliance/errors.js';
import { exportDirectory, importTar } from '../../../appliance/snapshot/index.js';
import { runCli } from '../../helpers/cli.js';
import { tmpDir, tmpStore } from '../../helpers/tmp.js';

const BLOCK = 512;
const pad = (n: number) => Buffer.alloc((BLOCK - (n % BLOCK)) % BLOCK);
const END = Buffer.alloc(2 * BLOCK);

interface Raw {
  name?: Buffer | string; flag?: string; linkname?: string;
  /** Raw 8- or 12-byte field contents; a number is written as octal text. */
  mode?: Buffer | number; uid?: Buffer | number; gid?: Buffer | number; size?: Buffer | number; mtime?: Buffer | number;
  major?: Buffer | number; minor?: Buffer | number;
}

/** One ustar header block with the given fields written exactly as given, and a right checksum. */
function header(r: Raw): Buffer {
  const b = Buffer.alloc(BLOCK);
  const put = (v: Buffer | number | undefined, off: number, len: number, dflt: number) => {
    const x = v ?? dflt;
    if (Buffer.isBuffer(x)) x.copy(b, off, 0, len);
    else b.write(x.toString(8).padStart(len - 1, '0') + '\0', off, 'latin1');
  };
  (Buffer.isBuffer(r.name) ? r.name : Buffer.from(r.name ?? './f', 'latin1')).copy(b, 0, 0, 100);
  put(r.mode, 100, 8, 0o644); put(r.uid, 108, 8, 0); put(r.gid, 116, 8, 0);
  put(r.size, 124, 12, 0); put(r.mtime, 136, 12, 0);
  b.write(r.flag ?? '0', 156, 'latin1');
  if (r.linkname) b.write(r.linkname, 157, 'latin1');
  b.write('ustar\0' + '00', 257, 'latin1');
  put(r.major, 329, 8, 0); put(r.minor, 337, 8, 0);
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const c of b) sum += c;
  b.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
  return b;
}

/** A pax `x` header carrying raw records, for the entry that follows. */
function pax(records: Array<[string, Buffer | string]>): Buffer {
  const body = Buffer.concat(records.map(([k, v]) => {
    const rest = Buffer.concat([Buffer.from(` ${k}=`), Buffer.from(v), Buffer.from('\n')]);
    let len = rest.length + 1;
    while (String(len).length + rest.length !== len) len = String(len).length + rest.length;
    return Buffer.concat([Buffer.from(String(len)), rest]);
  }));
  return Buffer.concat([header({ name: './PaxHeaders/x', flag: 'x', size: body.length }), body, pad(body.length)]);
}

/** GNU base-256: 0x80 (or 0xff for a negative number) then the big-endian two's complement. */
function base256(v: bigint, len: number): Buffer {
  const b = Buffer.alloc(len);
  let x = v < 0n ? (1n << BigInt(8 * len)) + v : v;
  for (let i = len - 1; i >= 1; i--) { b[i] = Number(x & 0xffn); x >>= 8n; }
  b[0] = v < 0n ? 0xff : 0x80;
  return b;
}

const body = (n: number, c = 'x') => Buffer.concat([Buffer.alloc(n, c), pad(n)]);

async function outcome(store: Parameters<typeof importTar>[0], bytes: Buffer): Promise<string> {
  try {
    await importTar(store, [bytes], { created: 0n });
    return 'ok';
  } catch (err) {
    return isColonyError(err) ? `${err.code}: ${err.message}` : `NOT A COLONY ERROR: ${String(err)}`;
  }
}

t.test('hostile header fields are refused with a ColonyError, never crash, hang or misread', async (t) => {
  const { store } = await tmpStore(t);
  const cases: Array<[string, Buffer, RegExp]> = [
    // Names with NUL: a pax path can carry one (a ustar name ends at its first NUL).
    ['a NUL inside a pax path', Buffer.concat([pax([['path', Buffer.from('a\0/../../etc/passwd')]]), header({ size: 3 }), body(3), END]), /^COLONY_INVALID: .*(NUL|"\.\.")/],
    ['a NUL inside a pax name component', Buffer.concat([pax([['path', Buffer.from('ok/a\0b')]]), header({ size: 3 }), body(3), END]), /^COLONY_INVALID: .*NUL/],
    ['a NUL inside a pax symlink target', Buffer.concat([pax([['linkpath', Buffer.from('/etc\0/x')]]), header({ name: './l', flag: '2' }), END]), /^COLONY_INVALID: .*NUL/],
    ['a NUL in a GNU long name (L)', Buffer.concat([header({ name: './././@LongLink', flag: 'L', size: 12 }), Buffer.from('../x\0y/zzzzz'), pad(12), header({ size: 0 }), END]), /^COLONY_INVALID: .*"\.\."/],
    // Sizes: huge, negative, beyond 2^53, not a number.
    ['an octal size of 64 GiB with 3 bytes of body', Buffer.concat([header({ size: 0o777777777777 }), body(3), END]), /^COLONY_CORRUPT_DATA: .*(truncated|ends early)/],
    ['a base-256 size of 2^62', Buffer.concat([header({ size: base256(2n ** 62n, 12) }), body(3), END]), /^COLONY_CORRUPT_DATA: .*out of range/],
    ['a base-256 size of 2^40 with 3 bytes of body', Buffer.concat([header({ size: base256(2n ** 40n, 12) }), body(3), END]), /^COLONY_CORRUPT_DATA: .*(truncated|ends early)/],
    ['a negative base-256 size', Buffer.concat([header({ size: base256(-512n, 12) }), body(3), END]), /^COLONY_CORRUPT_DATA: .*negative size/],
    ['a size that is not octal', Buffer.concat([header({ size: Buffer.from('0000000009x\0') }), body(3), END]), /^COLONY_CORRUPT_DATA: .*not a number/],
    ['a pax size of 10^20', Buffer.concat([pax([['size', '100000000000000000000']]), header({ size: 3 }), body(3), END]), /^COLONY_CORRUPT_DATA: .*bad size/],
    ['a negative pax size', Buffer.concat([pax([['size', '-1']]), header({ size: 3 }), body(3), END]), /^COLONY_CORRUPT_DATA: .*bad size/],
    ['a pax extended header claiming 2^40 bytes', Buffer.concat([header({ name: './PaxHeaders/x', flag: 'x', size: base256(2n ** 40n, 12) }), END]), /^COLONY_CORRUPT_DATA: .*extended header/],
    // Owners and device numbers out of the format's range.
    ['a negative base-256 uid', Buffer.concat([header({ uid: base256(-2n, 8) }), END]), /^COLONY_INVALID: .*owner id -2 out of range/],
    ['a base-256 gid of 2^40', Buffer.concat([header({ gid: base256(2n ** 40n, 8) }), END]), /^COLONY_INVALID: .*owner id \d+ out of range/],
    ['a pax uid of 2^33', Buffer.concat([pax([['uid', String(2 ** 33)]]), header({}), END]), /^COLONY_INVALID: .*owner id \d+ out of range/],
    ['a pax uid that is negative', Buffer.concat([pax([['uid', '-1']]), header({}), END]), /^COLONY_CORRUPT_DATA: .*bad uid/],
    ['a negative device major', Buffer.concat([header({ name: './dev', flag: '3', major: base256(-1n, 8) }), END]), /^COLONY_(INVALID|CORRUPT_DATA)/],
    ['a mtime beyond 2^53 seconds', Buffer.concat([header({ mtime: base256(2n ** 60n, 12) }), END]), /^COLONY_CORRUPT_DATA: .*out of range/],
    ['a pax mtime that is not a time', Buffer.concat([pax([['mtime', '1e99']]), header({}), END]), /^COLONY_CORRUPT_DATA: .*bad time/],
    // Structure: a truncated archive, a missing end marker, an unknown type, no name.
    ['an archive cut inside a body', Buffer.concat([header({ size: 5000 }), Buffer.alloc(1000, 1)]), /^COLONY_CORRUPT_DATA: .*(truncated|ends early)/],
    ['an archive cut inside a header', header({ size: 0 }).subarray(0, 300), /^COLONY_CORRUPT_DATA/],
    ['no end-of-archive marker', Buffer.concat([header({ size: 3 }), body(3)]), /^COLONY_CORRUPT_DATA: .*end-of-archive/],
    ['an unknown entry type', Buffer.concat([header({ flag: 'Q' }), END]), /^COLONY_CORRUPT_DATA: .*unsupported entry type/],
    ['an empty name', Buffer.concat([header({ name: '' }), END]), /^COLONY_CORRUPT_DATA: .*without a name/],
    ['a name that is only "/"', Buffer.concat([header({ name: '/' }), END]), /^COLONY_INVALID: .*absolute/],
    ['a hard link to itself', Buffer.concat([header({ name: './h', flag: '1', linkname: './h' }), END]), /^COLONY_INVALID: .*not an earlier/],
    ['a name of 256 bytes in one component', Buffer.concat([pax([['path', `./${'n'.repeat(256)}`]]), header({}), END]), /^COLONY_INVALID/],
  ];
  for (const [why, bytes, expected] of cases) t.match(await outcome(store, bytes), expected, why);
  // The mode keeps permission bits only: a header cannot make a directory out of a file, or a setuid root shell out of a mode with file-type bits.
  const typed = await importTar(store, [Buffer.concat([header({ name: './sh', mode: 0o104755 }), END])], { created: 0n });
  t.equal(typed.stats.files, 1, 'file-type bits in the mode field are ignored; the entry stays a file');
});

t.test('what a hostile archive may hold is exported into the target and nowhere else', async (t) => {
  const { store } = await tmpStore(t);
  const base = await tmpDir(t);
  const outside = join(base, 'outside');
  await mkdir(outside);
  await writeFile(join(outside, 'victim'), 'untouched\n');
  const target = join(base, 'target');
  // Symlinks pointing out (absolute, "..", to the victim itself), a hard link to such a
  // symlink, a directory named like the symlink's target, and files under real directories.
  const bytes = Buffer.concat([
    header({ name: './', flag: '5', mode: 0o755 }),
    header({ name: './abs', flag: '2', linkname: outside }),
    header({ name: './up', flag: '2', linkname: '../outside' }),
    header({ name: './victim', flag: '2', linkname: join(outside, 'victim') }),
    header({ name: './hl', flag: '1', linkname: './victim' }),
    header({ name: './d/', flag: '5', mode: 0o755 }),
    header({ name: './d/file', size: 5 }), body(5, 'd'),
    header({ name: './d/abs', flag: '2', linkname: '/' }),
    END,
  ]);
  const { root } = await importTar(store, [bytes], { created: 0n });
  await exportDirectory(store, root, target);
  t.same((await readdir(outside)).sort(), ['victim'], 'nothing was made outside the target');
  t.equal(await readFile(join(outside, 'victim'), 'utf8'), 'untouched\n', 'and nothing outside was written');
  t.same((await readdir(base)).sort(), ['outside', 'target']);
  t.equal(await readlink(join(target, 'abs')), outside, 'symlinks are data: exported as they are');
  t.ok((await lstat(join(target, 'victim'))).isSymbolicLink());
  t.ok((await lstat(join(target, 'hl'))).isSymbolicLink(), 'a hard link to a symlink is another name of the link, not of its target');
  t.equal(await readFile(join(target, 'd/file'), 'utf8'), 'ddddd');

  // A second export with --force over the first: what stands in the way is replaced, never written through.
  await exportDirectory(store, root, target, { force: true });
  t.equal(await readFile(join(outside, 'victim'), 'utf8'), 'untouched\n', 'force does not write through the symlinks the first export made');
  t.same((await readdir(outside)).sort(), ['victim']);
});

t.test('colony import - refuses a hostile stream (exit 2, invalid input) and registers nothing', async (t) => {
  const base = await tmpDir(t);
  const env = { COLONY_DATA: join(base, 'var') };
  const evil = Buffer.concat([header({ name: './evil', flag: '2', linkname: '/etc' }), header({ name: './evil/passwd', size: 3 }), body(3), END]);
  const r = await runCli(['import', '-', 'evil'], { env, input: evil });
  t.equal(r.code, 2, r.stderr);
  t.match(r.stderr, /COLONY_INVALID: .*passes through a symlink/);
  const names = await runCli(['scores', '--json'], { env });
  t.same(JSON.parse(names.stdout.toString() || '[]'), [], 'no name was registered');
});
