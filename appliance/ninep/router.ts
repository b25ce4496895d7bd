// A small attach router: exact anames and prefixes mapped to functions. The grid's real
// router (ctl, env/NAME/TOKEN, env/NAME on unix only) is built from this or written by hand.
import { notFound } from '../errors.js';
import type { AttachRequest, AttachRouter, Attachment } from './backend.js';

export type Route = (req: AttachRequest, rest: string) => Promise<Attachment>;

/**
 * Routes by aname: a key 'ctl' matches exactly; a key ending in '/' ('env/') matches that
 * prefix and passes the remainder ('NAME/TOKEN') as `rest`. Longest key wins; anything
 * else is ENOENT. A leading '/' in the aname is ignored, since mount tools often add one.
 */
export function routeTable(routes: Record<string, Route>): AttachRouter {
  const keys = Object.keys(routes).sort((a, b) => b.length - a.length);
  return async (req) => {
    const aname = req.aname.replace(/^\/+/, '');
    for (const k of keys) {
      if (k.endsWith('/') ? aname.startsWith(k) : aname === k) return routes[k]!(req, k.endsWith('/') ? aname.slice(k.length) : '');
    }
    throw notFound(`attach name ${JSON.stringify(req.aname)}`);
  };
}
