#!/usr/bin/env bash
# Rebuild the FRESH held-out set (docs/DATASET.md "Fresh held-out set"): real applications that no training round and
# no decision has used, split "fresh" in scripts/dataset/apps/<family>.json. One command (npm run dataset:fresh):
#   bash scripts/dataset/fresh.sh [--only atspi|wine]     (default: atspi, then wine; one harvest at a time)
# Output: $RPA_DATA_DIR/fresh-apps/<family>/<app>/<state>_<theme>_<scale>.{png,json} (default RPA_DATA_DIR:
# <repo>/.data/datasets) — never under real-apps; then docs/DATASET.md and scripts/dataset/apps/manifest.json.
# Evaluate with: npm run eval -- --real-apps $RPA_DATA_DIR/fresh-apps --sets real. Never train or tune on it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
only=""
while (($#)); do
  case "$1" in
    -h|--help) sed -n '2,7{s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    --only) [[ "${2:-}" == atspi || "${2:-}" == wine ]] || { echo "error[bad_argument]: --only needs atspi or wine (see --help)" >&2; exit 2; }; only="$2"; shift 2 ;;
    *) echo "error[bad_argument]: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
data="${RPA_DATA_DIR:-$repo/.data/datasets}"
rc=0
if [[ -z "$only" || "$only" == atspi ]]; then
  echo "== atspi: the fresh GTK 3 programs"
  JOBS=1 RPA_DATA_DIR="$data" bash "$here/native/build.sh" --fresh || rc=1
fi
if [[ -z "$only" || "$only" == wine ]]; then
  echo "== wine: the fresh Wine builtin programs"
  RPA_DATA_DIR="$data" bash "$here/wine/build.sh" --fresh || rc=1
fi
RPA_DATA_DIR="$data" node "$here/manifest.mjs"   # docs/DATASET.md + scripts/dataset/apps/manifest.json, every family
echo "== fresh set under $data/fresh-apps"
exit $rc
