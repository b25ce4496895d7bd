#!/bin/bash
# Suite `stress`: stress-ng's filesystem stressors, one check each, one instance, run in a
# directory on the mount (--temp-path) with --verify (checked by the stressors that support it)
# and bounded by --timeout and a per-stressor --<name>-ops count. stress-ng's exit status:
#   0 pass; 3 (a resource or system call missing: ENOSYS, EOPNOTSUPP, ENOSPC...) and
#   4 (not implemented on this system) are TAP skips with stress-ng's reason; anything else
#   (2: a stressor failed, 1: harness error, 5/6/7: killed or untrustworthy) fails.
# Sourced by run.sh.

if [ "$full" = 1 ]; then
  st_timeout=30; st_ops=0; st_bytes=16m; st_count=1024
else
  st_timeout=8; st_ops=40; st_bytes=1m; st_count=64
fi

# Stressors of the quick subset (about 1-10 s each under TCG), then the ones the full run adds.
# link and symlink are full-only: one bogo op makes and removes thousands of links whatever the
# timeout, over a minute under TCG.
stress_quick=(rename dentry dir chmod xattr fallocate seek fstat getdent lockf flock fcntl utime readahead fsize mknod open)
stress_more=(
  link symlink sync-file filename io hdd copy-file dirdeep dirmany chown chdir access touch fpunch
  fiemap lease locka lockofd mmap msync sendfile splice iomix revio aio aiol file-ioctl inode-flags close dup
)

# Options a stressor needs to keep its files small (sizes follow the mode).
stress_opts() { # STRESSOR
  case "$1" in
    hdd) echo "--hdd-bytes $st_bytes --hdd-write-size 4k" ;;
    fallocate) echo "--fallocate-bytes $st_bytes" ;;
    seek) echo "--seek-size $st_bytes" ;;
    readahead) echo "--readahead-bytes $st_bytes" ;;
    sync-file) echo "--sync-file-bytes $st_bytes" ;;
    copy-file) echo "--copy-file-bytes 128m" ;; # its minimum
    msync) echo "--msync-bytes $st_bytes" ;;
    fiemap) echo "--fiemap-bytes $st_bytes" ;;
    mmap) echo "--mmap-bytes $st_bytes --mmap-file" ;;
    iomix) echo "--iomix-bytes $st_bytes" ;;
    revio) echo "--revio-bytes $st_bytes" ;;
    fsize|fpunch|aio|aiol|sendfile|splice) echo "" ;;
    dentry) echo "--dentries $st_count" ;;
    dir) echo "--dir-dirs $st_count" ;;
    dirdeep) echo "--dirdeep-dirs 1 --dirdeep-inodes $((st_count * 4))" ;;
    dirmany) echo "--dirmany-bytes 0" ;;
    *) echo "" ;;
  esac
}

stress_suite() {
  local list=("${stress_quick[@]}") s d log tag rc why
  [ "$full" = 1 ] && list+=("${stress_more[@]}")
  # STRESSORS="a b c" runs just those (for experiments).
  # shellcheck disable=SC2206
  [ -n "${STRESSORS:-}" ] && list=($STRESSORS)
  for s in "${list[@]}"; do
    tag="stress-$s"
    log="$logs/$tag.log"
    if ! d="$(fresh_dir "$tag")"; then not_ok "stress-ng $s" "cannot create the stressor directory"; continue; fi
    local ops=()
    [ "$st_ops" -gt 0 ] && ops=("--$s-ops" "$st_ops")
    # shellcheck disable=SC2046
    # The bound leaves room for stress-ng's own start and end, and for link and symlink,
    # whose bogo op (thousands of links) ignores --timeout: over 200 s under a loaded TCG.
    local bound=$((st_timeout + 180))
    case "$s" in link|symlink) bound=$((st_timeout + 900)) ;; esac
    bounded "$bound" "$log" stress-ng --"$s" 1 "${ops[@]}" $(stress_opts "$s") \
      --timeout "${st_timeout}s" --temp-path "$d" --verify --seed 42 --metrics-brief
    rc=$?
    case $rc in
      0) ok "stress-ng $s" ;;
      3|4)
        why="$(grep -m1 -iE 'skipp|not implemented|not supported|no resource|ENOSYS|EOPNOTSUPP|ENOTTY|EINVAL|failed' "$log" | sed -E 's/^stress-ng: [a-z]+: +\[[0-9]+\] +//' | cut -c1-150)"
        skip_check "stress-ng $s" "exit $rc: ${why:-$(tail -n 1 "$log" | cut -c1-150)}" ;;
      *)
        why="$(grep -m1 -iE 'fail|error|verif|unexpected|killed' "$log" | sed -E 's/^stress-ng: [a-z]+: +\[[0-9]+\] +//' | cut -c1-150)"
        not_ok "stress-ng $s" "exit $rc: ${why:-$(tail -n 1 "$log" | cut -c1-150)}"
        show_tail "$log" 5 ;;
    esac
    drop_dir "$d"
  done
}
