// The syntax of what the catalog stores: user names, score names, node ids, comments and
// metadata. Pure checks that throw COLONY_INVALID with a message saying what is wrong.
import { invalid } from '../errors.js';

const USER = /^[a-z_][a-z0-9_-]{0,31}$/;
// A node id becomes part of a LevelDB key, separated by a 0x00 byte, so it must never
// contain one; printable ASCII keeps it readable in logs and file names too.
const ORIGIN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
const META_KEY = /^[a-z0-9][a-z0-9_.-]{0,63}$/;
// Whitespace and control characters, including Unicode separators and bidi controls,
// which make names look like something else in a listing.
const BAD_CHAR = /[\s\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

export const NAME_MAX_BYTES = 128;
export const COMMENT_MAX_BYTES = 1024;
export const META_MAX_ENTRIES = 32;
export const META_VALUE_MAX_BYTES = 1024;

// Lone surrogates cannot be encoded as UTF-8; in a /u regex a paired surrogate is one code point.
const wellFormed = (s: string) => !/\p{Cs}/u.test(s);
const show = (s: string) => JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}…` : s);

export function checkUserName(name: unknown): string {
  if (typeof name !== 'string') throw invalid('a user name must be a string');
  if (!USER.test(name)) {
    throw invalid(`bad user name ${show(name)}: use 1 to 32 characters a-z, 0-9, '_' and '-', starting with a letter or '_'`);
  }
  return name;
}

/** A score name: any UTF-8 text of 1..128 bytes without '/', whitespace or control characters, and not '.' or '..'. */
export function checkName(name: unknown): string {
  if (typeof name !== 'string') throw invalid('a name must be a string');
  if (name.length === 0) throw invalid('a name cannot be empty');
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > NAME_MAX_BYTES) throw invalid(`name ${show(name)} is ${bytes} bytes long; the limit is ${NAME_MAX_BYTES}`);
  if (!wellFormed(name)) throw invalid(`name ${show(name)} is not valid Unicode`);
  if (name.includes('/')) throw invalid(`name ${show(name)} contains '/'`);
  if (name === '.' || name === '..') throw invalid(`name ${show(name)} is reserved`);
  const bad = BAD_CHAR.exec(name);
  if (bad) {
    const cp = bad[0].codePointAt(0) ?? 0;
    throw invalid(`name ${show(name)} contains whitespace or a control character (U+${cp.toString(16).toUpperCase().padStart(4, '0')})`);
  }
  return name;
}

export function checkOrigin(origin: unknown): string {
  if (typeof origin !== 'string' || !ORIGIN.test(origin)) {
    throw invalid(`bad node id ${show(String(origin))}: use 1 to 128 characters A-Z, a-z, 0-9, '_', '.', ':' and '-'`);
  }
  return origin;
}

export function checkComment(comment: unknown): string {
  if (comment === undefined) return '';
  if (typeof comment !== 'string') throw invalid('a comment must be a string');
  if (Buffer.byteLength(comment) > COMMENT_MAX_BYTES) throw invalid(`the comment is over ${COMMENT_MAX_BYTES} bytes`);
  if (!wellFormed(comment)) throw invalid('the comment is not valid Unicode');
  // Newlines are allowed (a long message), other control characters would corrupt listings.
  if (/[\p{Cc}]/u.test(comment.replace(/[\n\t]/g, ''))) throw invalid('the comment contains control characters');
  return comment;
}

/** Returns a copy with keys in sorted order, so the same metadata always encodes the same. */
export function checkMeta(meta: unknown): Record<string, string> {
  if (meta === undefined) return {};
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) throw invalid('meta must be an object of strings');
  const entries = Object.entries(meta as Record<string, unknown>);
  if (entries.length > META_MAX_ENTRIES) throw invalid(`meta has ${entries.length} entries; the limit is ${META_MAX_ENTRIES}`);
  const out: Record<string, string> = {};
  for (const [k, v] of entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (!META_KEY.test(k)) throw invalid(`bad meta key ${show(k)}: use 1 to 64 characters a-z, 0-9, '_', '.' and '-'`);
    if (typeof v !== 'string') throw invalid(`meta value for ${show(k)} must be a string`);
    if (Buffer.byteLength(v) > META_VALUE_MAX_BYTES) throw invalid(`meta value for ${show(k)} is over ${META_VALUE_MAX_BYTES} bytes`);
    if (!wellFormed(v)) throw invalid(`meta value for ${show(k)} is not valid Unicode`);
    out[k] = v;
  }
  return out;
}

export const REASON_MAX_CHARS = 200;

/** Why an admin did something to another user's thing: one line of 1 to 200 characters. */
export function checkReason(reason: unknown): string {
  if (typeof reason !== 'string') throw invalid('a reason must be a string');
  if (reason.trim() === '') throw invalid('a reason cannot be empty');
  const chars = [...reason].length;
  if (chars > REASON_MAX_CHARS) throw invalid(`the reason is ${chars} characters long; the limit is ${REASON_MAX_CHARS}`);
  if (!wellFormed(reason)) throw invalid('the reason is not valid Unicode');
  if (/[\p{Cc}\p{Zl}\p{Zp}]/u.test(reason)) throw invalid('a reason is one line, without control characters');
  return reason;
}

/** Splits `owner/name` or a bare `name`; both parts are syntax-checked. */
export function parseQualified(text: string): { owner?: string; name: string } {
  const slash = text.indexOf('/');
  if (slash < 0) return { name: checkName(text) };
  return { owner: checkUserName(text.slice(0, slash)), name: checkName(text.slice(slash + 1)) };
}
