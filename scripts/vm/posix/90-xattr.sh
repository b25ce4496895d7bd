# Extended attributes (setxattr(2), getxattr(2), listxattr(2), removexattr(2)) in the user.
# namespace, through the attr tools. A missing attribute is ENODATA ("No such attribute").
section xattr
echo x >f
check "setxattr user.colony" setfattr -n user.colony -v hello f
same "getxattr returns the value" hello getfattr --only-values -n user.colony f
check "setxattr of a 4000-byte value" setfattr -n user.big -v "$(printf 'v%.0s' $(seq 1 4000))" f
same "getxattr returns all 4000 bytes" 4000 eval 'getfattr --only-values -n user.big f | wc -c'
same "listxattr names both" "user.big user.colony" eval "getfattr --absolute-names -d -m '^user\.' f | sed -n 's/=.*//p' | sort | tr '\n' ' ' | sed 's/ \$//'"
expect "getxattr of a missing name: ENODATA" ENODATA getxattr f user.none
expect "setxattr XATTR_CREATE on an existing name: EEXIST" EEXIST setxattr f user.colony x 1
expect "setxattr XATTR_REPLACE on a missing name: ENODATA" ENODATA setxattr f user.none x 2
expect "setxattr XATTR_REPLACE on an existing name" OK setxattr f user.colony replaced 2
same "getxattr sees the replaced value" "OK replaced" sys getxattr f user.colony
expect "removexattr" OK removexattr f user.colony
expect "a removed name is gone: ENODATA" ENODATA getxattr f user.colony
expect "removexattr of a missing name: ENODATA" ENODATA removexattr f user.colony
check "xattrs follow a rename" eval 'mv f g && [ "$(getfattr --only-values -n user.big g | wc -c)" = 4000 ]'
