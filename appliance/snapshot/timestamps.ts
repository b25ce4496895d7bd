// Setting mtimes to the nanosecond. Node's utimes goes through a double and loses the
// last digits, so one helper process (perl, which every Debian system has in perl-base)
// calls utimensat(2) with AT_SYMLINK_NOFOLLOW for a whole list of paths. On an
// architecture whose syscall number we do not know, Node's lutimes is the fallback
// (about a microsecond of precision).
import { lutimes } from 'node:fs/promises';
import { join } from 'node:path';
import { fromSystemError } from '../errors.js';
import { runPerl } from './perl.js';

const UTIMENSAT: Partial<Record<string, number>> = { x64: 280, arm64: 88 };

const SCRIPT = `
use strict; binmode STDIN; $/ = "\\0"; my $nr = shift @ARGV; my $bad = 0;
while (my $rec = <STDIN>) {
  chop $rec; my ($s, $ns, $path) = split(/ /, $rec, 3);
  my $ts = pack("q q q q", $s, $ns, $s, $ns);
  if (syscall($nr, -100, $path, $ts, 0x100) != 0) { print STDERR "$path: $!\\n"; $bad = 1; }
}
exit $bad;`;

export interface TimeItem { path: Buffer; mtime: bigint }

const split = (ns: bigint) => {
  let s = ns / 1_000_000_000n;
  let n = ns % 1_000_000_000n;
  if (n < 0n) { n += 1_000_000_000n; s -= 1n; }
  return { s, n };
};

/** Sets atime and mtime of each path (relative to `cwd`, never following a final symlink) to `mtime`. */
export async function setTimes(cwd: string, items: TimeItem[], opts: { helper?: boolean } = {}): Promise<'utimensat' | 'lutimes'> {
  const nr = UTIMENSAT[process.arch];
  if (nr === undefined || opts.helper === false) {
    for (const it of items) {
      const secs = Number(it.mtime) / 1e9;
      await lutimes(Buffer.concat([Buffer.from(cwd + '/'), it.path]), secs, secs).catch((err) => { throw fromSystemError(err, `setting the time of ${join(cwd, it.path.toString())}`); });
    }
    return 'lutimes';
  }
  const parts: Buffer[] = [];
  for (const it of items) {
    const { s, n } = split(it.mtime);
    parts.push(Buffer.from(`${s} ${n} ./`), it.path, Buffer.from([0]));
  }
  await runPerl(SCRIPT, [String(nr)], Buffer.concat(parts), { purpose: 'file times', failure: `setting file times under ${cwd}`, cwd });
  return 'utimensat';
}
