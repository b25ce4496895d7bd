// What a console command may reach. Every adapter (SSH, the console socket, ctl, the
// serial port, `colony console` on its own) fills in what it has; a verb whose needs are
// missing answers COLONY_UNSUPPORTED instead of failing in an odd way.
import type { Catalog } from '../catalog/index.js';
import type { Grid } from '../grid/index.js';
import type { ConsoleReply } from './reply.js';

/** The verbs the console needs from a grid; a Grid has them (tests may pass a fake). */
export type GridVerbs = Pick<Grid, 'spawn' | 'save' | 'invite' | 'boom' | 'status' | 'scores'>
  // For `status` notices and `users remove`; fakes may leave them out.
  & Partial<Pick<Grid, 'notices' | 'ownedBy' | 'boomAllOf'>>;

/** What the console asks of the catalog. */
export type Accounts = Pick<Catalog, 'getUser' | 'checkPassword' | 'setPassword' | 'addKey' | 'listUsers' | 'addUser' | 'removeUser' | 'userForKey'>;

/** Something that answers grid lines without being a Grid (a stand-in, a remote grid). */
export interface Interpreter {
  run(user: string, line: string): Promise<ConsoleReply>;
}

export interface NodeInfo {
  id: string;
  version: string;
  /** When the appliance started (ms since the epoch). */
  started: number;
  /** Open SSH sessions. */
  sessions?: () => number;
}

export interface ConsoleContext {
  /** The Colony user the line runs as; the adapter has authenticated them. */
  user: string;
  /**
   * The account the session logged in as (`UserInfo.account`, from `loginAccount`): a user
   * removed and added again under the same name is a new account, which an old session
   * must not act as. Unset: only whether `user` exists is checked.
   */
  account?: string;
  grid?: GridVerbs;
  /** Takes grid lines when there is no `grid`. */
  interpreter?: Interpreter;
  accounts?: Accounts;
  node?: NodeInfo;
  /** Asks the person a question; undefined when they gave up (Ctrl-C, Ctrl-D, end of input). */
  ask?(prompt: string, options: { secret: boolean }): Promise<string | undefined>;
  /** Called (not awaited) by `shutdown`. */
  shutdown?: (by: string) => void | Promise<void>;
  now?: () => number;
}
