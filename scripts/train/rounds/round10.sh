#!/usr/bin/env bash
# Round 10 of the issue-15 retrain (docs/MODELS.md "Round 10"), kept in the repository because $RPA_DATA_DIR does not
# always survive between sessions: from the shipped pair (assets/models), detector widened 1.5x at start (round 8's
# widening), round 7's recipe otherwise; detector 75 min and classifier 60 min of wall clock, one thread each, side by side.
#   bash scripts/train/rounds/round10.sh            (RESUME=1 continues both from their checkpoints)
# Needs the rebuilt real-program samples ($RPA_DATA_DIR/real-apps, npm run dataset:native / dataset:wine / dataset:webwin).
# Writes $RPA_DATA_DIR/models-candidate/r10 (detector, classifier, similarity copied) and its work files in $RPA_DATA_DIR/retrain10.
set -euo pipefail
case "${1:-}" in -h|--help) sed -n '2,7{s/^# \{0,1\}//;p}' "$0"; exit 0 ;; "") ;; *) echo "error[bad_argument]: unknown argument $1 (see --help)" >&2; exit 2 ;; esac
cd "$(dirname "$0")/../../.."
data="${RPA_DATA_DIR:-$PWD/.data/datasets}"
export WORK="$data/retrain10" OUT="$data/models-candidate/r10" INIT=assets/models ROLES=detector,classifier VERSION=3.2.0
export DET_MINUTES=75 CLS_MINUTES=60
export DETECTOR_ARGS="--crop 320 --batch 8 --steps 100000 --lr 6e-4 --real-frac 0.6 --eval-images 60 --widen 1.5"
exec bash scripts/train/retrain.sh
