# Unix sockets bound on the mount (bind(2) makes the file through mknod): they behave as
# files in the namespace: link, rename and unlink work on them.
section socket
expect "bind a unix socket on the mount" OK bindsock s
same "it is a socket" socket stat -c %F s
expect "link a socket" OK link s s2
same "the new link is the same socket (nlink 2)" "socket 2" stat -c "%F %h" s2
expect "rename a socket" OK rename s2 s3
same "a renamed socket is still a socket" socket stat -c %F s3
expect "unlink a socket" OK unlink s3
expect "unlink its last link" OK unlink s
check "both names are gone" eval '[ ! -e s ] && [ ! -e s3 ]'
