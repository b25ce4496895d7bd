# The POSIX checklist's helpers (bash, sourced by run.sh). Each check prints one TAP line.
posix_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
n=0
pass=0
fail=0
failed=()

todo=0
# Set todo_reason before a check that no server can pass through this client; the check then
# prints a TAP TODO directive and is counted apart from the failures.
todo_reason=""

_tap() { # OK? NAME [DETAIL]
  n=$((n + 1))
  if [ -n "$todo_reason" ]; then
    todo=$((todo + 1))
    if [ "$1" = 1 ]; then echo "ok $n - $2 # TODO $todo_reason"; else echo "not ok $n - $2 # TODO $todo_reason${3:+ ($3)}"; fi
    todo_reason=""
  elif [ "$1" = 1 ]; then pass=$((pass + 1)); echo "ok $n - $2"
  else fail=$((fail + 1)); failed+=("$2"); echo "not ok $n - $2${3:+ # $3}"; fi
}

nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
# uid 4001, primary group 4001, also in group 4242 (the groups section lists them in the
# environment's own /etc/passwd and /etc/group, where a server that resolves groups looks).
member_uid=4001 member_gid=4001 shared_gid=4242
member() { setpriv --reuid=$member_uid --regid=$member_gid --groups=$shared_gid "$@"; }

# Three sys.pl servers, as root, as uid/gid 65534, and as the group member, each on a pair of FIFOs.
# Requests are CWD<TAB>OP<TAB>ARGS... lines; call start_servers after the umask is set.
start_servers() {
  fifo_dir="$(mktemp -d /tmp/posix-fifo.XXXXXX)"
  chmod 755 "$fifo_dir"
  mkfifo -m 666 "$fifo_dir/root.req" "$fifo_dir/root.ans" "$fifo_dir/nobody.req" "$fifo_dir/nobody.ans" \
    "$fifo_dir/member.req" "$fifo_dir/member.ans"
  perl "$posix_dir/sys.pl" --serve <"$fifo_dir/root.req" >"$fifo_dir/root.ans" 2>&1 &
  root_pid=$!
  nobody perl "$posix_dir/sys.pl" --serve <"$fifo_dir/nobody.req" >"$fifo_dir/nobody.ans" 2>&1 &
  nobody_pid=$!
  member perl "$posix_dir/sys.pl" --serve <"$fifo_dir/member.req" >"$fifo_dir/member.ans" 2>&1 &
  member_pid=$!
  exec 7>"$fifo_dir/root.req" 8<"$fifo_dir/root.ans" 5>"$fifo_dir/nobody.req" 6<"$fifo_dir/nobody.ans" \
    3>"$fifo_dir/member.req" 4<"$fifo_dir/member.ans"
}
stop_servers() {
  exec 7>&- 8<&- 5>&- 6<&- 3>&- 4<&-
  wait "$root_pid" "$nobody_pid" "$member_pid" 2>/dev/null
  rm -rf "$fifo_dir"
}
_ask() { # WRITE-FD READ-FD OP ARGS...
  local w="$1" r="$2" line="$PWD"; shift 2
  for a in "$@"; do line+=$'\t'"$a"; done
  printf '%s\n' "$line" >&"$w"
  local answer
  if ! read -r -t 60 answer <&"$r"; then answer="ETIMEDOUT-HARNESS"; fi
  echo "$answer"
}
sys() { _ask 7 8 "$@"; }
sys_as_nobody() { _ask 5 6 "$@"; }
sys_as_member() { _ask 3 4 "$@"; }

# expect NAME WANT OP ARGS...   WANT is OK or an errno name, or alternatives: "ENOTEMPTY|EEXIST"
expect() {
  local name="$1" want="$2"; shift 2
  local got; got="$(sys "$@")"; got="${got%% *}"
  if [[ "|$want|" == *"|$got|"* ]]; then _tap 1 "$name"; else _tap 0 "$name" "want $want, got $got"; fi
}

# expect_as_nobody NAME WANT OP ARGS...   the same, as uid/gid 65534
expect_as_nobody() {
  local name="$1" want="$2"; shift 2
  local got; got="$(sys_as_nobody "$@")"; got="${got%% *}"
  if [[ "|$want|" == *"|$got|"* ]]; then _tap 1 "$name"; else _tap 0 "$name" "want $want, got $got"; fi
}

# expect_as_member NAME WANT OP ARGS...   the same, as uid 4001 with supplementary group 4242
expect_as_member() {
  local name="$1" want="$2"; shift 2
  local got; got="$(sys_as_member "$@")"; got="${got%% *}"
  if [[ "|$want|" == *"|$got|"* ]]; then _tap 1 "$name"; else _tap 0 "$name" "want $want, got $got"; fi
}

# check NAME COMMAND...   passes when the command succeeds (use for values, not errno)
check() {
  local name="$1"; shift
  local out; if out="$("$@" 2>&1)"; then _tap 1 "$name"; else _tap 0 "$name" "$(echo "$out" | tr '\n' ' ' | cut -c1-200)"; fi
}

# same NAME WANT COMMAND...   passes when the command prints exactly WANT
same() {
  local name="$1" want="$2"; shift 2
  local got; got="$("$@" 2>&1)"
  if [ "$got" = "$want" ]; then _tap 1 "$name"; else _tap 0 "$name" "want $want, got $(echo "$got" | tr '\n' ' ' | cut -c1-200)"; fi
}

# later NAME VALUE THAN   passes when the integer VALUE > THAN (timestamps in ns)
later() {
  if [ "$2" -gt "$3" ]; then _tap 1 "$1"; else _tap 0 "$1" "want > $3, got $2"; fi
}

# Nanosecond timestamps as integers: mtime, ctime, atime.
mtime_ns() { local v; v="$(stat -c %.9Y "$1")"; echo "${v/./}"; }
ctime_ns() { local v; v="$(stat -c %.9Z "$1")"; echo "${v/./}"; }
atime_ns() { local v; v="$(stat -c %.9X "$1")"; echo "${v/./}"; }

# True when the mount under test caches inode attributes on the client (v9fs cache=loose,
# fscache or mmap, shown as a bare option in /proc/mounts).
client_caches_attrs() {
  local mp opts; mp="$(stat -c %m "$posix_root" 2>/dev/null)" || return 1
  opts="$(awk -v m="$mp" '$2 == m { o = $4 } END { print o }' /proc/mounts)"
  [[ ",$opts," =~ ,(loose|fscache|mmap), ]]
}

# A fresh directory for one section, under the run's scratch directory.
section() { echo "# $1"; mkdir -p "$scratch/$1"; cd "$scratch/$1"; }
