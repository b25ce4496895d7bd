// The two static files the page loads from its own origin: app.js, which keeps the panel
// live, and app.css. They are strings here rather than files beside the code so that they
// ship in dist/ with no build step and no copy; the server sends them as they are.

/**
 * Every 3 s (while the tab is visible) fetch /panel, the server's own rendering of the
 * <main> element, and swap it in. Parsed with DOMParser into an inert document and
 * adopted node by node: nothing in it runs, and no value is rendered twice in two languages.
 */
export const CLIENT_JS = `'use strict';
(function () {
  var PERIOD = 3000;
  var live = document.getElementById('live');
  var timer = 0;
  function say(text, cls) { if (live) { live.textContent = text; live.className = 'live ' + cls; } }
  function tick() {
    timer = 0;
    fetch('/panel', { credentials: 'same-origin', cache: 'no-store' }).then(function (r) {
      if (!r.ok) throw new Error('HTTP ' + r.status);
      return r.text();
    }).then(function (html) {
      var doc = new DOMParser().parseFromString(html, 'text/html');
      var next = doc.getElementById('panel');
      var now = document.getElementById('panel');
      if (next && now) now.replaceWith(document.adoptNode(next));
      var state = document.getElementById('health');
      if (state) document.title = document.title.replace(/ · .*$/, ' · ' + state.textContent);
      say('live · ' + new Date().toLocaleTimeString(), 'ok');
    }).catch(function () {
      say('offline: retrying', 'off');
    }).then(schedule);
  }
  function schedule() { if (!timer && !document.hidden) timer = setTimeout(tick, PERIOD); }
  document.addEventListener('visibilitychange', function () { if (!document.hidden) { clearTimeout(timer); timer = 0; tick(); } });
  schedule();
})();
`;

const bars = Array.from({ length: 21 }, (_, i) => `.bar .p${i * 5}{width:${i * 5}%}`).join('');

export const CLIENT_CSS = `:root{color-scheme:light dark;--fg:#1d2327;--bg:#f4f5f7;--card:#fff;--muted:#667;--ok:#1a7f37;--warn:#9a6700;--bad:#cf222e;--line:#d0d7de}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--bg:#0d1117;--card:#161b22;--muted:#8b949e;--line:#30363d}}
*{box-sizing:border-box}body{margin:0;font:16px/1.4 system-ui,sans-serif;color:var(--fg);background:var(--bg)}
header,footer{padding:12px 16px}header h1{margin:0;font-size:1.4em}header p{margin:2px 0;color:var(--muted);font-size:.85em;word-break:break-all}
.live.off{color:var(--bad)}
main{display:grid;gap:12px;padding:0 12px;grid-template-columns:repeat(auto-fit,minmax(280px,1fr))}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:12px 14px;min-width:0;overflow-x:auto}
.card h2{margin:0 0 8px;font-size:1em;color:var(--muted);text-transform:uppercase;letter-spacing:.05em}
.state{font-size:2em;font-weight:700;margin:0}
.state-ready .state{color:var(--ok)}.state-degraded .state,.state-booting .state,.state-stopping .state{color:var(--warn)}.state-error .state,.state-stopped .state{color:var(--bad)}
.reasons{margin:6px 0 0;padding-left:1.2em}.warn{color:var(--warn)}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:3px 6px 3px 0;vertical-align:top}th[scope=row]{color:var(--muted);font-weight:400;white-space:nowrap;width:1%}
.list th{color:var(--muted);font-weight:400;border-bottom:1px solid var(--line)}.id{font-family:monospace;font-size:.8em;word-break:break-all}
.bar{height:10px;border-radius:5px;background:var(--line);overflow:hidden;margin-bottom:8px}.bar span{display:block;height:100%;background:var(--ok)}.bar.low span{background:var(--bad)}
${bars}
ul{margin:0;padding-left:1.2em}time{color:var(--muted);font-family:monospace}
footer form{display:flex;flex-wrap:wrap;gap:8px;align-items:center}input{font:inherit;padding:4px 6px;max-width:12em}button{font:inherit;padding:4px 12px}
.notice{color:var(--bad);margin:0 0 8px}
`;
