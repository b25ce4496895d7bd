// The serial console's public surface (the supervisor opens the line with hw/serial and
// calls serveSerialConsole on each open).
export { serveSerialConsole, PROMPT, LINE_KEY, IDLE_LOGOUT_MS, type SerialConsoleOptions, type SerialStream } from './console.js';
export { LOGIN_PROMPT, PASSWORD_PROMPT, issueText, type FirstBoot } from './banner.js';
