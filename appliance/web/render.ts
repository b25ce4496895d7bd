// The page, as a pure function of a StatusView: a whole document for GET /, and the <main>
// panel alone for GET /panel, which app.js fetches every few seconds and swaps in, so the
// browser never renders anything this file did not. Every value is escaped; the page has no
// inline script or style (the CSP forbids both) and loads only /app.js and /app.css.
import type { StatusView } from './view.js';

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const h = escapeHtml;

/** 1536 → '1.5 KiB': the units the console's `node` uses. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return i === 0 ? `${n} B` : `${v >= 100 ? v.toFixed(0) : v.toFixed(1).replace(/\.0$/, '')} ${units[i]}`;
}

/** 93784 → '1d 02:03:04', as `status` and `node` print uptime. */
export function formatUptime(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86400);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d > 0 ? `${d}d ` : ''}${p(Math.floor((s % 86400) / 3600))}:${p(Math.floor((s % 3600) / 60))}:${p(s % 60)}`;
}

const row = (label: string, value: string, id?: string) =>
  `<tr><th scope="row">${h(label)}</th><td${id ? ` id="${id}"` : ''}>${value}</td></tr>`;

function percent(part: number, whole: number): number {
  return whole > 0 ? Math.round((part / whole) * 100) : 0;
}

function boardSection(v: StatusView): string {
  const b = v.board;
  const rows = [
    row('uptime', h(formatUptime(v.node.uptimeSeconds)), 'uptime'),
    row('temperature', b.temperatureC === null ? 'unknown (no thermal zone)' : h(`${b.temperatureC.toFixed(1)} °C`), 'temperature'),
    row('memory', b.memory ? h(`${formatBytes(b.memory.availableBytes)} available of ${formatBytes(b.memory.totalBytes)}`) : 'unknown', 'memory'),
    ...(b.load ? [row('load', h(b.load.map((l) => l.toFixed(2)).join(' ')))] : []),
    row('LEDs', h(`${b.leds.condition} (${b.leds.backend})`), 'leds'),
    ...(b.model ? [row('board', h(b.model))] : []),
    row('version', h(v.node.version)),
  ];
  return `<section class="card"><h2>Board</h2><table>${rows.join('')}</table></section>`;
}

function diskSection(v: StatusView): string {
  const d = v.board.disk;
  const used = d ? d.totalBytes - d.availableBytes : 0;
  const low = d !== null && d.availableBytes < v.board.reserveBytes;
  const rows = [
    row('store', v.store ? h(`${formatBytes(v.store.bytes)} in ${v.store.blocks} block${v.store.blocks === 1 ? '' : 's'} (${formatBytes(v.store.diskBytes)} on disk)`) : 'closed', 'store'),
    row('free', d ? h(`${formatBytes(d.availableBytes)} of ${formatBytes(d.totalBytes)}`) : 'unknown', 'disk-free'),
    row('reserve', h(formatBytes(v.board.reserveBytes)) + (low ? ' <strong class="warn">(under the reserve)</strong>' : '')),
    ...(v.store?.refusing ? [row('writes', '<strong class="warn">refused: free space is under the store reserve</strong>', 'store-refusing')] : []),
    ...(v.gc?.last ? [row('gc', h(`freed ${formatBytes(v.gc.last.freedBytes)} at ${v.gc.last.at.slice(11, 16)} UTC`), 'gc')] : []),
  ];
  const bar = d ? `<div class="bar${low ? ' low' : ''}" role="img" aria-label="disk ${percent(used, d.totalBytes)}% used"><span class="p${Math.min(100, Math.ceil(percent(used, d.totalBytes) / 5) * 5)}"></span></div>` : '';
  return `<section class="card"><h2>Disk</h2>${bar}<table>${rows.join('')}</table></section>`;
}

function environmentsSection(v: StatusView): string {
  const e = v.environments;
  const users = e.perUser.length;
  const summary = e.total === 0 ? 'none running'
    : `${e.total} running for ${users} user${users === 1 ? '' : 's'}${users > 1 ? ` (${e.perUser.join(', ')})` : ''}`;
  let list = '';
  if (e.list && e.list.length) {
    const rows = e.list.map((x) => `<tr><td>${h(x.name)}</td><td>${h(x.owner)}</td><td>${h(x.kind)}</td><td>${x.clients}</td><td>${h(formatUptime(x.uptimeSeconds))}</td><td>${x.unsaved ? 'unsaved' : 'saved'}</td></tr>`);
    list = `<table class="list"><thead><tr><th>name</th><th>owner</th><th>kind</th><th>clients</th><th>up</th><th>changes</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
  }
  return `<section class="card"><h2>Environments</h2><p id="environments" data-count="${e.total}">${h(summary)}</p>${list}</section>`;
}

