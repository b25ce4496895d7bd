# The `cpu` checks of test/system/vm-cpu-build.test.ts, run after cpu_up (cpu-lib.sh) with
# the test's exec limits: build something inside with make, save, boom, spawn the saved name
# and find the build there (and in `colony export`); a memory hog and a fork bomb stopped in
# their cgroup while the supervisor and a second environment keep answering; boom with a
# running shell. Prints TAP lines.
W=$CPU_DIR/w
mkdir -p "$W"
G=/sys/fs/cgroup/colony

check "alice spawns seed as work" on alice spawn seed as work

# --- build, save, boom, spawn again ----------------------------------------------------------
on alice cpu work -- 'mkdir -p /root/proj && cd /root/proj && printf "all: out.txt\n\nout.txt: in.txt\n\tcat in.txt in.txt >out.txt\n\techo built by \$\$(id -un) >>out.txt\n" >Makefile && echo hello >in.txt && make' >"$W/make" 2>&1
expect_match "make runs inside the environment" "$(cat "$W/make")" 'cat in.txt in.txt >out.txt'
want=$'hello\nhello\nbuilt by root'
expect_eq "the build output is there" "$(on alice cpu work -- cat /root/proj/out.txt 2>&1)" "$want"
check "save work as built" on alice save work built
check "boom work" on alice boom work
expect_eq "work is gone: its mount is unmounted" "$(env_mounts work)" 0
check "spawn built as again" on alice spawn built as again
expect_eq "the saved build is in the new environment" "$(on alice cpu again -- cat /root/proj/out.txt 2>&1)" "$want"
on alice cpu again -- 'cd /root/proj && make' >"$W/make2" 2>&1
expect_match "make there finds nothing to do" "$(cat "$W/make2")" "Nothing to be done|is up to date"
colony export built "$CPU_DIR/exported" --user alice --data "$DATA" >"$W/export" 2>&1
expect_eq "colony export of built holds the file" "$(cat "$CPU_DIR/exported/root/proj/out.txt" 2>&1)" "$want"

# --- limits ----------------------------------------------------------------------------------
check "spawn a second environment, other" on alice spawn seed as other
check "other answers before the hog" on alice cpu other -- true
mem_max=$(cat "$G/env-again/memory.max" 2>/dev/null)
expect_match "again's cgroup has the configured memory.max" "$mem_max" '^[0-9]+$'
on alice cpu again -- 'x=0123456789abcdef; while :; do x="$x$x"; done' >"$W/hog" 2>&1; rc=$?
expect_eq "a memory hog is killed (SIGKILL: status 137)" "$rc" 137
expect_match "… by the OOM killer inside its cgroup (memory.events)" "$(cat "$G/env-again/memory.events" 2>&1)" '^oom_kill [1-9]'
check "the supervisor still answers (status)" on alice status
expect_eq "the second environment still answers" "$(on alice cpu other -- echo alive 2>&1)" alive
expect_eq "again itself still answers" "$(on alice cpu again -- echo alive 2>&1)" alive
pids_max=$(cat "$G/env-again/pids.max" 2>/dev/null)
expect_match "again's cgroup has the configured pids.max" "$pids_max" '^[0-9]+$'
# A real fork bomb, bounded by the test: the session ends after 20 s whatever happens.
on alice cpu again -- 'b() { b | b & }; b; sleep 20' >"$W/bomb" 2>&1 &
bomb=$!
wait_for 90 grep -Eq '^max [1-9]' "$G/env-again/pids.events"
expect_match "the fork bomb hits pids.max (pids.events)" "$(cat "$G/env-again/pids.events" 2>&1)" '^max [1-9]'
expect_eq "… and stays within it" "$(awk -v m="$pids_max" '{print ($1 <= m)}' "$G/env-again/pids.current" 2>/dev/null)" 1
check "the supervisor answers during the bomb" on alice status
expect_eq "the second environment answers during the bomb" "$(on alice cpu other -- echo alive 2>&1)" alive
kill "$bomb" 2>/dev/null; wait "$bomb" 2>/dev/null

# --- boom with a running shell ---------------------------------------------------------------
# A login shell reading a pipe that stays open (no terminal), as a user's idle shell.
sleep 600 | on alice cpu other >"$W/shell" 2>&1 &
shell=$!
wait_for 60 test "$(cgroup_procs other)" -gt 0
expect_eq "the shell runs in other's cgroup" "$([ "$(cgroup_procs other)" -gt 0 ] && echo yes)" yes
expect_eq "other is mounted once" "$(env_mounts other)" 1
check "boom other (and again, with the bomb's remains)" on alice boom other
on alice boom again >/dev/null 2>&1
if wait_for 60 sh -c "! kill -0 $shell 2>/dev/null"; then ok "the shell's ssh session ended"; else nok "the shell's ssh session ended"; fi
expect_eq "other's mount is gone (/proc/mounts)" "$(env_mounts other)" 0
expect_eq "nothing is left in other's cgroup" "$(cgroup_procs other)" 0
expect_eq "nothing is left in again's cgroup (bomb included)" "$(cgroup_procs again)" 0
pkill_sleep=$(jobs -p); [ -n "$pkill_sleep" ] && kill $pkill_sleep 2>/dev/null
true
