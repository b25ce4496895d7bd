// The tmux terminal the console tests type through: text is typed literally, even text that
// starts with '-' (a random one-time password did, and tmux took it for a flag).
import { execFileSync } from 'node:child_process';
import t from 'tap';
import { TmuxTerminal } from '../../helpers/tmux.js';

execFileSync(new URL('../../../scripts/ensure-apt.sh', import.meta.url).pathname, ['tmux'], { stdio: 'inherit', timeout: 300_000 });

t.test('type() sends text that looks like a flag as text', async (t) => {
  const term = new TmuxTerminal({ command: 'cat; sleep 30', session: 'cat', socketPrefix: 'colony-tmux-test', waitMs: 10_000 }).start(t);
  term.type('-3etx --not-a-flag');
  term.keys('Enter');
  t.match(await term.waitFor(/-3etx --not-a-flag\n-3etx --not-a-flag/), /-3etx/, 'typed, then echoed back by cat');
  term.close();
});
