#!/usr/bin/env bash
# Issue 15 §3: retrain the detector and the classifier for real programs (docs/MODELS.md "Issue 15 retrain").
#   bash scripts/train/all.sh                 (runs this script; MODE=scratch runs the from-scratch baseline instead)
#   RESUME=1 bash scripts/train/all.sh        continue both trainings from their checkpoints (same schedule, same budget)
# What it does: generator pages (synthetic train + a small synthetic validation set) -> caches -> detector and
# classifier fine-tuned side by side (one thread each, nice) from the SHIPPED weights (assets/models, read from its
# ONNX) on the generator pages plus the TRAIN applications of the real-program families
# ($RPA_DATA_DIR/real-apps/<family>/<app>, split from scripts/dataset/apps/<family>.json; held-out apps are never
# read) -> candidates with metadata.json (new MAJOR versions, new labels) in $OUT -> verify with onnxruntime-node.
# Candidates are NOT written to assets/: the evaluation on the held-out apps decides (docs/MODELS.md selection rule),
# then they are copied, signed and published through the product's path.
# Env: DATA_DIR (default $RPA_DATA_DIR, else .data/datasets), WORK (default $DATA/retrain), OUT (default $DATA/models-candidate), INIT (default
# assets/models; INIT_NAME names it in the lineage, default "the shipped"), REAL_APPS (default $DATA/real-apps), APPS_LISTS (comma list, default scripts/dataset/apps),
# DET_MINUTES / CLS_MINUTES (wall-clock budgets, default 60 / 45), VERSION (the candidates' version, default 2.0.0),
# SYNTH_DIR (where the generator pages go, default $WORK), CACHE_ROOT (the real-program caches, default $WORK/cache):
# two runs side by side share them; PREPARE_ONLY=1 stops once pages and caches are ready, and REAL_PINNED=<its
# real-pinned.json> makes a run read that pin instead of decoding again (so two runs side by side only read),
# SKIP_GENERATE=1, RESUME=1, PYTHON.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON:-/usr/bin/python3}
DATA=${DATA_DIR:-${RPA_DATA_DIR:-$PWD/.data/datasets}}
OUT=${OUT:-$DATA/models-candidate}
INIT=${INIT:-assets/models}
REAL_APPS=${REAL_APPS:-$DATA/real-apps}
APPS_LISTS=${APPS_LISTS:-scripts/dataset/apps}
WORK=${WORK:-$DATA/retrain}
SYNTH_DIR=${SYNTH_DIR:-$WORK}
CACHE_ROOT=${CACHE_ROOT:-$WORK/cache}
DET_MINUTES=${DET_MINUTES:-60}
CLS_MINUTES=${CLS_MINUTES:-45}
export TRAIN_THREADS=${TRAIN_THREADS:-1}
mkdir -p "$WORK" "$OUT"

# Debian's torch/onnx (docs/MODELS.md); openblas-openmp, else reference BLAS (~10x slower)
if ! $PY -c 'import torch, onnx, numpy, PIL' 2>/dev/null || ! dpkg -s libopenblas0-openmp >/dev/null 2>&1; then
  apt-get install -y python3-torch python3-onnx python3-numpy python3-pil libopenblas0-openmp
fi
if [ ! -d "$REAL_APPS" ]; then
  echo "error[missing_data]: no real-program samples in $REAL_APPS: build them with npm run dataset:native, dataset:wine and dataset:webwin, or npm run train -- --build-data" >&2
  exit 2
fi

# Generator pages (stop-13 generator): 200 training seeds x 2 variants, 30 validation seeds (disjoint from eval (a)).
if [ -z "${SKIP_GENERATE:-}" ]; then
  [ -f "$SYNTH_DIR/synth_train/synthetic_199_v1.json" ] || nice -n 10 node scripts/dataset/generate.mjs --out "$SYNTH_DIR/synth_train" --seed-start 0 --count 200 --variants 2
  [ -f "$SYNTH_DIR/synth_val/synthetic_100029_v1.json" ] || nice -n 10 node scripts/dataset/generate.mjs --out "$SYNTH_DIR/synth_val" --seed-start 100000 --count 30 --variants 2
fi
nice -n 10 $PY scripts/train/prepare.py --data "$SYNTH_DIR/synth_train"
nice -n 10 $PY scripts/train/prepare.py --data "$SYNTH_DIR/synth_val"

REAL=(--real-apps "$REAL_APPS" --apps-lists "$APPS_LISTS" --cache-root "$CACHE_ROOT" --val-frac "${VAL_FRAC:-0.1}")
# decode the real-program caches once and pin them: both trainings read the same samples
# REAL_PINNED: an earlier PREPARE_ONLY run's pin (two runs side by side then both read it, neither decodes again)
if [ -n "${REAL_PINNED:-}" ]; then cp "$REAL_PINNED" "$WORK/real-pinned.json"
else nice -n 10 $PY scripts/train/recipe.py "${REAL[@]}" --pin "$WORK/real-pinned.json"; fi
if [ -n "${PREPARE_ONLY:-}" ]; then echo "prepared: generator pages in $SYNTH_DIR, real-program caches in $CACHE_ROOT"; exit 0; fi
COMMON=(--val "$SYNTH_DIR/synth_val" "${REAL[@]}" --real-pinned "$WORK/real-pinned.json" --version "${VERSION:-2.0.0}")
DET_RESUME=(); CLS_RESUME=()
if [ -n "${RESUME:-}" ]; then
  [ -f "$WORK/detector.ckpt" ] && DET_RESUME=(--resume "$WORK/detector.ckpt")
  [ -f "$WORK/classifier.ckpt" ] && CLS_RESUME=(--resume "$WORK/classifier.ckpt")
