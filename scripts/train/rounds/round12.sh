#!/usr/bin/env bash
# Round 12 of the issue-15 retrain (docs/MODELS.md "Round 12"): the classifier only, two variants side by side from the
# shipped classifier 3.2.0 on the rebuilt real-program data (webwin's 2026-12-08 batch and labeller fixes):
#   a (3.4.0) the contract's crop rule; b (3.5.0) a context crop (--crop-expand 0.25 --crop-min-pad 8).
# 65 min of wall clock each, one thread each; the detector stays the shipped 3.2.0 (copied into both candidates).
#   bash scripts/train/rounds/round12.sh            (RESUME=1 continues both from their checkpoints)
# Writes $RPA_DATA_DIR/models-candidate/r12a and r12b; work files in $RPA_DATA_DIR/retrain12 (shared pages and caches), /a and /b.
set -euo pipefail
case "${1:-}" in -h|--help) sed -n '2,7{s/^# \{0,1\}//;p}' "$0"; exit 0 ;; "") ;; *) echo "error[bad_argument]: unknown argument $1 (see --help)" >&2; exit 2 ;; esac
cd "$(dirname "$0")/../../.."
data="${RPA_DATA_DIR:-$PWD/.data/datasets}"
W="$data/retrain12"
export INIT=assets/models ROLES=classifier SYNTH_DIR="$W" CACHE_ROOT="$W/cache" CLS_MINUTES=65 REAL_PINNED="$W/real-pinned.json"
# pages and caches once, then both runs only read them
WORK="$W" PREPARE_ONLY=1 REAL_PINNED="" bash scripts/train/retrain.sh
common="--epochs 100 --batch 96 --max-train 0 --lr 1e-3 --real-frac 0.5"
WORK="$W/a" OUT="$data/models-candidate/r12a" VERSION=3.4.0 SKIP_GENERATE=1 CLASSIFIER_ARGS="$common" \
  bash scripts/train/retrain.sh > "$W/a.log" 2>&1 &
A=$!
WORK="$W/b" OUT="$data/models-candidate/r12b" VERSION=3.5.0 SKIP_GENERATE=1 CLASSIFIER_ARGS="$common --crop-expand 0.25 --crop-min-pad 8" \
  bash scripts/train/retrain.sh > "$W/b.log" 2>&1 &
B=$!
fail=0
wait $A || { echo "variant a failed, see $W/a.log" >&2; fail=1; }
wait $B || { echo "variant b failed, see $W/b.log" >&2; fail=1; }
exit $fail
