#!/usr/bin/env bash
# Run a command inside a private X display (Xvfb on a free display number) and a private session bus with the
# AT-SPI registry running, with the harvester's package on PYTHONPATH. Cleans up both on exit.
#   bash scripts/dataset/native/session.sh CMD ARGS...
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
fdfile="$(mktemp)"
Xvfb -displayfd 3 -screen 0 1920x1080x24 -nolisten tcp 3>"$fdfile" 2>/dev/null &
xpid=$!
trap 'kill "$xpid" 2>/dev/null || true; rm -f "$fdfile"' EXIT
for _ in $(seq 50); do [[ -s "$fdfile" ]] && break; sleep 0.1; done
[[ -s "$fdfile" ]] || { echo "Xvfb did not start" >&2; exit 1; }
export DISPLAY=":$(head -n1 "$fdfile")"
export PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}"
export GTK_MODULES=gail:atk-bridge NO_AT_BRIDGE=0
xsetroot -solid '#3a6ea5' 2>/dev/null || true
dbus-run-session -- bash -c '/usr/libexec/at-spi-bus-launcher --launch-immediately >/dev/null 2>&1 & bl=$!
  sleep 1; "$@"; rc=$?; kill $bl 2>/dev/null; exit $rc' session "$@"
