# unlink(2), rmdir(2).
section unlink
mkdir full empty; touch full/x; mkdir hidden; touch hidden/.dot; touch f
expect "rmdir non-empty dir: ENOTEMPTY (POSIX also allows EEXIST)" "ENOTEMPTY|EEXIST" rmdir full
expect "rmdir dir holding only a dot-file: ENOTEMPTY" "ENOTEMPTY|EEXIST" rmdir hidden
expect "rmdir a file: ENOTDIR" ENOTDIR rmdir f
expect "rmdir missing: ENOENT" ENOENT rmdir nothere
expect "rmdir '.': EINVAL" EINVAL rmdir empty/.
expect "unlink a directory: EISDIR (Linux; POSIX says EPERM)" "EISDIR|EPERM" unlink empty
expect "unlink missing: ENOENT" ENOENT unlink nothere
expect "unlink through a file as directory: ENOTDIR" ENOTDIR unlink f/x
expect "rmdir empty dir" OK rmdir empty
check "rmdir'd dir is gone" eval '[ ! -e empty ]'
expect "unlink file" OK unlink f
check "unlinked file is gone" eval '[ ! -e f ]'
expect "open file stays usable after unlink (write, read, fstat nlink 0)" OK open-unlinked ou
