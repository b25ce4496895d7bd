// A small HTTP client for the front panel tests: node:http, so the test sets every header
// itself (Origin, Cookie) and may pick the source address (127.0.0.2 for a lockout that
// must not lock out the rest of the test, which talks from 127.0.0.1).
import { request } from 'node:http';

export interface HttpAnswer { status: number; headers: Record<string, string | string[] | undefined>; body: string }

export function http(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string; localAddress?: string } = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'GET', headers: opts.headers, ...(opts.localAddress ? { localAddress: opts.localAddress } : {}), timeout: 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${url}: timed out`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** A login form POST (same-origin unless `origin` says otherwise). */
export function postForm(base: string, path: string, form: Record<string, string>, more: { origin?: string; cookie?: string; localAddress?: string } = {}): Promise<HttpAnswer> {
  const body = new URLSearchParams(form).toString();
  const headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded', Origin: more.origin ?? base };
  if (more.cookie) headers.Cookie = more.cookie;
  return http(`${base}${path}`, { method: 'POST', headers, body, ...(more.localAddress ? { localAddress: more.localAddress } : {}) });
}

/** `colony_session=…` from a Set-Cookie answer. */
export function sessionFrom(a: HttpAnswer): string | undefined {
  const set = a.headers['set-cookie'];
  const line = (Array.isArray(set) ? set : set ? [set] : []).find((c) => c.startsWith('colony_session='));
  return line?.split(';')[0];
}
