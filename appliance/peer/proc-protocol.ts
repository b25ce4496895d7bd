// The wire format of `/colony/proc/1`: a paired member asks this node about the processes
// running in its environments, for the global /proc tree (`proc/NODE/ENV/PID/…`, issue 15).
// The grid's frames (frames.ts), the message in the header, the body always empty; one
// request and one reply a stream:
//
//   { t: 'list', user }                      → { t: 'processes', procs, truncated } | error
//   { t: 'kill', user, env, pid, sig }       → { t: 'killed' } | error
//   error = { t: 'error', code, detail }       a ColonyError carried back (code from CARRIED)
//
// The asker's node has authenticated `user`; the answering node filters as its executor does
// for a local session (their own environments and those they were invited into; an admin
// sees all). Pure: shapes, bounds and the reply planner, tested as data (proc-protocol.test.ts).
//
// Bounds: a request header ≤ MAX_REQUEST_HEADER; a reply header ≤ MAX_REPLY_HEADER, at most
// MAX_PROCESSES processes, each string field bounded (a long command line is cut by the
// answering node, `planProcessesReply`, and `truncated` says processes were left out).
import { constants } from 'node:os';
import { ColonyError, isColonyError, type ErrorCode } from '../errors.js';
import { checkUserName } from '../catalog/index.js';
import { isEnvName } from '../grid/index.js';

export const PROC_PROTOCOL = '/colony/proc/1';
/** The most processes one reply lists (the rest are left out, `truncated`). */
export const MAX_PROCESSES = 4096;
export const MAX_REQUEST_HEADER = 4 * 1024;
export const MAX_REPLY_HEADER = 4 * 1024 * 1024;
/** Room for the reply's own keys around the process list. */
const REPLY_SLACK = 1024;
/** A command line keeps at most this many arguments and characters (the rest is cut). */
export const MAX_ARGS = 256;
export const MAX_CMDLINE_CHARS = 4096;
/** A process name (Linux comm is 15 bytes; room for others) and a state word. */
export const MAX_NAME_CHARS = 64;
export const MAX_STATE_CHARS = 32;
export const MAX_DETAIL_CHARS = 512;
/** Linux's PID_MAX_LIMIT on 64-bit. */
export const MAX_PID = 4_194_304;
const MAX_UID = 2 ** 32 - 1;

/** The codes a peer may send back; any other local failure travels as COLONY_IO. */
export const CARRIED: readonly ErrorCode[] = [
  'COLONY_NOT_FOUND', 'COLONY_PERMISSION', 'COLONY_INVALID', 'COLONY_UNSUPPORTED', 'COLONY_TIMEOUT',
  'COLONY_LIMIT', 'COLONY_CLOSED', 'COLONY_IO', 'COLONY_TOO_LARGE', 'COLONY_INTERNAL',
];

/** A process as the peer reports it: the same fields as exec's ProcessInfo (structural). */
export interface ProcInfo {
  env: string;
  owner: string;
  pid: number;
  ppid: number;
  uid: number;
  state: string;
  name: string;
  cmdline: string[];
  session: number;
  rssBytes: number;
}

export type ProcRequest =
  | { t: 'list'; user: string }
  | { t: 'kill'; user: string; env: string; pid: number; sig: NodeJS.Signals };

export type ProcReply =
  | { t: 'processes'; procs: ProcInfo[]; truncated: boolean }
  | { t: 'killed' }
  | { t: 'error'; code: ErrorCode; detail: string };

const protocolError = (detail: string) => new ColonyError('COLONY_PROTOCOL', `${PROC_PROTOCOL}: ${detail}`);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const intIn = (v: unknown, lo: number, hi: number): v is number => Number.isSafeInteger(v) && (v as number) >= lo && (v as number) <= hi;

function user(v: unknown): string {
  try { return checkUserName(v); } catch { throw protocolError(`${JSON.stringify(v)?.slice(0, 40)} is not a user name`); }
}

