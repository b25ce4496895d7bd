// What the serial console says around the login: pure text, tested as data.
import { FIRST_ADMIN } from '../../catalog/index.js';

export const LOGIN_PROMPT = 'colony login: ';
export const PASSWORD_PROMPT = 'password: ';

export interface FirstBoot { nodeId: string; addresses: string[]; password?: string }

/** The text before `colony login:`: the node, and on first boot how to get in. */
export function issueText(nodeId: string, firstBoot: FirstBoot | undefined): string {
  if (!firstBoot) return `\nColony node ${nodeId}: serial console\n\n`;
  const how = firstBoot.password
    ? `log in as '${FIRST_ADMIN}' with the one-time password ${firstBoot.password}`
    : `log in as '${FIRST_ADMIN}' with the one-time password that 'colony serve' showed when it first started`;
  return [
    '',
    'Colony: first boot (no admin has logged in yet)',
    `  node id    ${firstBoot.nodeId}`,
    `  addresses  ${firstBoot.addresses.length ? firstBoot.addresses.join(', ') : 'none yet'}`,
    `  ${how};`,
    '  you will choose a new password at once, and this notice goes away.',
    '', '',
  ].join('\n');
}

export function welcomeText(user: string): string {
  return `Welcome, ${user}. Type help for the commands; exit or Ctrl-D logs out.\n`;
}

/** A line with bytes that are not UTF-8 text (or C1 controls): line noise, or a terminal at the wrong speed. */
export function isNoise(line: string): boolean {
  return /[\uFFFD\u0080-\u009f]/.test(line);
}

export const NOISE_TEXT = 'error: that line held bytes that are not text, so nothing was run; is the terminal set to the line\'s speed (115200 8N1 unless configured)?\n';

export function tooLongText(length: number, max: number): string {
  return `error: that line is too long (${length > max ? `over ${max}` : length} characters; at most ${max}), so nothing was run\n`;
}

/** Minutes or seconds, for the idle notice. */
export function idleText(ms: number): string {
  const [n, unit] = ms >= 60_000 ? [Math.round(ms / 60_000), 'minute'] : [Math.max(1, Math.round(ms / 1000)), 'second'];
  return `\nidle for ${n} ${unit}${n === 1 ? '' : 's'}: logged out\n`;
}

export function lockText(who: 'line' | 'user', user: string, until: number): string {
  const at = new Date(until).toISOString().slice(11, 16);
  return who === 'line'
    ? `Login refused: too many failed logins on this line; try again after ${at} UTC\n`
    : `Login refused: too many failed logins for ${user}; try again after ${at} UTC\n`;
}
