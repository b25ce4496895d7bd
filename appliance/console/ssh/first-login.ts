// A one-time password (the first admin's, marked in the catalog) is replaced before
// anything else: an interactive session asks for a new one, twice, and stores it, which
// clears the mark; a one-shot command (`ssh host CMD`) is refused, since it has nobody to
// ask. Questions and answers go through injected functions, so this is tested as data.
import { isColonyError } from '../../errors.js';
import type { Accounts } from './commands.js';
import type { ConsoleReply } from '../reply.js';

export const ONE_TIME_NOTICE = 'Your password is a one-time password; choose a new one.';
/** New-password rounds before the session gives up (the person may log in again). */
export const CHANGE_TRIES = 3;

export interface ChangeIo {
  /** A secret question; undefined when the person gave up (Ctrl-C, Ctrl-D, end of input). */
  ask(prompt: string): Promise<string | undefined>;
  say(text: string): void;
}

/** Asks for a new password until one is stored (true), or the person gives up or runs out of tries (false). */
export async function forcePasswordChange(accounts: Pick<Accounts, 'checkPassword' | 'setPassword'>, user: string, io: ChangeIo): Promise<boolean> {
  io.say(`${ONE_TIME_NOTICE}\n`);
  for (let round = 0; round < CHANGE_TRIES; round++) {
    const first = await io.ask('new password: ');
    if (first === undefined) break;
    const second = await io.ask('new password again: ');
    if (second === undefined) break;
    if (first !== second) { io.say('the two passwords differ; try again\n'); continue; }
    if (first === '') { io.say('a password cannot be empty; try again\n'); continue; }
    if (await accounts.checkPassword(user, first)) { io.say('that is the one-time password; choose another\n'); continue; }
    try {
      await accounts.setPassword(user, first);
    } catch (err) {
      if (!isColonyError(err, 'COLONY_INVALID')) throw err;
      io.say(`${err.detail}; try again\n`);
      continue;
    }
    io.say('password changed\n');
    return true;
  }
  io.say('the one-time password is unchanged; log in again to choose a new one\n');
  return false;
}

/** The answer to `ssh host CMD` for an account whose password must be changed first. */
export function oneTimeExecRefusal(user: string): ConsoleReply {
  return {
    output: `error: ${user}'s password is a one-time password and must be changed first: log in interactively (ssh without a command) and choose a new one`,
    error: 'COLONY_AUTH',
  };
}
