# Permission checks as a non-root user (uid/gid 65534). Meaningful with access=user, where the
# server sees the caller; with access=client the kernel checks the mode bits itself.
section perms
mkdir closed open sticky private; chmod 755 closed; chmod 777 open; chmod 1777 sticky; chmod 700 private
echo secret >secret; chmod 600 secret
echo ro >ro; chmod 644 ro
touch sticky/roots; chmod 666 sticky/roots
expect_as_nobody "create in a root 0755 dir: EACCES" EACCES open closed/x "O_WRONLY|O_CREAT"
expect_as_nobody "read a root 0600 file: EACCES" EACCES open secret O_RDONLY
expect_as_nobody "write a root 0644 file: EACCES" EACCES open ro O_WRONLY
expect_as_nobody "read a root 0644 file" OK open ro O_RDONLY
expect_as_nobody "chmod a root file: EPERM" EPERM chmod 777 ro
expect_as_nobody "enter a root 0700 dir: EACCES" EACCES stat private/x
expect_as_nobody "unlink another user's file in a sticky dir: EPERM" EPERM unlink sticky/roots
expect_as_nobody "create in a 0777 dir" OK open open/mine "O_WRONLY|O_CREAT" 644
same "a file created by uid 65534 belongs to 65534" 65534:65534 stat -c %u:%g open/mine
expect_as_nobody "chown own file to root: EPERM" EPERM chown 0 0 open/mine
expect_as_nobody "chmod own file" OK chmod 600 open/mine
expect_as_nobody "rename in a root 0755 dir: EACCES" EACCES rename closed open/stolen
