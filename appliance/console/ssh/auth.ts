// Who may log in: the decision for one SSH authentication request, apart from the ssh2
// connection that carries it. Public keys must be in the catalog under the user who
// offers them and must sign the session; passwords are checked against the catalog's
// scrypt hashes. Failures are counted per source address and per user (FailureLimiter).
// A lockout stops passwords only: a signed public key cannot be guessed, so keys keep
// working from a locked address (many people may share one address behind NAT).
import ssh2 from 'ssh2';
import type { Accounts } from './commands.js';
import type { FailureLimiter } from './rate-limit.js';

export const METHODS: Array<'publickey' | 'password'> = ['publickey', 'password'];

export type AuthRequest =
  | { method: 'none' | 'keyboard-interactive' | 'hostbased'; username: string }
  | { method: 'password'; username: string; password: string }
  | { method: 'publickey'; username: string; key: { algo: string; data: Buffer }; signature?: Buffer | undefined; blob?: Buffer | undefined; hashAlgo?: string | undefined };

export type AuthDecision =
  /** Log in as `user`. */
  | { verdict: 'accept'; user: string }
  /** The key is one we would take: ask the client to sign with it (no failure counted). */
  | { verdict: 'key-ok' }
  /**
   * Refused. `counted` says whether it was a real failed attempt; `locked` whether the
   * limiter refused it unchecked (a lockout, too many attempts in flight, a full table)
   * or this failure locked a key.
   */
  | { verdict: 'reject'; counted: boolean; delayMs: number; locked: boolean; reason: string };

export interface Authenticator {
  accounts: Accounts;
  limiter: FailureLimiter;
  now?: () => number;
}

export const addressKey = (address: string) => `addr:${address.replace(/^::ffff:/, '')}`;
export const userKey = (user: string) => `user:${user}`;

function refusal(reason: 'locked' | 'busy' | 'full', byAddress: boolean): string {
  const what = byAddress ? 'source address' : 'user';
  if (reason === 'locked') return `${what} locked out for passwords`;
  if (reason === 'busy') return `${what}: too many password attempts at once`;
  return 'too many lockouts in force: passwords from new addresses and users refused';
}

/** True when the key blob signed `blob` (the session data) with `signature`. */
export function verifySignature(keyData: Buffer, blob: Buffer, signature: Buffer, hashAlgo?: string): boolean {
  const key = ssh2.utils.parseKey(keyData);
  if (key instanceof Error) return false;
  const parsed = Array.isArray(key) ? key[0] : key;
  if (!parsed) return false;
  try {
    return parsed.verify(blob, signature, hashAlgo) === true;
  } catch {
    return false;
  }
}

/**
 * Decides one request from `address`. A source address or a user under lockout is refused
 * passwords (without checking them) but keeps key logins, so that guessing passwords from
 * an address shared by many people, or guessing alice's, locks nobody out of their keys.
 */
export async function decide(a: Authenticator, address: string, req: AuthRequest): Promise<AuthDecision> {
  const now = a.now ?? Date.now;
  const addr = addressKey(address);
  const who = userKey(req.username);
  const reject = (reason: string, counted: boolean, locked = false): AuthDecision => {
    if (!counted) return { verdict: 'reject', counted, delayMs: 0, locked, reason };
    const t = now();
    const byAddr = a.limiter.fail(addr, t);
    const byUser = a.limiter.fail(who, t);
    return { verdict: 'reject', counted, delayMs: Math.max(byAddr.delayMs, byUser.delayMs), locked: locked || byAddr.lockedNow || byUser.lockedNow, reason };
  };
  if (req.method !== 'password' && req.method !== 'publickey') return reject(`method ${req.method} is not offered`, false);

  if (req.method === 'password') {
    // The attempt counts on the address and the user from now until it is settled, so
    // parallel guesses beyond the threshold are refused before scrypt runs.
    const admitted = a.limiter.begin([addr, who], now());
    if (!admitted.ok) return { verdict: 'reject', counted: false, delayMs: 0, locked: true, reason: refusal(admitted.reason, admitted.key === addr) };
    const ok = await a.accounts.checkPassword(req.username, req.password).catch(() => false);
    const v = a.limiter.settle(admitted.ticket, ok, now());
    if (!ok) return { verdict: 'reject', counted: true, delayMs: v.delayMs, locked: v.lockedNow, reason: 'wrong password or unknown user' };
    return { verdict: 'accept', user: req.username };
  }

  let owner: string | undefined;
  try { owner = a.accounts.userForKey(req.key.data); } catch { owner = undefined; }
  const known = owner !== undefined && owner === req.username;
  if (!req.signature) return known ? { verdict: 'key-ok' } : reject('key not authorised for this user', false);
  if (!known) return reject('key not authorised for this user', true);
  if (!req.blob || !verifySignature(req.key.data, req.blob, req.signature, req.hashAlgo)) return reject('bad signature', true);
  a.limiter.succeed(addr, now());
  return { verdict: 'accept', user: req.username };
}

/**
 * What to tell someone whose user name is locked for passwords (shown through
 * keyboard-interactive, since the banner goes out before the name is known), or undefined.
 */
export function userLockNotice(limiter: FailureLimiter, user: string, now: number): string | undefined {
  const state = limiter.state(userKey(user), now);
  if (!state.locked) return undefined;
  const until = new Date(state.until).toISOString().slice(11, 16);
  return `Colony: too many failed logins for ${user}. Passwords for ${user} are refused until ${until} UTC; public keys still work.`;
}

/**
 * What to tell a person connecting from a locked address, before they try (the SSH
 * banner, which OpenSSH prints), or undefined when the address is not locked.
 */
export function lockoutNotice(limiter: FailureLimiter, address: string, now: number): string | undefined {
  const state = limiter.state(addressKey(address), now);
  if (!state.locked) return undefined;
  const until = new Date(state.until).toISOString().slice(11, 16);
  const minutes = Math.max(1, Math.ceil((state.until - now) / 60_000));
  const who = address.replace(/^::ffff:/, '');
  return `Colony: too many failed logins from ${who}. Passwords from this address are refused until ${until} UTC (about ${minutes} minute${minutes === 1 ? '' : 's'}); public keys still work.\r\n`;
}
