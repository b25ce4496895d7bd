# chmod(2), chown(2) as root.
section chmod
echo x >f; mkdir d; ln -s f sl
expect "chmod 4755 (setuid)" OK chmod 4755 f
same "setuid bit kept" 4755 stat -c %a f
expect "chown by root" OK chown 1000 1000 f
same "chown changes owner and group" 1000:1000 stat -c %u:%g f
same "chown clears the setuid bit of a file (Linux since 2.2.13, also for root)" 755 stat -c %a f
expect "chown -1 -1 changes nothing" OK chown -1 -1 f
same "chown -1 -1 keeps owner" 1000:1000 stat -c %u:%g f
expect "chmod through a symlink changes the target" OK chmod 600 sl
same "symlink target mode is 600" 600 stat -c %a f
expect "chmod 1777 on a directory (sticky)" OK chmod 1777 d
same "sticky bit kept" 1777 stat -c %a d
expect "chmod a missing file: ENOENT" ENOENT chmod 644 nothere
chmod 2775 d
touch d/inherits
check "a file made in a setgid dir takes the dir's group" eval '[ "$(stat -c %g d/inherits)" = "$(stat -c %g d)" ]'
