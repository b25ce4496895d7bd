# open(2), mkdir(2), O_EXCL, O_APPEND, O_TRUNC, name limits.
section open
echo old >f; mkdir d; ln -s nowhere dangling
expect "O_CREAT|O_EXCL on an existing file: EEXIST" EEXIST open f "O_WRONLY|O_CREAT|O_EXCL"
expect "O_CREAT|O_EXCL on a dangling symlink: EEXIST" EEXIST open dangling "O_WRONLY|O_CREAT|O_EXCL"
expect "O_CREAT|O_EXCL on a new name" OK open new "O_WRONLY|O_CREAT|O_EXCL" 640
same "O_CREAT mode is applied (umask 022)" 640 stat -c %a new
expect "open a directory for writing: EISDIR" EISDIR open d O_WRONLY
expect "O_DIRECTORY on a file: ENOTDIR" ENOTDIR open f "O_RDONLY|O_DIRECTORY"
expect "a file used as a path component: ENOTDIR" ENOTDIR open f/x O_RDONLY
expect "open a missing file without O_CREAT: ENOENT" ENOENT open nothere O_RDONLY
expect "mkdir over an existing name: EEXIST" EEXIST mkdir f
expect "a 256-byte name: ENAMETOOLONG" ENAMETOOLONG open "$(printf 'n%.0s' $(seq 1 256))" "O_WRONLY|O_CREAT"
check "a 255-byte name works" touch "$(printf 'n%.0s' $(seq 1 255))"
printf 'AAAA' >ap
expect "O_APPEND write after seeking to 0" OK write ap "O_WRONLY|O_APPEND" BB 0
same "O_APPEND writes land at the end" AAAABB cat ap
expect "O_TRUNC on open" OK open f "O_WRONLY|O_TRUNC"
same "O_TRUNC leaves size 0" 0 stat -c %s f
printf '0123456789' >w
expect "pwrite-style write in the middle" OK write w O_WRONLY xy 4
same "a write in the middle keeps the rest" 0123xy6789 cat w
expect "write past the end leaves a zero-filled hole" OK write w O_WRONLY Z 20
check "the hole reads as zeros" eval '[ "$(od -An -tx1 -j10 -N10 w | tr -d " \n")" = 00000000000000000000 ] && [ "$(stat -c %s w)" = 21 ]'
