// A tiny Chrome DevTools Protocol client over --remote-debugging-pipe (fd 3: commands to
// Chromium, fd 4: its answers and events; each message JSON ending in a NUL byte), enough to
// load a page, evaluate expressions and take a screenshot in headless Debian Chromium.
// No puppeteer: nothing is downloaded.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

type Message = { id?: number; method?: string; params?: Record<string, unknown>; result?: Record<string, unknown>; error?: { message: string }; sessionId?: string };

export interface Browser {
  /** A command on the page's session. */
  send(method: string, params?: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** The value of a JavaScript expression in the page (awaited if it is a promise). */
  evaluate<T = unknown>(expression: string): Promise<T>;
  /** Navigates and waits for the load event. */
  load(url: string): Promise<void>;
  /** Every event seen so far, by method. */
  events: Message[];
  close(): Promise<void>;
}

export async function launchChromium(opts: { width: number; height: number }): Promise<Browser> {
  const profile = await mkdtemp(join(tmpdir(), 'colony-web-chromium-'));
  const args = [
    '--headless=new', '--remote-debugging-pipe', `--user-data-dir=${profile}`, '--no-first-run', '--no-default-browser-check', '--disable-gpu',
    '--disable-extensions', '--disable-background-networking', '--disable-sync', '--hide-scrollbars', '--mute-audio', `--window-size=${opts.width},${opts.height}`,
    ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), 'about:blank',
  ];
  const child: ChildProcess = spawn('chromium', args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (s: string) => { stderr = (stderr + s).slice(-8000); });
  const toChrome = child.stdio[3] as Writable;
  const fromChrome = child.stdio[4] as Readable;
  const waiting = new Map<number, { resolve: (r: Record<string, unknown>) => void; reject: (e: Error) => void }>();
  const listeners = new Set<(m: Message) => void>();
  const events: Message[] = [];
  let nextId = 1;
  let buf = Buffer.alloc(0);
  fromChrome.on('data', (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    for (let nul = buf.indexOf(0); nul >= 0; nul = buf.indexOf(0)) {
      const msg = JSON.parse(buf.subarray(0, nul).toString('utf8')) as Message;
      buf = buf.subarray(nul + 1);
      if (msg.id !== undefined && waiting.has(msg.id)) {
        const w = waiting.get(msg.id)!;
        waiting.delete(msg.id);
        if (msg.error) w.reject(new Error(`CDP: ${msg.error.message}`)); else w.resolve(msg.result ?? {});
      } else if (msg.method) {
        events.push(msg);
        for (const l of listeners) l(msg);
      }
    }
  });
  const exited = new Promise<void>((r) => child.on('close', () => r()));
  child.on('close', () => { for (const w of waiting.values()) w.reject(new Error(`chromium exited: ${stderr}`)); waiting.clear(); });

  const raw = (method: string, params: Record<string, unknown> = {}, sessionId?: string) => new Promise<Record<string, unknown>>((resolve, reject) => {
    const id = nextId++;
    waiting.set(id, { resolve, reject });
    toChrome.write(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }) + '\0');
  });

  const { targetInfos } = await raw('Target.getTargets') as { targetInfos: Array<{ targetId: string; type: string }> };
  const page = targetInfos.find((x) => x.type === 'page');
  if (!page) throw new Error('chromium has no page target');
  const { sessionId } = await raw('Target.attachToTarget', { targetId: page.targetId, flatten: true }) as { sessionId: string };
  const send = (method: string, params: Record<string, unknown> = {}) => raw(method, params, sessionId);
  await send('Page.enable');
  await send('Runtime.enable');
  await send('Log.enable');
  await send('Emulation.setDeviceMetricsOverride', { width: opts.width, height: opts.height, deviceScaleFactor: 1, mobile: false });

  return {
    send, events,
    async evaluate<T>(expression: string): Promise<T> {
      const r = await send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true }) as { result: { value: T }; exceptionDetails?: { text: string } };
      if (r.exceptionDetails) throw new Error(`evaluate ${expression}: ${r.exceptionDetails.text}`);
      return r.result.value;
    },
    async load(url: string) {
      const loaded = new Promise<void>((resolve) => {
        const l = (m: Message) => { if (m.method === 'Page.loadEventFired' && m.sessionId === sessionId) { listeners.delete(l); resolve(); } };
        listeners.add(l);
      });
      await send('Page.navigate', { url });
      await loaded;
    },
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        await raw('Browser.close').catch(() => {});
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      await rm(profile, { recursive: true, force: true });
    },
  };
}
