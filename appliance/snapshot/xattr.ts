// Extended attributes through the `attr` tools, since Node has no xattr API: one
// `getfattr -R` process reads a whole tree, one `setfattr --restore` process writes one.
// Both speak the same dump format: "# file: PATH", then "name=0sBASE64" lines, then a
// blank line; names and paths escape backslash and control bytes as \ooo.
import { spawn } from 'node:child_process';
import { ColonyError, unsupported } from '../errors.js';
import type { Xattr } from './format.js';

/** Unescapes \ooo sequences of the attr tools into raw bytes. */
export function unescapeAttr(text: Buffer): Buffer {
  if (!text.includes(0x5c)) return text;
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === 0x5c && i + 3 < text.length && /^[0-7]{3}$/.test(text.toString('latin1', i + 1, i + 4))) {
      out.push(parseInt(text.toString('latin1', i + 1, i + 4), 8) & 0xff);
      i += 3;
    } else out.push(c);
  }
  return Buffer.from(out);
}

/** Escapes backslash, control bytes and `extra` bytes as \ooo, as the attr tools expect. */
export function escapeAttr(bytes: Uint8Array, extra: number[] = []): string {
  let s = '';
  for (const c of bytes) s += c < 0x20 || c === 0x7f || c === 0x5c || extra.includes(c) ? `\\${c.toString(8).padStart(3, '0')}` : String.fromCharCode(c);
  return s;
}

function decodeValue(text: string): Buffer {
  if (text.startsWith('0s')) return Buffer.from(text.slice(2), 'base64');
  if (text.startsWith('0x')) return Buffer.from(text.slice(2), 'hex');
  if (text.startsWith('"') && text.endsWith('"')) return unescapeAttr(Buffer.from(text.slice(1, -1), 'latin1'));
  return Buffer.from(text, 'latin1');
}

/** Parses a getfattr dump: path bytes (as a latin1 string) → sorted xattrs. */
export function parseDump(dump: Buffer): Map<string, Xattr[]> {
  const out = new Map<string, Xattr[]>();
  let current: Xattr[] | undefined;
  let start = 0;
  while (start < dump.length) {
    let end = dump.indexOf(0x0a, start);
    if (end < 0) end = dump.length;
    const line = dump.subarray(start, end);
    start = end + 1;
    if (line.length === 0) { current = undefined; continue; }
    if (line.toString('latin1', 0, 8) === '# file: ') {
      current = [];
      out.set(unescapeAttr(line.subarray(8)).toString('latin1'), current);
      continue;
    }
    if (!current || line[0] === 0x23) continue;
    const eq = line.indexOf(0x3d);
    const name = unescapeAttr(eq < 0 ? line : line.subarray(0, eq));
    current.push({ name, value: eq < 0 ? Buffer.alloc(0) : decodeValue(line.toString('latin1', eq + 1)) });
  }
  for (const list of out.values()) list.sort((a, b) => Buffer.compare(a.name, b.name));
  return out;
}

/** A setfattr --restore input for the given (path, xattrs) pairs. */
export function formatDump(items: Array<{ path: Buffer; xattrs: Xattr[] }>): Buffer {
  const parts: string[] = [];
  for (const { path, xattrs } of items) {
    if (xattrs.length === 0) continue;
    parts.push(`# file: ${escapeAttr(path)}\n`);
    for (const x of xattrs) parts.push(`${escapeAttr(x.name, [0x3d])}=0s${x.value.toString('base64')}\n`);
    parts.push('\n');
  }
  return Buffer.from(parts.join(''), 'latin1');
}

function run(cmd: string, args: string[], opts: { cwd?: string; input?: Buffer }): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => { if (err.length < 65536) err += b.toString(); });
    child.stdin.on('error', () => {}); // the exit code tells
    child.on('error', (e: NodeJS.ErrnoException) => reject(e.code === 'ENOENT'
      ? unsupported(`${cmd} is not installed (Debian package "attr"); it is needed for extended attributes`)
      : new ColonyError('COLONY_IO', `running ${cmd}: ${e.message}`, { cause: e })));
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: err }));
    child.stdin.end(opts.input ?? Buffer.alloc(0));
  });
}

/** Every xattr under `absRoot` (itself included), by absolute path bytes as latin1, in one process. */
export async function readTreeXattrs(absRoot: string): Promise<Map<string, Xattr[]>> {
  const r = await run('getfattr', ['-R', '-d', '-m', '-', '-h', '--absolute-names', '-e', 'base64', '--', absRoot], {});
  if (r.code !== 0) throw new ColonyError('COLONY_IO', `reading extended attributes under ${absRoot}: ${r.stderr.trim().split('\n')[0] ?? `getfattr exited ${r.code}`}`);
  return parseDump(r.stdout);
}

/** Sets xattrs on paths relative to `cwd`, without following symlinks, in one process. */
export async function writeXattrs(cwd: string, items: Array<{ path: Buffer; xattrs: Xattr[] }>): Promise<void> {
  const input = formatDump(items);
  if (input.length === 0) return;
  const r = await run('setfattr', ['-h', '--restore=-'], { cwd, input });
  if (r.code !== 0) throw new ColonyError('COLONY_IO', `restoring extended attributes under ${cwd}: ${r.stderr.trim().split('\n')[0] ?? `setfattr exited ${r.code}`}`);
}