function envName(v: unknown): string {
  if (typeof v !== 'string' || !isEnvName(v)) throw protocolError(`${JSON.stringify(v)?.slice(0, 80)} is not an environment name`);
  return v;
}

/** A signal's name this platform knows (SIGKILL, SIGTERM, …). */
export function isSignalName(v: unknown): v is NodeJS.Signals {
  return typeof v === 'string' && /^SIG[A-Z0-9]+$/.test(v) && Object.hasOwn(constants.signals, v);
}

/** Checks a request header's shape; COLONY_PROTOCOL for anything else. */
export function parseProcRequest(raw: unknown): ProcRequest {
  if (!isObject(raw)) throw protocolError('a request is not an object');
  switch (raw.t) {
    case 'list':
      return { t: 'list', user: user(raw.user) };
    case 'kill': {
      if (!intIn(raw.pid, 1, MAX_PID)) throw protocolError(`a pid is an integer from 1 to ${MAX_PID}`);
      if (!isSignalName(raw.sig)) throw protocolError(`${JSON.stringify(raw.sig)?.slice(0, 40)} is not a signal name`);
      return { t: 'kill', user: user(raw.user), env: envName(raw.env), pid: raw.pid, sig: raw.sig };
    }
    default:
      throw protocolError(`unknown request type ${JSON.stringify(raw.t)?.slice(0, 40)}`);
  }
}

/** One process, rebuilt from its known fields only (unknown fields are dropped); COLONY_PROTOCOL when out of bounds. */
export function parseProcInfo(raw: unknown): ProcInfo {
  if (!isObject(raw)) throw protocolError('a process is not an object');
  const { pid, ppid, uid, session, rssBytes, state, name, cmdline } = raw;
  if (!intIn(pid, 1, MAX_PID)) throw protocolError(`a pid is an integer from 1 to ${MAX_PID}`);
  if (!intIn(ppid, 0, MAX_PID)) throw protocolError(`process ${pid}: a ppid is an integer from 0 to ${MAX_PID}`);
  if (!intIn(uid, 0, MAX_UID)) throw protocolError(`process ${pid}: a uid is an integer from 0 to ${MAX_UID}`);
  if (!intIn(session, 0, Number.MAX_SAFE_INTEGER)) throw protocolError(`process ${pid}: a session is a non-negative integer`);
  if (!intIn(rssBytes, 0, Number.MAX_SAFE_INTEGER)) throw protocolError(`process ${pid}: rssBytes is a non-negative integer`);
  if (typeof state !== 'string' || state.length > MAX_STATE_CHARS) throw protocolError(`process ${pid}: a state is a string of at most ${MAX_STATE_CHARS} characters`);
  if (typeof name !== 'string' || name.length > MAX_NAME_CHARS) throw protocolError(`process ${pid}: a name is a string of at most ${MAX_NAME_CHARS} characters`);
  if (!Array.isArray(cmdline) || cmdline.length > MAX_ARGS || !cmdline.every((a) => typeof a === 'string')) {
    throw protocolError(`process ${pid}: a cmdline is a list of at most ${MAX_ARGS} strings`);
  }
  if ((cmdline as string[]).reduce((n, a) => n + a.length, 0) > MAX_CMDLINE_CHARS) throw protocolError(`process ${pid}: a cmdline is at most ${MAX_CMDLINE_CHARS} characters`);
  return { env: envName(raw.env), owner: user(raw.owner), pid, ppid, uid, state, name, cmdline: [...(cmdline as string[])], session, rssBytes };
}

