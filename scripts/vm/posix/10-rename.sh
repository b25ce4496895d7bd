# rename(2). Expected values: Linux rename(2); POSIX where it agrees.
section rename
mkdir full empty; touch full/x; echo a >fa; echo b >fb
expect "rename dir over non-empty dir: ENOTEMPTY (POSIX also allows EEXIST)" "ENOTEMPTY|EEXIST" rename empty full
mkdir -p tree/sub
expect "rename dir into its own subtree: EINVAL" EINVAL rename tree tree/sub/inside
expect "rename file over dir: EISDIR" EISDIR rename fa empty
expect "rename dir over file: ENOTDIR" ENOTDIR rename empty fa
expect "rename missing source: ENOENT" ENOENT rename nothere x
expect "rename into missing directory: ENOENT" ENOENT rename fa nodir/x
expect "rename file over file" OK rename fa fb
check "rename over file: target has the source's content, source gone" eval '[ "$(cat fb)" = a ] && [ ! -e fa ]'
mkdir d1; touch d1/inner
expect "rename dir over empty dir" OK rename d1 empty
check "rename over empty dir: contents moved, source gone" eval '[ -e empty/inner ] && [ ! -e d1 ]'
echo same >same
expect "rename a file to itself" OK rename same same
same "rename to itself leaves the file" same cat same
echo h >h1; ln h1 h2
expect "rename between two links of one inode: success, nothing done" OK rename h1 h2
check "both links remain after rename between links" eval '[ -e h1 ] && [ -e h2 ]'
mkdir -p m/a; echo deep >m/a/f
expect "rename a directory with content" OK rename m moved
same "children reachable under the new name" deep cat moved/a/f
ln -s fb lnk
expect "rename a symlink" OK rename lnk lnk2
same "renamed symlink keeps its target" fb readlink lnk2
mkdir dir1; echo in >dir1/f; mv dir1 dir2
same "a file just written in a renamed directory reads by the new path" in cat dir2/f