fi
DETECTOR_ARGS=${DETECTOR_ARGS:---crop 320 --batch 8 --steps 100000 --lr 6e-4 --real-frac 0.6 --eval-images 60}
CLASSIFIER_ARGS=${CLASSIFIER_ARGS:---epochs 100 --batch 96 --max-train 0 --lr 1.5e-3 --real-frac 0.5}
# ROLES (default detector,classifier): which roles train; a role left out is copied from INIT unchanged (a
# single-role candidate, judged by the selection rule's fallback)
ROLES=${ROLES:-detector,classifier}
copy_init() { mkdir -p "$OUT/$1"; cp "$INIT/$1/model.onnx" "$INIT/$1/metadata.json" "$OUT/$1/"; [ ! -f "$INIT/$1/provenance.json" ] || cp "$INIT/$1/provenance.json" "$OUT/$1/"; }
DET_PID=""
if [[ ",$ROLES," == *,detector,* ]]; then
nice -n 10 $PY scripts/train/train_detector.py --data "$SYNTH_DIR/synth_train" "${COMMON[@]}" --out "$OUT/detector" \
  --init-onnx "$INIT/detector/model.onnx" --save "$WORK/detector.pt" --checkpoint "$WORK/detector.ckpt" "${DET_RESUME[@]}" \
  --minutes "$DET_MINUTES" $DETECTOR_ARGS \
  --lineage "issue 15 retrain: from ${INIT_NAME:-the shipped} detector $(node -p "require(require('path').resolve('$INIT/detector/metadata.json')).version") (ONNX weights, BatchNorm folded and frozen), generator pages + real-program train apps (scripts/train/retrain.sh)" \
  > "$WORK/detector.log" 2>&1 &
DET_PID=$!
else
  copy_init detector
fi
if [[ ",$ROLES," == *,classifier,* ]]; then
nice -n 10 $PY scripts/train/train_classifier.py --data "$SYNTH_DIR/synth_train" "${COMMON[@]}" --out "$OUT/classifier" \
  --init-onnx "$INIT/classifier/model.onnx" --save-weights "$WORK/classifier.pt" --checkpoint "$WORK/classifier.ckpt" "${CLS_RESUME[@]}" \
  --minutes "$CLS_MINUTES" $CLASSIFIER_ARGS \
  --lineage "issue 15 retrain: from ${INIT_NAME:-the shipped} classifier $(node -p "require(require('path').resolve('$INIT/classifier/metadata.json')).version") (ONNX weights; head rows of the shared labels kept, new labels new), generator pages + real-program train apps (scripts/train/retrain.sh)" \
  > "$WORK/classifier.log" 2>&1 || { echo "classifier failed, see $WORK/classifier.log" >&2; [ -z "$DET_PID" ] || kill $DET_PID; exit 1; }
else
  copy_init classifier
fi
[ -z "$DET_PID" ] || wait $DET_PID || { echo "detector failed, see $WORK/detector.log" >&2; exit 1; }
# the similarity model is not retrained (same contract, labels-free); the candidate folder is a full model set
if [ "$(cd "$INIT/similarity" && pwd)" != "$(mkdir -p "$OUT/similarity" && cd "$OUT/similarity" && pwd)" ]; then
  cp "$INIT/similarity/model.onnx" "$INIT/similarity/metadata.json" "$OUT/similarity/"
fi
node scripts/train/verify_onnx.mjs "$OUT"
# provenance (issue 20 §2): an unsigned in-toto statement per candidate, parent = the weights it started from; re-emit
# it with --eval-json after the evaluation below, then `rpa-fleet model attest` signs and publishes it
for role in ${ROLES//,/ }; do
  meta() { node -p "require(require('path').resolve('$1')).$2"; }
  parent="$(meta "$INIT/$role/metadata.json" name)@$(meta "$INIT/$role/metadata.json" version):$(sha256sum "$INIT/$role/model.onnx" | cut -c1-64)"
  npm run -s provenance -- --model "$OUT/$role/model.onnx" --name "$(meta "$OUT/$role/metadata.json" name)" \
    --version "$(meta "$OUT/$role/metadata.json" version)" --recipe scripts/train/retrain.sh \
    --dataset-manifest scripts/dataset/apps/manifest.json --parent "$parent" --out "$OUT/$role/provenance.json"
done
echo "candidates in $OUT. Evaluate them and the shipped pair on the same samples, then apply the selection rule:"
echo "  RPA_DATA_DIR=$DATA npm run eval -- --models $INIT --no-write --json $WORK/eval_shipped.json"
echo "  RPA_DATA_DIR=$DATA npm run eval -- --models $OUT --no-write --json $WORK/eval_candidate.json"
echo "  $PY scripts/train/select_candidate.py --baseline $WORK/eval_shipped.json --candidate $WORK/eval_candidate.json --markdown"
