// The SSH console server: ssh2 over our own TCP listener (so we hold every socket and can
// close them in bounded time), the host key kept on disk, authentication against the
// catalog with failed logins limited, and one ChannelSession per exec or shell.
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import ssh2 from 'ssh2';
import type { Connection, PseudoTtyInfo, ServerChannel } from 'ssh2';
import { fromSystemError, invalid } from '../../errors.js';
import { silentLog, type Log } from '../../log.js';
import { decide, lockoutNotice, METHODS, userLockNotice, type AuthRequest } from './auth.js';
import type { Accounts, Interpreter, NodeInfo } from './commands.js';
import { loadOrCreateHostKey, type HostKey } from './host-key.js';
import { FailureLimiter, type LimiterOptions } from './rate-limit.js';
import { loginAccount } from '../registry.js';
import { ChannelSession } from './session.js';

export interface SshConsoleOptions {
  /** The catalog (users, keys, passwords); `mustChangePassword` marks one-time passwords (absent: none are). */
  catalog: Accounts & { nodeId?: string; mustChangePassword?(name: string): boolean };
  interpreter: Interpreter;
  /** Where the host key lives; made at the first start. */
  hostKeyPath: string;
  log?: Log;
  /** Shown at the start of an interactive session. */
  banner?: string;
  /** Failed attempts one connection may make before it is dropped (default 6). */
  maxAuthFailures?: number;
  /** Failed-login limits per source address and per user. */
  limits?: Partial<LimiterOptions>;
  /** Called by the admin command `shutdown`, with the admin's name. */
  onShutdown?: (by: string) => void | Promise<void>;
  /** For `node`; defaults: the catalog's node id, 0.0.0.0 version, now. */
  node?: Partial<NodeInfo>;
  /** Most connections at once (default 64). */
  maxConnections?: number;
  /** Time allowed for authentication after a connection opens (default 60 s). */
  loginTimeoutMs?: number;
  /**
   * Time from TCP accept to a finished login (default 15 s). The login timer above starts
   * only once the client speaks SSH, so without this a socket that never speaks holds its
   * slot for ever.
   */
  handshakeTimeoutMs?: number;
  /** Most connections at once from one source address (default 8). */
  maxPerAddress?: number;
  /**
   * Connections taken beyond `maxConnections` (default 4) that only a public-key login may
   * keep, so that idle sockets filling the console never lock out a holder of a valid key.
   */
  reserveConnections?: number;
}

/** What the listener knows about one accepted socket until ssh2 hands us its connection. */
interface Admission { socket: Socket; ip: string; reserve: boolean; authenticated: boolean }

export interface ListenAddress { host: string; port: number }

export const DEFAULT_ADDRESS = '0.0.0.0:2222';
export const DEFAULT_BANNER = 'Colony grid console. Type help for the commands, exit or Ctrl-D to leave.';

