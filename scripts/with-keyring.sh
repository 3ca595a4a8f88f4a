#!/usr/bin/env bash
# Runs a command with an OS credential store (Secret Service) available, as keytar needs on Linux.
# On a desktop session one is already there; headless (CI, servers) we start a private D-Bus session
# with an unlocked gnome-keyring for the duration of the command. Windows uses the Credential Manager.
set -euo pipefail
if [[ "${RPA_KEYRING_READY:-}" == "1" ]]; then exec "$@"; fi
if ! command -v dbus-run-session >/dev/null || ! command -v gnome-keyring-daemon >/dev/null; then
  echo "error[secret_missing]: dbus-run-session and gnome-keyring-daemon are needed (apt-get install dbus gnome-keyring)" >&2
  exit 1
fi
export RPA_KEYRING_READY=1
# dbus-daemon warns that it may not raise its fd limit in a container; that line is noise.
exec 2> >(grep -v --line-buffered 'Failed to set fd limit' >&2)
exec dbus-run-session -- bash -c '
  # A throwaway keyring in a private home for this session only: never the user'"'"'s own keyring.
  export XDG_DATA_HOME="$(mktemp -d)"
  echo -n "rpa-session" | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1
  exec "$@"' bash "$@"
