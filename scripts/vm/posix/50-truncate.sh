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
expect "truncate a large sparse size (4 GiB + 1)" OK truncate f 4294967297
same "4 GiB + 1 size reported" 4294967297 stat -c %s f
