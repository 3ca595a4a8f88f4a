#!/usr/bin/env bash
# Rebuilds the "wine" family of the real-program dataset (issue 15 §1): real Windows common controls drawn by
# Debian's Wine under our own Xvfb, ground truth from wineenum.dll injected into each program.
#   bash scripts/dataset/wine/build.sh [--resume] [--only app,app] [--variants N]      (npm run dataset:wine)
#   --resume keeps the prefix and the samples already written and captures only the missing ones.
#   --fresh: only the fresh held-out set, into $RPA_DATA_DIR/fresh-apps/wine (work files: wine-work-fresh).
# Output: $RPA_DATA_DIR/real-apps/wine/<app>/<state>_<theme>_<scale>.{png,json} (default RPA_DATA_DIR: <repo>/.data/datasets)
# Work files (prefix, binaries, raw enumerations): $RPA_DATA_DIR/wine-work (throwaway; recreated on every build).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
data="${RPA_DATA_DIR:-$repo/.data/datasets}"
work="$data/wine-work"
out="$data/real-apps/wine"
start=$(date +%s)
resume=0
# --help (the comment above) and a coded usage error before anything is installed, started or deleted
for a in "$@"; do
  case "$a" in
    -h|--help) sed -n '2,8{s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
  esac
done
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[i]}" in
    --resume|--fresh) ;;
    --only|--variants) ((i + 1 < ${#args[@]})) || { echo "error[bad_argument]: ${args[i]} needs a value (see --help)" >&2; exit 2; }; i=$((i + 1)) ;;
    *) echo "error[bad_argument]: unknown argument ${args[i]} (see --help)" >&2; exit 2 ;;
  esac
done
if [[ "${1:-}" == "--resume" ]]; then resume=1; shift; fi
fresh=()
if [[ " $* " == *" --fresh "* ]]; then   # the fresh set never lands under real-apps nor in the shared work folder
  work="$data/wine-work-fresh"; out="$data/fresh-apps/wine"; fresh=(--fresh)
  rest=(); for a in "$@"; do [[ "$a" == --fresh ]] || rest+=("$a"); done; set -- ${rest[@]+"${rest[@]}"}
fi

# 1. Debian packages (too big for scripts/setup.sh and CI; this recipe installs what it needs)
need=()
for p in wine wine64 fonts-wine gcc-mingw-w64-x86-64 xdotool imagemagick xvfb; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if ((${#need[@]})); then
  echo "== installing ${need[*]}"
  sudo=(); [[ $(id -u) -eq 0 ]] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
for t in x86_64-w64-mingw32-gcc wine wineserver xdotool import Xvfb; do
  command -v "$t" >/dev/null || { echo "build.sh: $t missing after install" >&2; exit 1; }
done

# 2. Binaries: the type table from typemap.json, the enumerator DLL, the injector, our test programs
((resume)) || rm -rf "$work" "$out"
mkdir -p "$work/build" "$out"
b="$work/build"
cc=(nice -n 10 x86_64-w64-mingw32-gcc -O2 -Wall -static-libgcc)
node "$here/typemap.mjs" --header "$b/typemap.h"
"${cc[@]}" -I"$b" -shared -o "$b/wineenum.dll" "$here"/src/{dllmain,walk,items,menus,json}.c -lcomctl32 -luser32
"${cc[@]}" -municode -o "$b/wineinject.exe" "$here/src/inject.c" -lpsapi
# round 7 (2026-12-07) added folders ... shelldlg; one loop, one line (test/unit/dataset-wine-typemap.test.ts reads it)
for app in keeper settings explorer devprops wizard datagrid commdlg reports mixer netmon logview compare folders options toolbox catalog inventory shelldlg; do
  "${cc[@]}" -municode -mwindows -o "$b/$app.exe" "$here/apps/$app.c" -lcomctl32 -lgdi32 -lshell32 -lcomdlg32 -lole32
done
node "$here/apps.mjs" --check   # the split is committed before any capture (scripts/dataset/apps/wine.json)

# 3. Our own X display and a throwaway prefix (first creation takes about a minute)
disp_file="$work/display"
Xvfb -displayfd 4 -screen 0 1920x1080x24 -nolisten tcp 4>"$disp_file" >/dev/null 2>&1 &
xvfb=$!
export WINEPREFIX="$work/prefix" WINEARCH=win64 WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
cleanup() { wineserver -k 2>/dev/null || true; kill "$xvfb" 2>/dev/null || true; }
trap cleanup EXIT
for _ in $(seq 300); do [[ -s "$disp_file" ]] && break; sleep 0.1; done   # up to 30 s: a loaded machine
[[ -s "$disp_file" ]] || { echo "build.sh: Xvfb did not start" >&2; exit 1; }
export DISPLAY=":$(cat "$disp_file")"
echo "== Xvfb on $DISPLAY; wineboot"
if [[ ! -d "$WINEPREFIX/drive_c" ]]; then nice -n 10 wineboot -i >/dev/null 2>&1; wineserver -w; fi
# Wine finds Marlett (caption buttons) and Tahoma only inside the prefix when fonts-wine came after a first run
cp /usr/share/wine/fonts/*.ttf "$WINEPREFIX/drive_c/windows/Fonts/" 2>/dev/null || true

# 4. Capture every program in every colour scheme and DPI
args=()
[[ $# -gt 0 ]] && args=("$@")
((resume)) && args+=(--resume)
((${#fresh[@]})) && args+=(--fresh)
nice -n 10 /usr/bin/python3 "$here/capture.py" --work "$work" --out "$out" --display "$DISPLAY" "${args[@]}"
/usr/bin/python3 "$here/summary.py" "$out"
echo "== done in $(( $(date +%s) - start )) s"
