// The front panel's HTTP server (node:http, no framework). Read-only routes for anyone on
// the LAN: / (the page), /panel (its live part), /api/status (JSON), /metrics, /app.js and
// /app.css. Two POSTs: /login (a Colony account's password, rate-limited per address and
// per user with the SSH console's limiter) and /logout. A POST whose Origin (or Referer)
// is another site's is refused with 403 before anything else, and the session cookie is
// SameSite=Strict besides. Every answer carries the security headers below.
//
// Concurrency: requests run on the event loop; status() is asked once per request that
// needs it. Login attempts in flight are counted by the limiter (begin/settle).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fromSystemError, invalid } from '../errors.js';
import type { Log } from '../log.js';
import { CLIENT_CSS, CLIENT_JS } from './client.js';
import { renderMetrics, type WebCounters } from './metrics.js';
import { renderPage, renderPanel } from './render.js';
import { SESSION_COOKIE, Sessions, cookieValue, sessionCookie, type SessionOptions } from './sessions.js';
import type { NodeStatus, Viewer } from './types.js';
import { viewOf } from './view.js';

/** The catalog, as far as logging in needs it. */
export interface WebAccounts {
  checkPassword(name: string, password: string): Promise<boolean>;
  /** The user's role now; undefined when there is no such user (removed since logging in). */
  roleOf(name: string): 'admin' | 'user' | undefined;
}

/** The failed-login limiter (console/ssh's FailureLimiter fits; sharing it shares lockouts with SSH). */
export interface LoginLimiter {
  begin(keys: readonly string[], now: number): { ok: true; ticket: object } | { ok: false; reason: string; key: string };
  settle(ticket: object, ok: boolean, now: number): { delayMs: number };
  state(key: string, now: number): { until: number };
}

export interface WebServerOptions {
  status(): Promise<NodeStatus>;
  accounts: WebAccounts;
  limiter: LoginLimiter;
  log: Log;
  sessions?: Partial<SessionOptions>;
  now?: () => number;
}

export const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

const MAX_BODY = 4096;
const ROUTES = ['/', '/panel', '/api/status', '/metrics', '/app.js', '/app.css', '/login', '/logout'];

