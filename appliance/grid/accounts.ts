// Adding an invited user to a tree's user database (/etc/passwd, /etc/group, and
// /etc/shadow when present): pure text in, text out.
//
// The seed's `sys` role (members may administer the environment) is played by the first
// group that exists of `sudo` (Debian, Ubuntu), `wheel` (Fedora, Arch, Alpine), `sys`;
// when none exists, a `sys` group is created with the lowest free gid from 100.

export interface AccountPlan {
  passwd: string;
  group: string;
  /** Undefined when there was no /etc/shadow to change. */
  shadow: string | undefined;
  uid: number;
  gid: number;
  /** The group that plays the seed's `sys` role. */
  sysGroup: string;
  /** False when the account already existed (only group memberships were ensured). */
  added: boolean;
  home: string;
}

export const SYS_GROUPS = ['sudo', 'wheel', 'sys'] as const;
const FIRST_UID = 1000;
const LAST_UID = 59999;

interface Row { fields: string[] }

const rows = (text: string): Row[] => text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#')).map((l) => ({ fields: l.split(':') }));
const withNewline = (text: string) => (text === '' || text.endsWith('\n') ? text : text + '\n');

function lowestFree(used: Set<number>, from: number, to: number): number {
  for (let n = from; n <= to; n++) if (!used.has(n)) return n;
  throw new Error(`no free id from ${from} to ${to}`);
}

/** Adds `member` to the group line named `name` (if not already in it). */
function addMember(groupText: string, name: string, member: string): string {
  return groupText.split('\n').map((line) => {
    const f = line.split(':');
    if (f[0] !== name || f.length < 4) return line;
    const members = (f[3] ?? '').split(',').filter(Boolean);
    if (!members.includes(member)) members.push(member);
    f[3] = members.join(',');
    return f.join(':');
  }).join('\n');
}

/**
 * The new passwd, group and shadow contents with `user` added: uid the next free one from
 * 1000, a personal group with the same number when free, home /home/USER, shell /bin/sh,
 * and membership of the sys-role group. Idempotent: an existing account is kept.
 */
export function planAccount(user: string, passwdText: string, groupText: string, shadowText?: string): AccountPlan {
  const passwd = rows(passwdText);
  const groups = rows(groupText);
  const uids = new Set(passwd.map((r) => Number(r.fields[2])).filter(Number.isInteger));
  const gids = new Set(groups.map((r) => Number(r.fields[2])).filter(Number.isInteger));
  const existing = passwd.find((r) => r.fields[0] === user);
  let passwdOut = passwdText;
  let groupOut = withNewline(groupText);
  let uid: number;
  let gid: number;
  let home = `/home/${user}`;
  if (existing) {
    uid = Number(existing.fields[2]);
    gid = Number(existing.fields[3]);
    home = existing.fields[5] || home;
  } else {
    uid = lowestFree(uids, FIRST_UID, LAST_UID);
    const own = groups.find((r) => r.fields[0] === user);
    if (own) gid = Number(own.fields[2]);
    else {
      gid = gids.has(uid) ? lowestFree(gids, FIRST_UID, LAST_UID) : uid;
      gids.add(gid);
      groupOut += `${user}:x:${gid}:\n`;
    }
    passwdOut = withNewline(passwdText) + `${user}:x:${uid}:${gid}::${home}:/bin/sh\n`;
  }
  const names = new Set(groups.map((r) => r.fields[0]));
  let sysGroup = SYS_GROUPS.find((g) => names.has(g));
  if (!sysGroup) {
    sysGroup = 'sys';
    groupOut += `sys:x:${lowestFree(gids, 100, 999)}:\n`;
  }
  groupOut = addMember(groupOut, sysGroup, user);
  let shadow: string | undefined;
  if (shadowText !== undefined) {
    const has = rows(shadowText).some((r) => r.fields[0] === user);
    // A locked password ('!'): the invitee logs in with a key or sets a password as root.
    shadow = has ? shadowText : withNewline(shadowText) + `${user}:!:::::::\n`;
  }
  return { passwd: passwdOut, group: groupOut, shadow, uid, gid, sysGroup, added: !existing, home };
}
