#!/usr/bin/env bash
# Rebuild the "atspi" real-program family: real GTK 3 / LibreOffice programs under Xvfb with
# accessibility on; boxes and roles from AT-SPI. One command:  bash scripts/dataset/native/build.sh  (npm run dataset:native)
#   [--only app1,app2] [--variants light@1,dark@2]     (default: every app of scripts/dataset/apps/atspi.json
#                                                       under its variants, but the fresh set's)
#   [--fresh]  only the fresh held-out set (apps list split "fresh") into $RPA_DATA_DIR/fresh-apps/atspi instead
#   JOBS=N (default 4): without --only, the apps are dealt round-robin to N sessions (own Xvfb + bus each)
#   that run at once: the harvest mostly waits for programs to start and redraw.
# Output: $RPA_DATA_DIR/real-apps/atspi/<app>/<state>_<theme>_<scale>.{png,json} (default RPA_DATA_DIR: <repo>/.data/datasets).
# Installs its own missing Debian packages (apt-get; sudo when not root). CPU-heavy: runs under nice.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
data="${RPA_DATA_DIR:-$repo/.data/datasets}"
# --help (the comment above) and a coded usage error before anything is installed or started
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[i]}" in
    -h|--help) sed -n '2,10{s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    --fresh) ;;
    --only|--variants) ((i + 1 < ${#args[@]})) || { echo "error[bad_argument]: ${args[i]} needs a value (see --help)" >&2; exit 2; }; i=$((i + 1)) ;;
    *) echo "error[bad_argument]: unknown argument ${args[i]} (see --help)" >&2; exit 2 ;;
  esac
done
out="$data/real-apps/atspi"
fresh=()
if [[ " $* " == *" --fresh "* ]]; then
  out="$data/fresh-apps/atspi"; fresh=(--fresh)   # the fresh set never lands under real-apps (docs/DATASET.md)
  args=(); for a in "$@"; do [[ "$a" == --fresh ]] || args+=("$a"); done; set -- "${args[@]}"
fi

pkgs=(xvfb xdotool dbus dbus-x11 at-spi2-core python3-pyatspi python3-gi gir1.2-atspi-2.0
  gir1.2-gtk-3.0 python3-pil gtk-3-examples gtk-4-examples adwaita-icon-theme gnome-themes-extra fonts-dejavu-core
  libreoffice-writer libreoffice-calc libreoffice-gtk3 mousepad zenity gucharmap evince file-roller geany galculator
  dconf-editor gnome-system-monitor transmission-gtk synaptic meld xfce4-settings
  thunar xfce4-taskmanager pavucontrol pulseaudio pulseaudio-utils xfce4-terminal gnome-tweaks xfconf bleachbit d-feet
  pluma gnome-nettool gtkterm xfce4-dict ristretto gpick catfish xfce4-appfinder seahorse simple-scan
  yad xfce4-screenshooter xfce4-notifyd gnome-screenshot alacarte accerciser deluge-gtk python3-libtorrent gnumeric
  grsync gtkhash xarchiver mate-calc homebank lightdm-gtk-greeter-settings parole
  xfce4-session xfce4-clipman galternatives claws-mail remmina gigolo)   # the last three lines: round 7
missing=()
for p in "${pkgs[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p"); done
if ((${#missing[@]})); then
  echo "== installing: ${missing[*]}"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get -o DPkg::Lock::Timeout=900 update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

mkdir -p "$out"
apps_file="$repo/scripts/dataset/apps/atspi.json"
harvest() { nice -n 10 bash "$here/session.sh" /usr/bin/python3 -m atspi_harvest.harvest --out "$out" --apps-file "$apps_file" ${fresh[@]+"${fresh[@]}"} "$@"; }
if [[ " $* " == *" --only "* ]]; then harvest "$@"; exit; fi
jobs="${JOBS:-4}"
mapfile -t ids < <(node -e 'for (const a of JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))) if ((a.split === "fresh") === (process.argv[2] === "1")) console.log(a.app)' "$apps_file" "${#fresh[@]}")
pids=()
for ((j = 0; j < jobs; j++)); do
  shard=()
  for ((i = j; i < ${#ids[@]}; i += jobs)); do shard+=("${ids[i]}"); done
  ((${#shard[@]})) || continue
  (IFS=,; harvest --only "${shard[*]}" "$@" 2>&1 | sed -u "s/^/[job $j] /") &
  pids+=($!)
done
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=1; done
echo "== samples under $out"
RPA_DATA_DIR="$data" node "$repo/scripts/dataset/manifest.mjs"   # docs/DATASET.md + scripts/dataset/apps/manifest.json, every family
exit $rc
