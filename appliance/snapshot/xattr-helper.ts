// The xattrs @napi-rs/xattr cannot express (a final path name or an xattr name that is not
// UTF-8; a value it would not read, since it hides the errno): one perl process (perl-base
// is Essential on Debian, and timestamps.ts already relies on it) makes the raw
// llistxattr/lgetxattr/lsetxattr system calls on byte strings, for a whole batch of paths.
// Such names are rare, so an import or export of an ordinary tree never starts it.
//
// The pipe protocol is length-prefixed bytes (pack 'N/a*'), so paths, names and values are
// exact whatever they hold. In: the operation's records. Out, per path: a signed 32-bit
// status (the attribute count, or minus the errno), then for reads `count` name/value pairs.
import { constants as OS } from 'node:os';
import { corruptData, fromSystemError, unsupported } from '../errors.js';
import type { Xattr } from './format.js';
import { runPerl } from './perl.js';
import { xattrWriteError } from './xattr.js';

/** llistxattr, lgetxattr, lsetxattr. The generic table (arm64) and x86-64's. */
const SYSCALLS: Partial<Record<string, [number, number, number]>> = { x64: [195, 192, 189], arm64: [12, 9, 6] };

// XATTR_LIST_MAX and XATTR_SIZE_MAX are both 64 KiB on Linux, so one buffer of each suffices.
const SCRIPT = `
use strict; binmode STDIN; binmode STDOUT;
my ($op, $list, $get, $set) = @ARGV; local $/; my $in = <STDIN>; my $at = 0;
sub take { my $n = unpack("N", substr($in, $at, 4)); my $s = substr($in, $at + 4, $n); $at += 4 + $n; return $s; }
while ($at < length($in)) {
  my $path = take();
  if ($op eq "read") {
    my $buf = "\\0" x 65536; my $n = syscall($list, $path, $buf, 65536);
    if ($n < 0) { print pack("l>", -$!); next; }
    my ($out, $count, $bad) = ("", 0, 0);
    for my $name (grep { length } split(/\\0/, substr($buf, 0, $n))) {
      my $v = "\\0" x 65536; my $m = syscall($get, $path, $name, $v, 65536);
      if ($m < 0) { next if $! == 61; $bad = -$!; last; } # ENODATA: removed since the listing
      $out .= pack("N/a* N/a*", $name, substr($v, 0, $m)); $count++;
    }
    print $bad ? pack("l>", $bad) : pack("l>", $count) . $out;
  } else {
    my $count = unpack("N", take()); my $status = 0;
    for (1..$count) {
      my $name = take(); my $value = take();
      next if $status;
      if (syscall($set, $path, $name, $value, length($value), 0) != 0) { $status = -$!; print pack("l> N/a*", $status, $name); }
    }
    print pack("l>", 0) unless $status;
  }
}`;

const ERRNO_NAME = new Map(Object.entries(OS.errno).map(([name, n]) => [n, name]));
const errnoError = (n: number) => Object.assign(new Error(`${ERRNO_NAME.get(n) ?? `errno ${n}`}`), { code: ERRNO_NAME.get(n), errno: -n });

const frame = (b: Buffer): Buffer[] => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length);
  return [len, b];
};

function runHelper(op: 'read' | 'write', input: Buffer[]): Promise<Buffer> {
  const nrs = SYSCALLS[process.arch];
  if (!nrs) return Promise.reject(unsupported(`extended attributes with names that are not UTF-8 on ${process.arch}`));
  return runPerl(SCRIPT, [op, ...nrs.map(String)], Buffer.concat(input), { purpose: 'extended attributes', failure: 'the extended-attribute helper failed' });
}

/** A reader over the helper's output that refuses anything short. */
class Reply {
  private at = 0;
  constructor(private readonly buf: Buffer) {}
  status(): number { this.need(4); const n = this.buf.readInt32BE(this.at); this.at += 4; return n; }
  bytes(): Buffer { this.need(4); const n = this.buf.readUInt32BE(this.at); this.need(4 + n); const b = this.buf.subarray(this.at + 4, this.at + 4 + n); this.at += 4 + n; return Buffer.from(b); }
  private need(n: number) { if (this.at + n > this.buf.length) throw corruptData('the extended-attribute helper answered short'); }
}

/** The xattrs of each path (absolute bytes), sorted by name; [] where the file system has none. */
export async function readXattrsByHelper(paths: Buffer[]): Promise<Xattr[][]> {
  if (paths.length === 0) return [];
  const reply = new Reply(await runHelper('read', paths.flatMap(frame)));
  return paths.map((path) => {
    const status = reply.status();
    if (status === -OS.errno.ENOTSUP) return [];
    if (status < 0) throw fromSystemError(errnoError(-status), `reading the extended attributes of ${path}`);
    const out: Xattr[] = [];
    for (let i = 0; i < status; i++) out.push({ name: reply.bytes(), value: reply.bytes() });
    return out.sort((a, b) => Buffer.compare(a.name, b.name));
  });
}

/** Sets each item's xattrs on its path (absolute bytes), never following a final symlink. */
export async function writeXattrsByHelper(items: Array<{ path: Buffer; xattrs: Xattr[] }>): Promise<void> {
  const todo = items.filter((it) => it.xattrs.length > 0);
  if (todo.length === 0) return;
  const input: Buffer[] = [];
  for (const { path, xattrs } of todo) {
    const count = Buffer.alloc(4);
    count.writeUInt32BE(xattrs.length);
    input.push(...frame(path), ...frame(count));
    for (const x of xattrs) input.push(...frame(x.name), ...frame(x.value));
  }
  const reply = new Reply(await runHelper('write', input));
  for (const { path } of todo) {
    const status = reply.status();
    if (status < 0) throw xattrWriteError(errnoError(-status), path, reply.bytes());
  }
}
