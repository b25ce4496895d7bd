// The file side of `invite`: reads the tree's user database through the volume and writes
// the account (see accounts.ts for the decisions), as root inside the environment.
import { isColonyError } from '../errors.js';
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

/**
 * Adds `user` to /etc/passwd and /etc/group (and /etc/shadow when present) and makes
 * their home directory when /home exists. Undefined when the tree has no passwd and group
 * files: the caller records the invitation in the snapshot's metadata instead.
 */
export async function addAccount(vol: Volume, user: string): Promise<AccountPlan | undefined> {
  const passwd = await fileAt(vol, 'etc/passwd');
  const group = await fileAt(vol, 'etc/group');
  if (!passwd || !group) return undefined;
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