/** `host:port`, `[v6]:port` or `:port` (all addresses). */
export function parseListenAddress(text: string): ListenAddress {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port >= 0 && port <= 65535)) throw invalid(`'${text}' is not an address to listen on (host:port, [v6]:port or :port)`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

export class SshConsole {
  private readonly log: Log;
  /** Failed logins per address and per user; the serial console shares it, so a user locked out here is locked out there. */
  readonly limiter: FailureLimiter;
  private readonly sessions = new Set<ChannelSession>();
  private readonly sockets = new Set<Socket>();
  private readonly clients = new Set<Connection>();
  /** By `ip|port`, the key ssh2's connection info gives back. */
  private readonly admissions = new Map<string, Admission>();
  private readonly perAddress = new Map<string, number>();
  private readonly node: NodeInfo;
  private net: NetServer | undefined;
  private ssh: ssh2.Server | undefined;
  private hostKey: HostKey | undefined;
  private closing: Promise<void> | undefined;

  constructor(private readonly opts: SshConsoleOptions) {
    this.log = (opts.log ?? silentLog).child({ module: 'ssh' });
    this.limiter = new FailureLimiter(opts.limits);
    this.node = {
      ...opts.node, // board, identify, lan… as the supervisor gave them
      id: opts.node?.id ?? opts.catalog.nodeId ?? 'unknown',
      version: opts.node?.version ?? '0.0.0',
      started: opts.node?.started ?? Date.now(),
      sessions: opts.node?.sessions ?? (() => this.sessions.size),
      ...(opts.node?.peers ? { peers: opts.node.peers } : {}),
      ...(opts.node?.cpu ? { cpu: opts.node.cpu } : {}),
      ...(opts.node?.sshPort !== undefined ? { sshPort: opts.node.sshPort } : {}),
    };
  }

  /** The host key's fingerprint (after listen). */
  get fingerprint(): string | undefined {
    return this.hostKey?.fingerprint;
  }

  /** Starts listening; a taken port or a bad address is an error that names the address. */
  async listen(address: string = DEFAULT_ADDRESS): Promise<{ address: ListenAddress; close(): Promise<void> }> {
    if (this.net) throw invalid('the SSH console is already listening');
    const want = parseListenAddress(address);
    this.hostKey = await loadOrCreateHostKey(this.opts.hostKeyPath);
    if (this.hostKey.created) this.log.info({ path: this.opts.hostKeyPath, fingerprint: this.hostKey.fingerprint }, 'ssh host key created');
    const ssh = new ssh2.Server({ hostKeys: [this.hostKey.pem], ident: 'Colony' }, (client, info) => this.onClient(client, info.ip, info.port));
    const net = createServer((socket) => this.admit(socket, ssh));
    await new Promise<void>((resolve, reject) => {
      net.once('error', (err) => reject(fromSystemError(err, `listening for SSH on ${want.host}:${want.port}`)));
      net.listen(want.port, want.host, () => resolve());
    });
    net.on('error', (err) => this.log.error({ err: err.message }, 'ssh listener error'));
    this.net = net;
    this.ssh = ssh;
    const a = net.address();
    const bound = typeof a === 'object' && a ? { host: a.address, port: a.port } : want;
    this.node.sshPort ??= bound.port; // for the cpu lines
    this.log.info({ ...bound, fingerprint: this.hostKey.fingerprint }, 'ssh console listening');
    return { address: bound, close: () => this.close() };
  }

  /**
   * Takes or refuses one accepted socket: per-address and global caps, the key-only
   * reserve beyond the global cap, and the deadline from accept to a finished login.
   */
  private admit(socket: Socket, ssh: ssh2.Server): void {
    const ip = socket.remoteAddress ?? '?';
    const max = this.opts.maxConnections ?? 64;
    const reserve = this.sockets.size >= max;
    const fromIp = this.perAddress.get(ip) ?? 0;
    if (this.closing || this.sockets.size >= max + (this.opts.reserveConnections ?? 4) || fromIp >= (this.opts.maxPerAddress ?? 8)) {
      this.log.debug({ remote: ip, open: this.sockets.size, fromAddress: fromIp }, 'ssh connection refused: too many connections');
      socket.destroy();
      return;
    }
    const key = `${ip}|${socket.remotePort}`;
    const admission: Admission = { socket, ip, reserve, authenticated: false };
    this.sockets.add(socket);
    this.admissions.set(key, admission);
    this.perAddress.set(ip, fromIp + 1);
    const deadline = setTimeout(() => {
      if (admission.authenticated) return;
      this.log.info({ remote: ip }, 'ssh handshake timed out');
      socket.destroy();
    }, this.opts.handshakeTimeoutMs ?? 15_000);
    deadline.unref();
    socket.once('close', () => {
      clearTimeout(deadline);
      this.sockets.delete(socket);
      this.admissions.delete(key);
      const n = (this.perAddress.get(ip) ?? 1) - 1;
      if (n > 0) this.perAddress.set(ip, n); else this.perAddress.delete(ip);
    });
    socket.on('error', () => {});
    ssh.injectSocket(socket);
  }

  private onClient(client: Connection, ip: string, port: number | undefined): void {
    const log = this.log.child({ remote: ip });
    const admission = this.admissions.get(`${ip}|${port}`);
    // ssh2 calls us when the client's version line arrives, before it asks for the
    // authentication service, so a banner set now is sent before the first attempt.
    const notice = lockoutNotice(this.limiter, ip, Date.now());
    if (notice && !setLoginBanner(client, notice)) log.warn({}, 'cannot send the lockout banner with this ssh2 version');
    let user: string | undefined;
    /** The account logged in as, pinned now: every channel of this connection acts as it alone. */
    let account: string | undefined;
    let failures = 0;
    const maxFailures = this.opts.maxAuthFailures ?? 6;
    const timer = setTimeout(() => { if (!user) { log.info({}, 'ssh login timed out'); client.end(); } }, this.opts.loginTimeoutMs ?? 60_000);
    timer.unref();
    client.on('error', (err) => log.debug({ err: err.message }, 'ssh connection error'));
    this.clients.add(client);
    client.on('close', () => { clearTimeout(timer); this.clients.delete(client); });

    client.on('authentication', (ctx) => {
      // A user locked for passwords is told so: `none` (the client's first request, which
      // names the user) is answered with keyboard-interactive on offer, which OpenSSH tries
      // before passwords; that exchange shows the notice and asks nothing.
      const userNotice = ctx.method === 'none' || ctx.method === 'keyboard-interactive' ? userLockNotice(this.limiter, ctx.username, Date.now()) : undefined;
      if (userNotice && ctx.method === 'none') { ctx.reject(['publickey', 'keyboard-interactive']); return; }
      if (userNotice && ctx.method === 'keyboard-interactive') {
        log.info({ user: ctx.username }, 'ssh user locked for passwords: told through keyboard-interactive');
        ctx.prompt([], 'Colony', userNotice, () => ctx.reject(['publickey']));
        return;
      }
      // A reserve slot (taken past the global cap) is kept only by a key: passwords there
      // would let a guesser hold the slots kept for key holders.
      if (admission?.reserve && ctx.method !== 'publickey') { ctx.reject(['publickey']); return; }
      const req: AuthRequest = ctx.method === 'password' ? { method: 'password', username: ctx.username, password: ctx.password }
        : ctx.method === 'publickey' ? { method: 'publickey', username: ctx.username, key: ctx.key, signature: ctx.signature, blob: ctx.blob, hashAlgo: ctx.hashAlgo }
        : { method: ctx.method, username: ctx.username };
      decide({ accounts: this.opts.catalog, limiter: this.limiter }, ip, req).then((d) => {
        if (d.verdict === 'accept') {
          user = d.user;
          account = loginAccount(this.opts.catalog, d.user);
          if (admission) admission.authenticated = true;
          log.info({ user: d.user, method: ctx.method }, 'ssh login');
          ctx.accept();
          return;
        }
        if (d.verdict === 'key-ok') { ctx.accept(); return; }
        if (d.counted || d.locked) {
          failures++;
          log.warn({ user: ctx.username, method: ctx.method, reason: d.reason, locked: d.locked }, 'ssh login refused');
        }
        // The refusal that locks the address ends the connection: OpenSSH shows the
        // lockout banner only when a connection starts, so the next try explains itself.
        const lockedNow = d.counted && d.locked;
        const answer = () => {
          ctx.reject(METHODS);
          if (failures >= maxFailures || lockedNow) client.end();
        };
        if (d.delayMs > 0) setTimeout(answer, d.delayMs).unref(); else answer();
      }).catch((err: unknown) => {
        log.error({ err: err instanceof Error ? err.message : String(err) }, 'ssh authentication failed');
        ctx.reject(METHODS);
      });
    });

    client.on('ready', () => {
      client.on('session', (acceptSession) => {
        const session = acceptSession();
        let pty: PseudoTtyInfo | undefined;
        /** The exec or shell this session runs, once it does: window changes and signals go to it. */
        let running: ChannelSession | undefined;
        session.on('pty', (accept, _reject, info) => { pty = info; accept?.(); });
        session.on('window-change', (accept, _reject, info) => {
          if (pty) pty = { ...pty, cols: info.cols, rows: info.rows };
          running?.resize(info.cols, info.rows);
          accept?.();
        });
        session.on('env', (_accept, reject) => reject?.());
        session.on('subsystem', (_accept, reject) => reject?.());
        session.on('x11', (_accept, reject) => reject?.());
        session.on('auth-agent', (_accept, reject) => reject?.());
        session.on('signal', (accept, _reject, info) => { running?.signal(info.name); accept?.(); });
        session.on('exec', (accept, _reject, info) => { running = this.start(accept(), user!, account, pty, info.command); });
        session.on('shell', (accept) => { running = this.start(accept(), user!, account, pty); });
      });
      client.on('tcpip', (_accept, reject) => reject());
      client.on('openssh.streamlocal', (_accept, reject) => reject());
      client.on('request', (_accept, reject) => reject?.());
    });
  }

  private start(channel: ServerChannel, user: string, account: string | undefined, pty: PseudoTtyInfo | undefined, command?: string): ChannelSession {
    const setup = {
      channel, pty: pty !== undefined,
      ...(pty ? { tty: { term: pty.term || 'xterm', cols: pty.cols || 80, rows: pty.rows || 24 } } : {}),
      log: this.log.child({ user }),
      banner: this.opts.banner ?? DEFAULT_BANNER,
      // Asked when the session starts, so a password changed in another session counts.
      mustChangePassword: this.opts.catalog.mustChangePassword?.(user) === true,
      context: {
        user,
        ...(account !== undefined ? { account } : {}),
        accounts: this.opts.catalog,
        interpreter: this.opts.interpreter,
        node: this.node,
        ...(this.opts.onShutdown ? { shutdown: this.opts.onShutdown } : {}),
      },
    };
    const s = command === undefined ? ChannelSession.shell(setup) : ChannelSession.exec(setup, command);
    this.sessions.add(s);
    if (this.closing) s.stop();
    void s.done.then(() => this.sessions.delete(s));
    return s;
  }

  /**
   * Stops listening and drains: idle sessions end at once, running commands may finish
   * within `timeoutMs`; then every connection is closed, by force if need be.
   */
  close(timeoutMs = 5_000): Promise<void> {
    this.closing ??= this.drain(timeoutMs);
    return this.closing;
  }

  private async drain(timeoutMs: number): Promise<void> {
    const net = this.net;
    if (!net) return;
    const closed = new Promise<void>((resolve) => net.close(() => resolve()));
    for (const s of this.sessions) s.stop();
    await bounded(Promise.all([...this.sessions].map((s) => s.done)), timeoutMs);
    for (const client of this.clients) client.end();
    await bounded(closed, 1_000);
    for (const socket of this.sockets) socket.destroy();
    await bounded(closed, 1_000);
    this.log.info({}, 'ssh console closed');
  }
}

/**
 * Makes `client` send `text` as its SSH_MSG_USERAUTH_BANNER (RFC 4252 §5.4), which OpenSSH
 * prints before it authenticates. ssh2 offers a banner only server-wide (its `banner`
 * option), so this sets the per-connection copy ssh2 keeps until the client requests the
 * authentication service. False when that field is not there (another ssh2 version);
 * test/integration/ssh/ssh-lockout-notice.test.ts pins the behaviour.
 */
function setLoginBanner(client: Connection, text: string): boolean {
  const protocol = (client as unknown as { _protocol?: { _banner?: unknown; _server?: unknown } })._protocol;
  if (!protocol || !protocol._server || !('_banner' in protocol)) return false;
  protocol._banner = text;
  return true;
}

async function bounded(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise<void>((resolve) => { timer = setTimeout(resolve, ms); })]);
  clearTimeout(timer);
}
