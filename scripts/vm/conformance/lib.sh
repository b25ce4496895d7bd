#!/bin/bash
# TAP helpers shared by the conformance suites (sourced by run.sh).
# Each check is one TAP line. Tool output goes to a log file per check under $logs; only a
# few lines of it reach the console, and only when a check fails.
n=0 pass=0 fail=0 skip=0
failed=()
check_t0=$(date +%s)
# How long the check took, as a TAP comment after its line (the clock restarts here).
took() { local now; now=$(date +%s); echo "#   took $((now - check_t0)) s"; check_t0=$now; }

ok() { # NAME [NOTE]
  n=$((n + 1)); pass=$((pass + 1))
  echo "ok $n - $1${2:+ # $2}"; took
}
not_ok() { # NAME DETAIL
  n=$((n + 1)); fail=$((fail + 1)); failed+=("$1")
  echo "not ok $n - $1 # ${2//$'\n'/ }"; took
}
skip_check() { # NAME REASON
  n=$((n + 1)); skip=$((skip + 1))
  echo "ok $n - $1 # SKIP ${2//$'\n'/ }"; took
}

# The last lines of a log as TAP comments (bounded in lines and in width).
show_tail() { # LOG [LINES]
  [ -f "$1" ] || return 0
  tail -n "${2:-6}" "$1" | cut -c1-200 | sed 's/^/#   /'
}

# One short line out of a log for a TAP detail: the first line that matches, else the last.
first_match() { # LOG REGEX
  local l
  l="$(grep -m1 -E "$2" "$1" 2>/dev/null)"
  [ -n "$l" ] || l="$(tail -n 1 "$1" 2>/dev/null)"
  printf '%s' "${l:0:160}"
}

# Runs a command with a hard bound (SIGKILL 20 s after SIGTERM) and its output in LOG.
bounded() { # SECONDS LOG CMD...
  local secs="$1" log="$2"; shift 2
  timeout -k 20 "$secs" "$@" >"$log" 2>&1
}

# A directory made for one check on the mount, removed afterwards (bounded: a hung server
# must not stall the suite).
fresh_dir() { # NAME
  local d="$scratch/$1"
  check_t0=$(date +%s)
  rm -rf "$d" 2>/dev/null
  mkdir -p "$d" && echo "$d"
}
drop_dir() { # DIR
  timeout -k 10 120 rm -rf "$1" 2>/dev/null || echo "# warning: could not remove $1"
}
