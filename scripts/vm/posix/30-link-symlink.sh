# link(2), symlink(2), readlink(2), path resolution through symlinks.
section link
mkdir d; echo x >f; echo y >g
expect "link to a directory: EPERM" EPERM link d dlink
expect "link over an existing name: EEXIST" EEXIST link f g
expect "link missing source: ENOENT" ENOENT link nothere x
expect "link a file" OK link f f2
same "link raises nlink to 2" 2 stat -c %h f
check "unlink of one link lowers nlink to 1" eval 'rm f2 && [ "$(stat -c %h f)" = 1 ]'
expect "symlink over an existing name: EEXIST" EEXIST symlink f g
ln -s loop2 loop1; ln -s loop1 loop2
expect "open through a symlink loop: ELOOP" ELOOP open loop1 O_RDONLY
ln -s f sl
expect "O_NOFOLLOW on a symlink: ELOOP" ELOOP open sl "O_RDONLY|O_NOFOLLOW"
long="$(printf 'x%.0s' $(seq 1 200))/target"
ln -s "$long" longlink
same "readlink returns a 206-byte target exactly" "$long" readlink longlink
ln -s nowhere dangling
expect "lstat of a dangling symlink" OK lstat dangling
expect "stat through a dangling symlink: ENOENT" ENOENT stat dangling
expect "readlink of a regular file: EINVAL" EINVAL readlink f
ln -s d dsl
check "a symlink to a directory resolves as a path component" eval 'echo in >dsl/inner && [ "$(cat d/inner)" = in ]'
