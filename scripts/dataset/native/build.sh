#!/usr/bin/env bash
# Rebuild the "atspi" real-program family: real GTK 3 / GTK 4 / LibreOffice programs under Xvfb with
# accessibility on; boxes and roles from AT-SPI. One command:  bash scripts/dataset/native/build.sh
#   [--only app1,app2] [--variants light@1,dark@2]     (default: every app of scripts/dataset/apps/atspi.json
#                                                       under its variants)
# Output: $RPA_DATA_DIR/real-apps/atspi/<app>/<state>_<theme>_<scale>.{png,json} (default <repo>/.data).
# Installs its own missing Debian packages (apt-get; sudo when not root). CPU-heavy: runs under nice.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
data="${RPA_DATA_DIR:-$repo/.data}"
out="$data/real-apps/atspi"

pkgs=(xvfb xdotool dbus dbus-x11 at-spi2-core python3-pyatspi python3-gi gir1.2-atspi-2.0
  gir1.2-gtk-3.0 python3-pil gtk-3-examples gtk-4-examples adwaita-icon-theme gnome-themes-extra fonts-dejavu-core
  libreoffice-writer libreoffice-calc libreoffice-gtk3 gnome-calculator mousepad zenity gucharmap baobab evince
  file-roller)
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
exec nice -n 10 bash "$here/session.sh" /usr/bin/python3 -m atspi_harvest.harvest --out "$out" \
  --apps-file "$repo/scripts/dataset/apps/atspi.json" "$@"
