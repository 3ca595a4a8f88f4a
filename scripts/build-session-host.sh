#!/usr/bin/env bash
# Builds the native session host (native/session-host, issue 17 §2) with gcc into native/build/<platform>-<arch>/
# (gitignored; src/agent/inference/native-host.ts looks there). Called by scripts/setup.sh; safe to run again.
#   bash scripts/build-session-host.sh            this machine (Linux: linux-x64 / linux-arm64)
#   bash scripts/build-session-host.sh --win32    cross-build for Windows x64 with mingw-w64 (win32-x64/rpa-session-host.exe),
#                                                 shipped by electron-builder.yml (extraResources → session-host/)
set -euo pipefail
cd "$(dirname "$0")/.."
src=native/session-host
sources=("$src/host.c" "$src/session.c" "$src/session-run.c")
flags=(-O2 -std=c11 -Wall -Wextra -Werror)
case "${1:-}" in
  --win32)
    out=native/build/win32-x64
    mkdir -p "$out"
    x86_64-w64-mingw32-gcc "${flags[@]}" -static -o "$out/rpa-session-host.exe" "${sources[@]}"
    echo "$out/rpa-session-host.exe"
    ;;
  "")
    case "$(uname -m)" in x86_64) arch=x64 ;; aarch64) arch=arm64 ;; *) arch="$(uname -m)" ;; esac
    out="native/build/linux-$arch"
    mkdir -p "$out"
    gcc "${flags[@]}" -D_GNU_SOURCE -o "$out/rpa-session-host.tmp" "${sources[@]}" -ldl -lpthread
    mv "$out/rpa-session-host.tmp" "$out/rpa-session-host"
    echo "$out/rpa-session-host"
    ;;
  *)
    echo "error[bad_argument]: unknown option $1 (use --win32 or nothing)" >&2
    exit 2
    ;;
esac
