// The hardware on real paths, inside the QEMU guest (issue 16): a real `colony serve` in the
// guest drives real LED-class devices with no GPIO, the SD host controller's `mmc0::` (status)
// and the i8042 keyboard's `input0::capslock` (power), through the kernel's triggers: the plan
// for `ready`, `identify 5` over OpenSSH (the pattern trigger, which the driver loads itself
// with modprobe, then back), and at stop the triggers found at start put back. It offers the
// serial console on the guest's second UART (/dev/ttyS1), whose host end (QEMU's pty) picocom
// drives from here through tmux: the first-boot notice with the admin's one-time password,
// `colony login:`, admin's login and new password, `status`, `exit` and the prompt again; SSH
// then takes that new password. The guest half is scripts/vm/guest/hw-lib.sh (hw_checks).
import t from 'tap';
import { defaultLedConfig, planLeds, type LedConfig } from '../../hw/leds/index.js';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Picocom, runHwGuest, sysfsView } from '../helpers/vm-hw.js';
import { shq } from '../helpers/vm-cpu.js';
import { requireVm } from '../helpers/vm.js';

const STATUS = 'mmc0::';
const POWER = 'input0::capslock';
// max_brightness of each (the guest checks these): sdhci's LED is 0–255, a keyboard LED 0–1.
const MAX = { status: 255, power: 1 };
const PASSWORD = 'serial-Pass-4711';
// The guest's /tmp (the data directory) is a 1 GiB tmpfs, under the default 1 GiB disk
// reserve: a lower reserve keeps the node `ready` rather than `degraded`.
const config = { leds: { status: [STATUS], power: [POWER] }, serial: { path: '/dev/ttyS1' }, sysinfo: { diskReserveBytes: 64 << 20 } };

/** The sysfs view each LED should show in a condition, from the same planner the supervisor runs. */
function views(leds: LedConfig, state: Parameters<typeof planLeds>[0]) {
  const plan = planLeds(state, leds, 0).leds;
  return { status: sysfsView(plan.status, MAX.status), power: sysfsView(plan.power, MAX.power) };
}

if (await requireVm(t)) {
  // The host's terminal client and its driver, and sshpass for the guest's SSH client (a fresh CI machine may lack them).
  execFileSync(fileURLToPath(new URL('../../scripts/ensure-apt.sh', import.meta.url)), ['picocom', 'tmux', 'sshpass'], { stdio: 'inherit', timeout: 300_000 });
  t.test('real LED-class devices and a real serial line in the guest', async (t) => {
    const leds = { ...defaultLedConfig(), status: [STATUS], power: [POWER] };
    const ready = views(leds, { health: 'ready', busy: [], degraded: [] });
    const identify = views(leds, { health: 'ready', busy: [], degraded: [], identifyUntil: 1 });
    const serialChecks: Array<{ name: string; ok: boolean; detail?: string }> = [];

    const t0 = Date.now();
    const r = await runHwGuest({
      script: `hw_checks ${shq(JSON.stringify(config))}`,
      env: {
        ADMIN_PASSWORD: PASSWORD, LED_STATUS: STATUS, LED_POWER: POWER, MAX_STATUS: String(MAX.status), MAX_POWER: String(MAX.power),
        READY_STATUS: ready.status, READY_POWER: ready.power, IDENTIFY_STATUS: identify.status, IDENTIFY_POWER: identify.power,
      },
      serial: async (pty, stop) => {
        const term = new Picocom(pty, stop);
        // One step after another; the first that fails ends the session (the rest cannot follow).
        const step = async (name: string, fn: () => Promise<unknown>) => {
          try { await fn(); serialChecks.push({ name, ok: true }); } catch (err) {
            serialChecks.push({ name, ok: false, detail: err instanceof Error ? err.message : String(err) });
            throw err;
          }
        };
        try {
          term.start();
          await step('picocom opens the line', () => term.waitFor(/Terminal ready/, 'Terminal ready', 20_000));
          // picocom holds the pty from QEMU's start, so it sees what the supervisor writes when it
          // opens the port (a colony serve start takes minutes under TCG on a loaded host).
          let password = '';
          await step('serial: the first-boot notice (node id, the admin\'s one-time password) and `colony login:`', async () => {
            const screen = await term.waitFor(/colony login:$/, 'colony login:', 420_000);
            if (!/Colony: first boot/.test(screen) || !/node id +\S+/.test(screen)) throw new Error(`no first-boot notice with the node id:\n${screen}`);
            const otp = /log in as 'admin' with the one-time password (\S+);/.exec(screen);
            if (!otp) throw new Error(`the notice shows no one-time password:\n${screen}`);
            password = otp[1]!;
          });
          await step('serial: admin, then a password prompt', async () => {
            term.type('admin'); term.keys('Enter');
            await term.waitFor(/password:$/, 'password:');
          });
          await step('serial: the one-time password is taken and a new one asked for twice', async () => {
            term.type(password); term.keys('Enter');
            await term.waitFor(/new password:$/, 'new password:', 90_000);
            term.type(PASSWORD); term.keys('Enter');
            await term.waitFor(/new password again:$/, 'new password again:', 90_000);
            term.type(PASSWORD); term.keys('Enter');
          });
          await step('serial: the password changed, admin is in (welcome, colony>), no password echoed', async () => {
            const screen = await term.waitFor(/password changed[\s\S]*Welcome, admin\.[\s\S]*colony>$/, 'password changed, the welcome and colony>', 90_000);
            if (screen.includes(PASSWORD) || screen.includes(`${password}\n`)) throw new Error('a password was echoed');
          });
          await step('serial: `status` answers through the registry', async () => {
            term.type('status'); term.keys('Enter');
            await term.waitFor(/colony> status\s+no environments running\s+colony>$/, 'status output and the prompt', 90_000);
          });
          await step('serial: `exit` logs out; the login prompt comes back without the first-boot notice', async () => {
            term.type('exit'); term.keys('Enter');
            const screen = await term.waitFor(/colony> exit[\s\S]*colony login:$/, 'colony login: after exit', 60_000);
            const after = screen.slice(screen.lastIndexOf('colony> exit'));
            if (/first boot/.test(after)) throw new Error(`the first-boot notice is still shown:\n${after}`);
          });
        } finally {
          if (serialChecks.some((c) => !c.ok)) t.comment(`picocom screen:\n${safeScreen(term)}`);
          term.close();
        }
      },
    });
    const wall = Date.now() - t0;

    t.ok(r.checks.length >= 21, `the guest ran its checks (ran ${r.checks.length}, rc ${r.rc})`, r.checks.length >= 21 ? {} : { output: r.output.slice(-6000) });
    for (const c of r.checks) t.ok(c.ok, c.name, c.ok ? {} : { detail: c.detail ?? '' });
    t.ok(serialChecks.length >= 7 && !r.serialError, 'the host ran its serial session through', r.serialError ? { error: r.serialError } : {});
    for (const c of serialChecks) t.ok(c.ok, c.name, c.ok ? {} : { detail: c.detail ?? '' });
    if (r.checks.some((c) => !c.ok) || r.serialError) t.comment(`guest output (last 8000 characters):\n${r.output.slice(-8000)}`);
    const s = r.said;
    t.comment(`boot ${r.ms.boot} ms; serve ready ${s.serve_ready_ms} ms; identify seen ${s.identify_seen_ms} ms, ssh done ${s.identify_ssh_ms} ms; script ${r.ms.script} ms; guest ${r.ms.total} ms; wall ${wall} ms`);
  });
}

function safeScreen(term: Picocom): string {
  try { return term.screen(); } catch (err) { return String(err); }
}
