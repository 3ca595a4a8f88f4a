#!/usr/bin/env bash
# One-time set-up on a fresh Debian 12 machine (idempotent): the system packages the agent and its
# tests need, then the npm dependencies. Safe to run again; it skips what is already there.
#   mosquitto, mosquitto-clients  real MQTT broker for tests and benchmarks
#   libsecret-1-dev               keytar builds from source against it (OS credential store)
#   gnome-keyring, dbus           a headless Secret Service for keytar (scripts/with-keyring.sh)
#   libsecret-tools               secret-tool: the README's Python bot snippet reads the endpoint secret with it
#   xvfb                          a real X display for screen-capture tests
#   x11-xserver-utils             xsetroot: a test paints the root window to prove the X11 change signal sees it
#   imagemagick                   display -window root: a test shows a screenshot on Xvfb to classify/embed regions of it
#   chromium                      real headless browser for the status window tests
#   openssl                       test PKI for the TLS broker tests
#   python3                       the README's Python bot snippet is run by a test (stdlib only)
#   python3-numpy, python3-onnx   `npm run bench`: the inference and distribution benchmarks generate their models
#                                 with scripts/fixtures/make_test_models.py and scripts/bench/make_big_model.py
#   prometheus                    promtool: a test checks and unit-tests the alert rules in assets/prometheus/
#   at-spi2-core, python3-pyatspi, python3-gi, python3-pil, gtk-3-examples
#                                 the AT-SPI dataset harvester's integration test (gtk3-widget-factory under Xvfb)
#   python3-torch, libopenblas0-openmp
#                                 the training recipe's own unit tests (held-out guard, ignore regions, batch sampling)
#   git, build-essential          `npm ci` compiles better-sqlite3 and keytar when their prebuilt binaries cannot be
#                                 downloaded (make, g++); test/e2e/prod-install.test.ts copies the checkout with
#                                 `git ls-files` and runs `npm ci --omit=dev` from the npm cache this script's
#                                 `npm ci` fills
#   gcc-mingw-w64-x86-64          the Windows cross-build of the native session host (scripts/build-session-host.sh --win32,
#                                 shipped by electron-builder.yml; test/integration/native-session-host-build.test.ts)
#   wabt                          wat2wasm: a test rebuilds the crop resampler's WebAssembly from its .wat and
#                                 compares it with the committed bytes (scripts/build-resample-wasm.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
pkgs=(mosquitto mosquitto-clients libsecret-1-dev libsecret-tools gnome-keyring dbus xvfb xauth x11-xserver-utils imagemagick chromium openssl python3
  python3-numpy python3-onnx prometheus at-spi2-core python3-pyatspi python3-gi python3-pil gtk-3-examples git build-essential
  python3-torch libopenblas0-openmp wabt gcc-mingw-w64-x86-64)
missing=()
for p in "${pkgs[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p"); done
if ((${#missing[@]})); then
  echo "== installing system packages: ${missing[*]}"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The project's .npmrc skips onnxruntime-node's CUDA download; npm 11 warns that it will stop passing unknown
# .npmrc keys on, so the install script's own environment variable says it too. Electron's binary is fetched lazily.
export ONNXRUNTIME_NODE_INSTALL=skip
export ELECTRON_SKIP_BINARY_DOWNLOAD=1
if [[ ! -d node_modules ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "== npm ci"
  npm ci --no-audit --no-fund
fi
# The native session host (issue 17 §2; build-essential's gcc): native/build/<platform>-<arch>/, used by the agent
# with process isolation when present (config inference.host "auto").
echo "== building the native session host"
bash scripts/build-session-host.sh
echo "== set-up complete"
