// The ssh2 package as a test client, for what OpenSSH cannot show a test: a session kept
// open across catalog changes, several channels on one connection.
import { Client, type ClientChannel } from 'ssh2';

/** A password login (no keyboard-interactive), trusting any host key. */
export function passwordLogin(port: number, username: string, password: string): Promise<Client> {
  return new Promise((resolve, reject) => {
    const c = new Client();
    c.on('ready', () => resolve(c)).on('error', reject);
    c.connect({ host: '127.0.0.1', port, username, password, tryKeyboard: false, readyTimeout: 30_000, hostVerifier: () => true });
  });
}

/** A console shell without a pty: write lines to `ch`, wait (bounded) for text to come back. */
export async function consoleShell(c: Client) {
  const ch = await new Promise<ClientChannel>((resolve, reject) => c.shell(false, (err, s) => (err ? reject(err) : resolve(s))));
  let out = '';
  let closed = false;
  ch.on('data', (b: Buffer) => { out += b.toString(); });
  ch.stderr.on('data', (b: Buffer) => { out += b.toString(); });
  ch.on('close', () => { closed = true; });
  const until = async (ok: () => boolean, what: string) => {
    for (let i = 0; i < 600 && !ok(); i++) await new Promise((r) => setTimeout(r, 25));
    if (!ok()) throw new Error(`never saw ${what}; got ${JSON.stringify(out)}`);
  };
  return { ch, text: () => out, closed: () => closed, until };
}