function peersSection(v: StatusView): string {
  const p = v.peers;
  if (p === null) return `<section class="card"><h2>Peers</h2><p id="peers">the peer network is off</p></section>`;
  const states = Object.entries(p.byState).map(([s, n]) => `${n} ${s}`).join(', ');
  let list = '';
  if (p.list && p.list.length) {
    const rows = p.list.map((x) => {
      const lag = x.sync?.lagBytes !== undefined ? formatBytes(x.sync.lagBytes) : '-';
      return `<tr><td class="id">${h(x.id)}</td><td>${h(x.state)}</td><td>${h(x.sync?.state ?? '-')}</td><td>${h(lag)}</td></tr>`;
    });
    list = `<table class="list"><thead><tr><th>peer</th><th>state</th><th>sync</th><th>lag</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
  }
  return `<section class="card"><h2>Peers</h2><p id="peers">${p.total === 0 ? 'none paired' : h(states)}</p>${list}</section>`;
}

function eventsSection(v: StatusView): string {
  if (!v.events.length) return `<section class="card"><h2>Recent events</h2><p>nothing yet</p></section>`;
  const items = v.events.map((e) => `<li><time datetime="${h(e.at)}">${h(e.at.slice(11, 19))}</time> ${h(e.text)}</li>`);
  return `<section class="card"><h2>Recent events</h2><ul id="events">${items.join('')}</ul></section>`;
}

/** The part that changes: app.js replaces the page's <main> with this every few seconds. */
export function renderPanel(v: StatusView): string {
  const reasons = v.health.reasons.length ? `<ul class="reasons">${v.health.reasons.map((r) => `<li>${h(r)}</li>`).join('')}</ul>` : '';
  return `<main id="panel" data-at="${h(v.at)}">`
    + `<section class="card health ${h(`state-${v.health.state}`)}"><h2>Health</h2><p class="state" id="health" data-state="${h(v.health.state)}">${h(v.health.state)}</p>${reasons}</section>`
    + boardSection(v) + diskSection(v) + environmentsSection(v) + peersSection(v) + eventsSection(v)
    + '</main>';
}

export interface PageOptions {
  /** A line above the login form (a wrong password, a lockout). */
  notice?: string;
}

function accountSection(v: StatusView, o: PageOptions): string {
  const notice = o.notice ? `<p class="notice" id="notice" role="alert">${h(o.notice)}</p>` : '';
  if (v.viewer.kind !== 'anonymous') {
    return `<footer>${notice}<form method="post" action="/logout"><span id="who">logged in as ${h(v.viewer.name ?? '')} (${h(v.viewer.kind)})</span> <button type="submit">log out</button></form></footer>`;
  }
  return `<footer>${notice}<form method="post" action="/login" class="login">`
    + '<label>user <input name="user" autocomplete="username" required></label> '
    + '<label>password <input name="password" type="password" autocomplete="current-password" required></label> '
    + '<button type="submit">log in</button></form></footer>';
}

/** The whole document for GET / (and the answer to a login that failed). */
export function renderPage(v: StatusView, o: PageOptions = {}): string {
  const title = v.node.name || `colony ${v.node.id.slice(-8)}`;
  return '<!doctype html><html lang="en"><head><meta charset="utf-8">'
    + '<meta name="viewport" content="width=device-width, initial-scale=1">'
    + `<title>${h(title)} · ${h(v.health.state)}</title>`
    + '<link rel="stylesheet" href="/app.css"><script src="/app.js" defer></script></head><body>'
    + `<header><h1>${h(title)}</h1><p class="id">node <code>${h(v.node.id)}</code></p><p class="live" id="live">live</p></header>`
    + renderPanel(v)
    + accountSection(v, o)
    + '</body></html>';
}
