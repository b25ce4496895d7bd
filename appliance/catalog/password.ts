// Password hashes: scrypt from node:crypto with a random salt. The parameters travel with
// the hash (`scrypt$N$r$p$salt$hash`, base64), so they can be raised later without
// invalidating stored hashes, and replicas verify hashes made with other settings.
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { invalid } from '../errors.js';

export interface ScryptParams { N: number; r: number; p: number }

/** 32 MiB and about 0.2 s per hash on the x86 dev VM (a Pi is slower); tests pass cheaper parameters to Catalog.open. */
export const SCRYPT_DEFAULTS: ScryptParams = { N: 1 << 15, r: 8, p: 1 };
const SALT_BYTES = 16;
const HASH_BYTES = 32;
const PASSWORD_MAX_BYTES = 1024;
const FORMAT = /^scrypt\$(\d{1,7})\$(\d{1,2})\$(\d{1,2})\$([A-Za-z0-9+/]{22}==)\$([A-Za-z0-9+/]{43}=)$/;

interface Parsed { params: ScryptParams; salt: Buffer; hash: Buffer }

export function checkParams(p: ScryptParams): ScryptParams {
  const pow2 = p.N > 1 && (p.N & (p.N - 1)) === 0;
  if (!Number.isInteger(p.N) || !pow2 || p.N > 1 << 20) throw invalid(`scrypt N must be a power of two up to 2^20, not ${p.N}`);
  if (!Number.isInteger(p.r) || p.r < 1 || p.r > 32) throw invalid(`scrypt r must be 1..32, not ${p.r}`);
  if (!Number.isInteger(p.p) || p.p < 1 || p.p > 16) throw invalid(`scrypt p must be 1..16, not ${p.p}`);
  return p;
}

/** Parses a stored hash; the reason is returned, not thrown, so callers pick the error code. */
export function parseHash(text: string): Parsed | string {
  const m = FORMAT.exec(text);
  if (!m) return 'not a scrypt$N$r$p$salt$hash password hash';
  const params = { N: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  try { checkParams(params); } catch (err) { return (err as Error).message; }
  return { params, salt: Buffer.from(m[4] ?? '', 'base64'), hash: Buffer.from(m[5] ?? '', 'base64') };
}

export function checkPasswordText(password: unknown): string {
  if (typeof password !== 'string') throw invalid('a password must be a string');
  if (password.length === 0) throw invalid('a password cannot be empty');
  if (Buffer.byteLength(password) > PASSWORD_MAX_BYTES) throw invalid(`a password is at most ${PASSWORD_MAX_BYTES} bytes`);
  return password;
}

function derive(password: string, salt: Buffer, p: ScryptParams): Promise<Buffer> {
  // maxmem must cover 128·N·r bytes plus slack, or node refuses the larger settings.
  const maxmem = 128 * p.N * p.r * 2 + (1 << 20);
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, HASH_BYTES, { N: p.N, r: p.r, p: p.p, maxmem }, (err, key) => (err ? reject(err) : resolve(key))));
}

export async function hashPassword(password: string, params: ScryptParams = SCRYPT_DEFAULTS): Promise<string> {
  checkPasswordText(password);
  checkParams(params);
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, params);
  return `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/**
 * True when `password` matches `stored`. With no stored hash (unknown user, no password)
 * the same derivation runs against a throwaway salt, so the answer takes as long.
 */
export async function verifyPassword(password: string, stored: string | undefined, fallback: ScryptParams = SCRYPT_DEFAULTS): Promise<boolean> {
  const parsed = stored === undefined ? undefined : parseHash(stored);
  const usable = typeof parsed === 'object' ? parsed : undefined;
  const params = usable?.params ?? fallback;
  const salt = usable?.salt ?? randomBytes(SALT_BYTES);
  const expected = usable?.hash ?? randomBytes(HASH_BYTES);
  const text = typeof password === 'string' && password.length <= PASSWORD_MAX_BYTES ? password : '';
  const got = await derive(text, salt, params);
  return timingSafeEqual(got, expected) && usable !== undefined && text.length > 0;
}

/** A one-time password for the first admin: 120 random bits, typeable, no padding. */
export const randomPassword = () => randomBytes(15).toString('base64url');
