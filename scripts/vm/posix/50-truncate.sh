# truncate(2), ftruncate(2).
section truncate
printf 'abcdefgh' >f; mkdir d
expect "truncate to shrink" OK truncate f 3
same "shrunk file keeps its head" abc cat f
expect "truncate to extend" OK truncate f 8
same "extension reads as zeros, not the old bytes" " 00 00 00 00 00" od -An -tx1 -w16 -j3 f
expect "truncate a directory: EISDIR" EISDIR truncate d 0
expect "truncate to a negative length: EINVAL" EINVAL truncate f -1
expect "ftruncate on a read-only fd: EINVAL (or EBADF)" "EINVAL|EBADF" ftruncate f O_RDONLY 0
expect "truncate a missing file: ENOENT" ENOENT truncate nothere 0
# An fd opened for writing may be truncated whatever the file's mode says now (root would
# pass any mode check, so these run as uid 65534).
mkdir open; chmod 777 open
expect_as_nobody "ftruncate a write fd of a file just created 0444 (as uid 65534)" OK ftruncate open/new444 "O_WRONLY|O_CREAT|O_EXCL" 3 444
same "it has size 3 and mode 444" "3 444" stat -c "%s %a" open/new444
expect_as_nobody "ftruncate a write fd after fchmod 0444 (as uid 65534)" OK fchmod-ftruncate open/chmodded 444 5
same "it has size 5 and mode 444" "5 444" stat -c "%s %a" open/chmodded
expect "truncate a large sparse size (4 GiB + 1)" OK truncate f 4294967297
same "4 GiB + 1 size reported" 4294967297 stat -c %s f
