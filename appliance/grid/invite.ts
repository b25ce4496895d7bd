// The file side of `invite`: reads the tree's user database through the volume and writes
// the account (see accounts.ts for the decisions), as root inside the environment.
import { invalid, isColonyError } from '../errors.js';
import { ROOT_CRED, ROOT_INO, type Volume } from '../volume/index.js';
import { planAccount, type AccountPlan } from './accounts.js';

async function fileAt(vol: Volume, path: string): Promise<{ ino: number; data: Buffer } | undefined> {
  try {
    const node = await vol.resolvePath(path);
    if (node.kind !== 'file') return undefined;
    const { size } = await vol.getattr(node.ino);
    return { ino: node.ino, data: await vol.read(node.ino, 0, size) };
  } catch (err) {
    if (isColonyError(err, 'COLONY_NOT_FOUND') || isColonyError(err, 'COLONY_NOT_DIRECTORY')) return undefined;
    throw err;
  }
}

async function replace(vol: Volume, file: { ino: number; data: Buffer }, text: string): Promise<void> {
  const data = Buffer.from(text);
  if (data.equals(file.data)) return;
  await vol.write(ROOT_CRED, file.ino, 0, data);
  if (data.length < file.data.length) await vol.setattr(ROOT_CRED, file.ino, { size: data.length });
}

const FIRST_UID = 1000;
const LAST_UID = 59999;

/**
 * Invite puts the invitee in the sys-role group, so an existing account of that name must
 * be one invite could have made (uid 1000–59999, empty gecos, home /home/USER, shell
 * /bin/sh); anything else (`daemon`, uid 1; `nobody`; a service account) would be turned
 * into a sudoer. Nor may the name be a system group (gid below 1000: `sudo`, `docker`), which
 * invite would take as the invitee's own group. Refused before anything is written.
 */
function refuseSystemAccount(user: string, passwdText: string, groupText: string): void {
  const fieldsOf = (text: string, name: string) => text.split('\n').map((l) => l.split(':')).find((f) => f[0] === name);
  const account = fieldsOf(passwdText, user);
  if (account) {
    const uid = Number(account[2]);
    const inviteShaped = Number.isInteger(uid) && uid >= FIRST_UID && uid <= LAST_UID && account[4] === '' && account[5] === `/home/${user}` && account[6] === '/bin/sh';
    if (!inviteShaped) throw invalid(`${user} is a system account in this tree (uid ${account[2]}); invite only makes new accounts (or reuses ones it made), pick another user name`);
  }
  const group = fieldsOf(groupText, user);
  const gid = Number(group?.[2]);
  if (group && !(Number.isInteger(gid) && gid >= FIRST_UID)) throw invalid(`${user} is a system group in this tree (gid ${group[2]}); invite will not make it the invitee's group, pick another user name`);
}

/**
 * Adds `user` to /etc/passwd and /etc/group (and /etc/shadow when present) and makes
 * their home directory when /home exists. Undefined when the tree has no passwd and group
 * files: the caller records the invitation in the snapshot's metadata instead.
 */
export async function addAccount(vol: Volume, user: string): Promise<AccountPlan | undefined> {
  const passwd = await fileAt(vol, 'etc/passwd');
  const group = await fileAt(vol, 'etc/group');
  if (!passwd || !group) return undefined;
  refuseSystemAccount(user, passwd.data.toString('utf8'), group.data.toString('utf8'));
  const shadow = await fileAt(vol, 'etc/shadow');
  const plan = planAccount(user, passwd.data.toString('utf8'), group.data.toString('utf8'), shadow?.data.toString('utf8'));
  await replace(vol, passwd, plan.passwd);
  await replace(vol, group, plan.group);
  if (shadow && plan.shadow !== undefined) await replace(vol, shadow, plan.shadow);
  if (plan.added && plan.home === `/home/${user}`) await makeHome(vol, user, plan.uid, plan.gid);
  return plan;
}

async function makeHome(vol: Volume, user: string, uid: number, gid: number): Promise<void> {
  let home: number;
  try {
    home = await vol.lookup(ROOT_CRED, ROOT_INO, 'home');
    if ((await vol.getattr(home)).kind !== 'dir') return;
  } catch (err) {
    if (isColonyError(err, 'COLONY_NOT_FOUND')) return;
    throw err;
  }
  try {
    const ino = await vol.create(ROOT_CRED, home, user, 'dir', 0o755, gid);
    await vol.setattr(ROOT_CRED, ino, { uid, gid });
  } catch (err) {
    if (!isColonyError(err, 'COLONY_EXISTS')) throw err;
  }
}
