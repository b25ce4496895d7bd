// Login sessions for the front panel: a random token in a cookie, its user and expiry in
// memory (a restart logs everyone out, which a read-only panel can afford). Bounded: past
// `max` the oldest session goes. Time is passed in, so tests need no clock.
import { randomBytes } from 'node:crypto';

export const SESSION_COOKIE = 'colony_session';

export interface SessionOptions {
  /** How long a login lasts (default 12 h). */
  ttlMs: number;
  /** Most sessions kept (default 1000); the oldest goes first. */
  max: number;
}

export const SESSION_DEFAULTS: SessionOptions = { ttlMs: 12 * 3600_000, max: 1000 };

export class Sessions {
  private readonly byToken = new Map<string, { user: string; expires: number }>();
  readonly options: SessionOptions;

  constructor(options: Partial<SessionOptions> = {}) {
    this.options = { ...SESSION_DEFAULTS, ...options };
  }

  get size(): number { return this.byToken.size; }

  /** A new session for `user`: 32 random bytes, base64url. */
  create(user: string, now: number): string {
    const token = randomBytes(32).toString('base64url');
    while (this.byToken.size >= this.options.max) this.byToken.delete(this.byToken.keys().next().value!);
    this.byToken.set(token, { user, expires: now + this.options.ttlMs });
    return token;
  }

  /** The session's user, or undefined (unknown or expired: an expired one is forgotten). */
  user(token: string | undefined, now: number): string | undefined {
    if (!token) return undefined;
    const s = this.byToken.get(token);
    if (!s) return undefined;
    if (s.expires <= now) { this.byToken.delete(token); return undefined; }
    return s.user;
  }

  drop(token: string | undefined): void {
    if (token) this.byToken.delete(token);
  }

  /** Ends every session of `user` (their password changed). */
  dropUser(user: string): void {
    for (const [token, s] of this.byToken) if (s.user === user) this.byToken.delete(token);
  }
}

/** One cookie's value from a Cookie header, or undefined. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * The Set-Cookie value for a session (or, with token '', one that clears it). HttpOnly: no
 * script reads it; SameSite=Strict: no other site's page sends it. Not Secure: the panel is
 * plain HTTP on the LAN, and a Secure cookie would never come back over it.
 */
export function sessionCookie(token: string, maxAgeSeconds: number): string {
  return `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${token ? maxAgeSeconds : 0}`;
}
