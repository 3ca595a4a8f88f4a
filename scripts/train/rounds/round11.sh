#!/usr/bin/env bash
# Round 11 of the issue-15 retrain (docs/MODELS.md "Round 11"): from the shipped pair (round 10's detector 3.2.0 +
# classifier 3.2.0, assets/models), no widening, a warm restart at half round 10's learning rates; detector 80 min and
# classifier 70 min of wall clock, one thread each, side by side.
#   bash scripts/train/rounds/round11.sh            (RESUME=1 continues both from their checkpoints)
# Needs the rebuilt real-program samples ($RPA_DATA_DIR/real-apps, npm run dataset:native / dataset:wine / dataset:webwin).
# Writes $RPA_DATA_DIR/models-candidate/r11 (detector, classifier, similarity copied) and its work files in $RPA_DATA_DIR/retrain11.
set -euo pipefail
case "${1:-}" in -h|--help) sed -n '2,7{s/^# \{0,1\}//;p}' "$0"; exit 0 ;; "") ;; *) echo "error[bad_argument]: unknown argument $1 (see --help)" >&2; exit 2 ;; esac
cd "$(dirname "$0")/../../.."
data="${RPA_DATA_DIR:-$PWD/.data/datasets}"
export WORK="$data/retrain11" OUT="$data/models-candidate/r11" INIT=assets/models ROLES=detector,classifier VERSION=3.3.0
export DET_MINUTES=80 CLS_MINUTES=70
export DETECTOR_ARGS="--crop 320 --batch 8 --steps 100000 --lr 3e-4 --real-frac 0.6 --eval-images 60"
export CLASSIFIER_ARGS="--epochs 100 --batch 96 --max-train 0 --lr 7.5e-4 --real-frac 0.5"
exec bash scripts/train/retrain.sh
