#!/usr/bin/env bash
# Round 13 of the issue-15 retrain (docs/MODELS.md "Round 13"): the classifier only, a two-view classifier
# (train_classifier.py --views 0.10:4,0.25:8: the contract's tight crop and round 12's context crop, one shared trunk)
# from the shipped classifier 3.2.0 (started as it on view 0), 45 min of wall clock, one thread; the detector stays the
# shipped 3.2.0 (copied into the candidate).   bash scripts/train/rounds/round13.sh   (RESUME=1 continues from the checkpoint)
# Writes $RPA_DATA_DIR/models-candidate/r13 and its work files in $RPA_DATA_DIR/retrain13.
set -euo pipefail
case "${1:-}" in -h|--help) sed -n '2,6{s/^# \{0,1\}//;p}' "$0"; exit 0 ;; "") ;; *) echo "error[bad_argument]: unknown argument $1 (see --help)" >&2; exit 2 ;; esac
cd "$(dirname "$0")/../../.."
data="${RPA_DATA_DIR:-$PWD/.data/datasets}"
export WORK="$data/retrain13" OUT="$data/models-candidate/r13" INIT=assets/models ROLES=classifier VERSION=3.6.0
export CLS_MINUTES=45
export CLASSIFIER_ARGS="--epochs 100 --batch 96 --max-train 0 --lr 1e-3 --real-frac 0.5 --views 0.10:4,0.25:8"
exec bash scripts/train/retrain.sh
