# Supplementary groups. 9P carries no groups, so a server that checks permissions itself
# (access=user) must learn them from the environment's own /etc/group: the member (uid 4001,
# primary group 4001, also in 4242) is listed there first, as an administrator would.
section groups
etc="$posix_root/etc"
mkdir -p "$etc"
grep -q '^posixmember:' "$etc/passwd" 2>/dev/null || echo "posixmember:x:$member_uid:$member_gid::/nonexistent:/usr/sbin/nologin" >>"$etc/passwd"
grep -q '^posixmember:' "$etc/group" 2>/dev/null || echo "posixmember:x:$member_gid:" >>"$etc/group"
grep -q '^posixshare:' "$etc/group" 2>/dev/null || echo "posixshare:x:$shared_gid:posixmember" >>"$etc/group"
echo shared >shared; chown 0:$shared_gid shared; chmod 640 shared
echo mine >mine; chown $member_uid:$member_gid mine
mkdir gdir; chown 0:$shared_gid gdir; chmod 770 gdir
expect_as_member "a member of group 4242 reads a root:4242 0640 file" OK open shared O_RDONLY
expect_as_nobody "a non-member cannot: EACCES" EACCES open shared O_RDONLY
expect_as_member "a member creates in a root:4242 0770 dir" OK open gdir/made "O_WRONLY|O_CREAT" 644
expect_as_member "a member chowns its own file to group 4242 (chown -1 4242)" OK chown -1 $shared_gid mine
same "the file's group is now 4242" "$member_uid:$shared_gid" stat -c %u:%g mine
expect_as_member "a member cannot chown to a group it is not in: EPERM" EPERM chown -1 4243 mine
