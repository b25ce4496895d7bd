// The front panel in headless Chromium (Debian's, driven over the DevTools pipe), loaded
// from a running `colony serve`: the health state shows, an environment spawned after the
// page loaded appears without a reload, the anonymous page holds no token, the CSP
// reports no violation (no inline script or style), and it fits a phone's width.
// Saves its screenshots in COLONY_TEST_TMP (or /tmp); with COLONY_WEB_SCREENSHOT=1 it also
// replaces docs/front-panel.png, the README's screenshot (off by default: a run would dirty
// the checkout with a new node id and new times).
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { repoRoot } from '../helpers/cli.js';
import { freePort, startSupervisor } from '../helpers/colony-server.js';
import { launchChromium, type Browser } from '../integration/web/cdp.js';

execFileSync(join(repoRoot, 'scripts/ensure-apt.sh'), ['chromium'], { stdio: 'inherit', timeout: 900_000 });

async function until<T>(what: string, fn: () => Promise<T>, ok: (v: T) => boolean, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`${what}: still ${JSON.stringify(v)} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

t.test('the page in a browser updates itself and holds no token', async (t) => {
  const port = await freePort();
  const sup = await startSupervisor(t, { config: { web: { enabled: true, listen: `127.0.0.1:${port}` } } });
  const base = `http://127.0.0.1:${port}`;
  await sup.spawn({ as: 'first', via: 'ctl' });

  const phone: Browser = await launchChromium({ width: 390, height: 844 });
  t.teardown(() => phone.close());
  await phone.load(`${base}/`);
  const state = await phone.evaluate<string>("document.getElementById('health').dataset.state");
  const health = JSON.parse(await sup.cli(['status', '--json']).then((r) => r.stdout.toString())) as { health: string };
  t.equal(state, health.health, 'the page says what `colony status` says');
  t.equal(await phone.evaluate<string>("document.getElementById('environments').dataset.count"), '1');
  t.ok(await phone.evaluate<boolean>('document.documentElement.scrollWidth <= window.innerWidth'), 'no sideways scrolling on a phone');

  // A mark on the window survives only if the page is never reloaded.
  await phone.evaluate('window.colonyMark = 42');
  const spawned = await sup.spawn({ as: 'second', via: 'ctl' });
  const token = spawned.aname.split('/').pop()!;
  await until('the environment count', () => phone.evaluate<string>("document.getElementById('environments').dataset.count"), (c) => c === '2');
  t.pass('the new environment appeared');
  t.equal(await phone.evaluate<number>('window.colonyMark'), 42, 'without a reload');
  t.match(await phone.evaluate<string>("document.getElementById('live').textContent"), /^live · /, 'the live line says when it last updated');
  t.match(await phone.evaluate<string>('document.querySelector("#events").textContent'), /an environment started/, 'the event is listed');

  const html = await phone.evaluate<string>('document.documentElement.outerHTML');
  t.notOk(html.includes(token), 'the anonymous page holds no token');
  t.notOk(html.includes('second') || html.includes('first'), 'nor an environment name');
  const csp = phone.events.filter((e) => JSON.stringify(e.params ?? {}).includes('Content Security Policy'));
  t.same(csp, [], 'no CSP violation');
  const errors = phone.events.filter((e) => e.method === 'Runtime.exceptionThrown');
  t.same(errors, [], 'no script error');

  const desk: Browser = await launchChromium({ width: 1100, height: 760 });
  t.teardown(() => desk.close());
  await desk.load(`${base}/`);
  const shot = await desk.send('Page.captureScreenshot', { format: 'png' }) as { data: string };
  const png = Buffer.from(shot.data, 'base64');
  t.same([...png.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], 'a PNG');
  const out = process.env.COLONY_TEST_TMP ?? '/tmp';
  await writeFile(join(out, 'front-panel.png'), png);
  if (process.env.COLONY_WEB_SCREENSHOT === '1') await writeFile(join(repoRoot, 'docs/front-panel.png'), png);
  const phoneShot = await phone.send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true }) as { data: string };
  await writeFile(join(out, 'front-panel-phone.png'), Buffer.from(phoneShot.data, 'base64'));
});