/** `host:port`, `[v6]:port` or `:port` (all interfaces). */
export function parseWebAddress(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port >= 0 && port <= 65535)) throw invalid(`'${text}' is not an address to listen on (host:port, [v6]:port or :port)`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

/**
 * True unless the request says it comes from another site: an Origin that is not this
 * host's (or is 'null'), else a Referer from another host, else Sec-Fetch-Site cross-site.
 * A request with none of them (curl) is no browser being tricked, and passes.
 */
export function sameOrigin(headers: IncomingMessage['headers']): boolean {
  const host = headers.host;
  const origin = headers.origin;
  if (origin !== undefined) return host !== undefined && origin === `http://${host}`;
  const referer = headers.referer;
  if (referer !== undefined) {
    try { return new URL(referer).host === host; } catch { return false; }
  }
  const site = headers['sec-fetch-site'];
  return site === undefined || site === 'same-origin' || site === 'none';
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class WebServer {
  private server: Server | undefined;
  private readonly sessions: Sessions;
  private readonly now: () => number;
  readonly counters: WebCounters = { requests: Object.fromEntries(ROUTES.map((r) => [r, 0])), logins: { ok: 0, failed: 0, refused: 0 } };

  constructor(private readonly opts: WebServerOptions) {
    this.sessions = new Sessions(opts.sessions);
    this.now = opts.now ?? Date.now;
  }

  async listen(address: string): Promise<{ host: string; port: number }> {
    const want = parseWebAddress(address);
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        this.opts.log.error({ err }, 'front panel request failed');
        if (!res.headersSent) this.send(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
        else res.destroy();
      });
    });
    server.requestTimeout = 10_000;
    server.headersTimeout = 10_000;
    server.keepAliveTimeout = 5_000;
    server.maxHeadersCount = 64;
    server.maxConnections = 128;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(fromSystemError(err, `listening for HTTP on ${address}`)));
      server.listen(want.port, want.host, () => resolve());
    });
    server.on('error', (err) => this.opts.log.warn({ err }, 'front panel server error'));
    this.server = server;
    const a = server.address() as AddressInfo;
    return { host: a.address, port: a.port };
  }

  /** Logs `user` out everywhere: called when their password changes. */
  forgetUser(user: string): void {
    this.sessions.dropUser(user);
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    const closed = new Promise<void>((r) => s.close(() => r()));
    s.closeAllConnections();
    await closed;
  }

  private viewer(req: IncomingMessage): { viewer: Viewer; token?: string } {
    const token = cookieValue(req.headers.cookie, SESSION_COOKIE);
    const user = this.sessions.user(token, this.now());
    if (!user) return { viewer: { kind: 'anonymous' } };
    const role = this.opts.accounts.roleOf(user);
    if (!role) { this.sessions.drop(token); return { viewer: { kind: 'anonymous' } }; }
    return { viewer: { kind: role, name: user }, ...(token ? { token } : {}) };
  }

  private send(res: ServerResponse, code: number, type: string, body: string, extra: Record<string, string | number> = {}): void {
    res.writeHead(code, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), ...extra });
    res.end(body);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    const route = ROUTES.includes(path) ? path : 'other';
    this.counters.requests[route] = (this.counters.requests[route] ?? 0) + 1;
    const method = req.method ?? 'GET';
    if (path === '/login' || path === '/logout') {
      if (method !== 'POST') return this.send(res, 405, 'text/plain; charset=utf-8', 'use POST\n', { Allow: 'POST' });
      if (!sameOrigin(req.headers)) {
        this.opts.log.warn({ origin: req.headers.origin ?? req.headers.referer, path }, 'cross-origin POST refused');
        return this.send(res, 403, 'text/plain; charset=utf-8', 'cross-origin request refused\n');
      }
      return path === '/login' ? this.login(req, res) : this.logout(req, res);
    }
    if (method !== 'GET' && method !== 'HEAD') return this.send(res, 405, 'text/plain; charset=utf-8', 'read-only\n', { Allow: 'GET, HEAD' });
    switch (path) {
      case '/app.js': return this.send(res, 200, 'text/javascript; charset=utf-8', CLIENT_JS);
      case '/app.css': return this.send(res, 200, 'text/css; charset=utf-8', CLIENT_CSS);
      case '/': case '/panel': case '/api/status': case '/metrics': break;
      default: return this.send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
    }
    const status = await this.opts.status();
    if (path === '/metrics') return this.send(res, 200, 'text/plain; version=0.0.4; charset=utf-8', renderMetrics(status, this.counters));
    const view = viewOf(status, this.viewer(req).viewer);
    if (path === '/api/status') return this.send(res, 200, 'application/json; charset=utf-8', JSON.stringify(view, null, 2) + '\n');
    if (path === '/panel') return this.send(res, 200, 'text/html; charset=utf-8', renderPanel(view));
    return this.send(res, 200, 'text/html; charset=utf-8', renderPage(view));
  }

  private async readForm(req: IncomingMessage): Promise<URLSearchParams | undefined> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_BODY) return undefined;
      chunks.push(chunk);
    }
    return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
  }

  private async page(res: ServerResponse, code: number, viewer: Viewer, notice: string, extra: Record<string, string | number> = {}): Promise<void> {
    const view = viewOf(await this.opts.status(), viewer);
    this.send(res, code, 'text/html; charset=utf-8', renderPage(view, { notice }), extra);
  }

  private async login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = await this.readForm(req);
    if (!form) return this.send(res, 413, 'text/plain; charset=utf-8', 'request too large\n', { Connection: 'close' });
    const user = form.get('user') ?? '';
    const password = form.get('password') ?? '';
    const anonymous: Viewer = { kind: 'anonymous' };
    if (!user || !password || user.length > 256 || password.length > 1024) return this.page(res, 400, anonymous, 'give a user name and a password');
    const ip = (req.socket.remoteAddress ?? '?').replace(/^::ffff:/, '');
    // The SSH console's keys: a lockout there (by address or user) holds here, and the other way.
    const keys = [`addr:${ip}`, `user:${user}`];
    const admitted = this.opts.limiter.begin(keys, this.now());
    if (!admitted.ok) {
      this.counters.logins.refused = (this.counters.logins.refused ?? 0) + 1;
      const until = this.opts.limiter.state(admitted.key, this.now()).until;
      const retry = Math.max(1, Math.ceil((until - this.now()) / 1000));
      this.opts.log.warn({ user, ip, reason: admitted.reason }, 'front panel login refused unchecked');
      const who = admitted.key.startsWith('addr:') ? 'from this address' : `for ${user}`;
      return this.page(res, 429, anonymous, `too many failed logins ${who}; try again ${until ? `after ${new Date(until).toISOString().slice(11, 16)} UTC` : 'later'}`, until ? { 'Retry-After': retry } : {});
    }
    const ok = await this.opts.accounts.checkPassword(user, password).catch(() => false);
    const verdict = this.opts.limiter.settle(admitted.ticket, ok, this.now());
    if (!ok) {
      this.counters.logins.failed = (this.counters.logins.failed ?? 0) + 1;
      this.opts.log.warn({ user, ip }, 'front panel login failed');
      if (verdict.delayMs > 0) await sleep(verdict.delayMs);
      return this.page(res, 401, anonymous, 'wrong user name or password');
    }
    this.counters.logins.ok = (this.counters.logins.ok ?? 0) + 1;
    this.opts.log.info({ user, ip }, 'front panel login');
    const token = this.sessions.create(user, this.now());
    res.writeHead(303, { ...SECURITY_HEADERS, Location: '/', 'Set-Cookie': sessionCookie(token, Math.floor(this.sessions.options.ttlMs / 1000)), 'Content-Length': 0 });
    res.end();
  }

  private async logout(req: IncomingMessage, res: ServerResponse): Promise<void> {
    await this.readForm(req); // drain; the body says nothing
    const { viewer, token } = this.viewer(req);
    this.sessions.drop(token);
    if (viewer.kind !== 'anonymous') this.opts.log.info({ user: viewer.name }, 'front panel logout');
    res.writeHead(303, { ...SECURITY_HEADERS, Location: '/', 'Set-Cookie': sessionCookie('', 0), 'Content-Length': 0 });
    res.end();
  }
}