/** Checks a reply header's shape; COLONY_PROTOCOL for anything else. */
export function parseProcReply(raw: unknown): ProcReply {
  if (!isObject(raw)) throw protocolError('a reply is not an object');
  switch (raw.t) {
    case 'processes': {
      if (!Array.isArray(raw.procs) || raw.procs.length > MAX_PROCESSES) throw protocolError(`procs is a list of at most ${MAX_PROCESSES} processes`);
      if (typeof raw.truncated !== 'boolean') throw protocolError('truncated is a boolean');
      const procs = raw.procs.map(parseProcInfo);
      const pids = new Set(procs.map((p) => p.pid));
      if (pids.size !== procs.length) throw protocolError('the same pid is listed twice');
      return { t: 'processes', procs, truncated: raw.truncated };
    }
    case 'killed':
      return { t: 'killed' };
    case 'error': {
      if (typeof raw.code !== 'string' || !CARRIED.includes(raw.code as ErrorCode)) throw protocolError(`${JSON.stringify(raw.code)?.slice(0, 40)} is not an error code a peer may send`);
      if (typeof raw.detail !== 'string' || raw.detail.length > MAX_DETAIL_CHARS) throw protocolError(`an error's detail is a string of at most ${MAX_DETAIL_CHARS} characters`);
      return { t: 'error', code: raw.code as ErrorCode, detail: raw.detail };
    }
    default:
      throw protocolError(`unknown reply type ${JSON.stringify(raw.t)?.slice(0, 40)}`);
  }
}

const cut = (s: string, n: number) => (s.length > n ? s.slice(0, n) : s);

/** A local process cut to the wire's bounds (its command line, name and state), or undefined when it cannot be sent. */
export function fitProcInfo(p: ProcInfo): ProcInfo | undefined {
  const cmdline: string[] = [];
  let chars = 0;
  for (const arg of p.cmdline.slice(0, MAX_ARGS)) {
    if (chars >= MAX_CMDLINE_CHARS) break;
    const a = cut(arg, MAX_CMDLINE_CHARS - chars);
    cmdline.push(a);
    chars += a.length;
  }
  const out = { env: p.env, owner: p.owner, pid: p.pid, ppid: p.ppid, uid: p.uid, state: cut(p.state, MAX_STATE_CHARS), name: cut(p.name, MAX_NAME_CHARS), cmdline, session: p.session, rssBytes: p.rssBytes };
  try { return parseProcInfo(out); } catch { return undefined; }
}

/**
 * The `processes` reply for a local list: each process fitted (fitProcInfo; ones that cannot
 * be sent and repeated pids are left out), at most MAX_PROCESSES, and the encoded header
 * under `budget` bytes; `truncated` when any process was left out for a bound.
 */
export function planProcessesReply(procs: readonly ProcInfo[], budget = MAX_REPLY_HEADER - REPLY_SLACK): { reply: ProcReply & { t: 'processes' }; dropped: number } {
  const out: ProcInfo[] = [];
  const pids = new Set<number>();
  let bytes = 0;
  let dropped = 0;
  let truncated = false;
  for (const p of procs) {
    const fitted = fitProcInfo(p);
    if (!fitted || pids.has(fitted.pid)) { dropped++; continue; }
    const size = Buffer.byteLength(JSON.stringify(fitted)) + 1; // and its comma
    if (out.length >= MAX_PROCESSES || bytes + size > budget) { truncated = true; break; }
    out.push(fitted);
    pids.add(fitted.pid);
    bytes += size;
  }
  return { reply: { t: 'processes', procs: out, truncated }, dropped };
}

/** The `error` reply for a failure here: its code when a peer may carry it, else COLONY_IO; the detail cut to its bound. */
export function errorReply(err: unknown): ProcReply & { t: 'error' } {
  if (isColonyError(err) && CARRIED.includes(err.code)) return { t: 'error', code: err.code, detail: cut(err.detail, MAX_DETAIL_CHARS) };
  const why = isColonyError(err) ? err.message : err instanceof Error ? err.message : String(err);
  return { t: 'error', code: 'COLONY_IO', detail: cut(`the node failed: ${why}`, MAX_DETAIL_CHARS) };
}

/** The asker's error for an `error` reply from `node`: the same code, the node named. */
export const replyError = (node: string, reply: { code: ErrorCode; detail: string }) => new ColonyError(reply.code, `${node}: ${reply.detail}`);
