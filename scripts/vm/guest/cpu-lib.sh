# Sourced by the `cpu` system tests and bench/exec inside the guest (a reroot run: the script
# is in a real root, so bubblewrap works). It brings up the product as a user would: a real
# `colony serve` on a fresh data directory in the guest, users alice, bob and carol with SSH
# keys (`colony users add NAME --key`), the fixture tree (test/system/fixtures/cpu-env.sh)
# imported as alice's `seed` with `colony import`; then OpenSSH's client reaches the console
# on 127.0.0.1:2222. Checks print TAP lines (`ok N - name`, `not ok N - name # detail`) that
# the host reads with parseTap; timings print as KEY=VALUE lines.
# Every wait is bounded. Needs $COLONY_REPO (the harness exports it).
CPU_DIR=/tmp/colony
DATA=$CPU_DIR/data
KEYS=$CPU_DIR/keys
SSH_PORT=2222
export HOME=$CPU_DIR/home
mkdir -p "$KEYS" "$HOME"

ms() { echo $(( $(date +%s%N) / 1000000 )); }
# The colony CLI from source, as the system tests on the host run it.
colony() { (cd "$COLONY_REPO" && exec node --import tsx appliance/cli/run.ts "$@"); }

tap_n=0
ok() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $1"; }
# not ok with a one-line detail (newlines folded).
nok() { tap_n=$((tap_n + 1)); echo "not ok $tap_n - $1 # $(printf '%s' "${2:-}" | tr '\n\r' '  ' | cut -c1-1200)"; }
# check NAME CMD...: ok when CMD succeeds.
check() { local name="$1"; shift; if "$@"; then ok "$name"; else nok "$name" "failed: $*"; fi; }
# expect_eq NAME GOT WANT
expect_eq() { if [ "$2" = "$3" ]; then ok "$1"; else nok "$1" "got [$2] want [$3]"; fi; }
# expect_match NAME TEXT REGEX (grep -E)
expect_match() { if printf '%s\n' "$2" | grep -Eq -- "$3"; then ok "$1"; else nok "$1" "[$2] does not match /$3/"; fi; }
expect_no_match() { if printf '%s\n' "$2" | grep -Eq -- "$3"; then nok "$1" "[$2] matches /$3/"; else ok "$1"; fi; }

# Without a port (OpenSSH keeps the first -p it is given); SSH_OPTS adds Colony's.
SSH_BASE=(-F /dev/null -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR
          -o BatchMode=yes -o ConnectTimeout=30 -o ServerAliveInterval=15)
SSH_OPTS=("${SSH_BASE[@]}" -p "$SSH_PORT")
# on USER COMMAND...: one OpenSSH client run as USER with their key, no terminal.
on() { local u="$1"; shift; timeout 300 ssh "${SSH_OPTS[@]}" -T -i "$KEYS/$u" "$u@127.0.0.1" "$@"; }
# The ssh command line for USER with a terminal (for tmux), as one string.
ssh_tty() { echo "ssh ${SSH_OPTS[*]} -tt -i $KEYS/$1 $1@127.0.0.1"; }

# Polls CMD until it succeeds: wait_for SECONDS CMD...
wait_for() {
  local limit=$(( $(date +%s) + $1 )); shift
  until "$@" 2>/dev/null; do
    [ "$(date +%s)" -lt "$limit" ] || return 1
    sleep 0.5
  done
}

# Up means serving: `ready`, or `degraded` (the guest's /tmp is a 1 GiB tmpfs, under the default disk reserve).
serve_ready() { grep -qE '"state": *"(ready|degraded)"' "$DATA/health.json"; }

# cpu_up [CONFIG_JSON]: keys, fixture, `colony serve`, users, import. Prints boot timings.
cpu_up() {
  local t0; t0=$(ms)
  echo "guest_uptime_at_script_ms=$(awk '{printf "%d", $1 * 1000}' /proc/uptime)"
  for u in alice bob carol; do ssh-keygen -q -t ed25519 -N '' -C "$u" -f "$KEYS/$u" || return 1; done
  bash "$COLONY_REPO/test/system/fixtures/cpu-env.sh" "$CPU_DIR/fixture" || return 1
  local cfg=()
  if [ -n "${1:-}" ]; then printf '%s\n' "$1" >"$CPU_DIR/colony.json"; cfg=(--config "$CPU_DIR/colony.json"); fi
  (cd "$COLONY_REPO" && COLONY_LOG_LEVEL=${COLONY_LOG_LEVEL:-info} exec node --initial-old-space-size=64 --max-semi-space-size=2 --import tsx \
    appliance/cli/run.ts serve --data "$DATA" "${cfg[@]}" --9p 127.0.0.1:5640 --ssh 127.0.0.1:$SSH_PORT --peer 127.0.0.1:0) \
    >"$CPU_DIR/serve.log" 2>&1 &
  SERVE_PID=$!
  if ! wait_for 400 serve_ready; then
    echo "colony serve did not become ready:"; tail -n 30 "$CPU_DIR/serve.log"; return 1
  fi
  echo "serve_ready_ms=$(( $(ms) - t0 ))"
  local t1; t1=$(ms)
  # Forwarded to the running supervisor through DATA/console.sock, so they may run at once.
  (colony users add alice --key "$KEYS/alice.pub" --data "$DATA" && colony import "$CPU_DIR/fixture" seed --user alice --data "$DATA") >"$CPU_DIR/setup-alice.log" 2>&1 &
  local a=$!
  colony users add bob --key "$KEYS/bob.pub" --data "$DATA" >"$CPU_DIR/setup-bob.log" 2>&1 &
  local b=$!
  colony users add carol --key "$KEYS/carol.pub" --data "$DATA" >"$CPU_DIR/setup-carol.log" 2>&1 &
  local c=$!
  local bad=0
  wait $a || bad=1; wait $b || bad=1; wait $c || bad=1
  if [ $bad = 1 ]; then cat "$CPU_DIR"/setup-*.log; return 1; fi
  echo "users_import_ms=$(( $(ms) - t1 ))"
  echo "setup_ms=$(( $(ms) - t0 ))"
}

# cpu_down: SIGTERM to the supervisor, bounded; prints its exit and the log's errors.
cpu_down() {
  [ -n "${SERVE_PID:-}" ] || return 0
  kill -TERM "$SERVE_PID" 2>/dev/null
  local i=0
  while kill -0 "$SERVE_PID" 2>/dev/null && [ $i -lt 120 ]; do sleep 0.5; i=$((i + 1)); done
  kill -0 "$SERVE_PID" 2>/dev/null && kill -KILL "$SERVE_PID"
  wait "$SERVE_PID" 2>/dev/null
  echo "serve_exit=$?"
  SERVE_PID=
}

# The supervisor's log lines at warn or worse (pino levels 40+), for the host to show.
serve_problems() { grep -E '"level":(4|5|6)0' "$CPU_DIR/serve.log" | tail -n "${1:-20}"; }

# Processes in an environment's cgroup (every cgroup.procs under it); 0 when it is gone.
cgroup_procs() {
  local g=/sys/fs/cgroup/colony/env-$1
  [ -d "$g" ] || { echo 0; return; }
  find "$g" -name cgroup.procs -exec cat {} + 2>/dev/null | wc -l
}
# 9p mounts of an environment (the executor mounts aname=env/NAME from DATA/9p.sock).
env_mounts() { grep ' 9p ' /proc/mounts | grep -c "aname=env/$1\b"; }
