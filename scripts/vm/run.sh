#!/usr/bin/env bash
# Runs a bash script in a Linux guest against a 9P server listening on a unix socket.
# usage: scripts/vm/run.sh SOCKET SCRIPT|- [MOUNT-OPTIONS]     (details: scripts/vm/run.ts)
# exit: the script's status; 125 mount failed; 124 timeout; 126 harness error.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
exec node --import tsx "$repo/scripts/vm/run.ts" "$@"
