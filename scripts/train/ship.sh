#!/usr/bin/env bash
# Ship a retrain candidate that passed its round's rule (docs/MODELS.md "Issue 15 retrain"), the steps every round took:
#   bash scripts/train/ship.sh --candidate DIR --eval FILE --recipe PATH --set NAME [--roles detector,classifier]
#                              [--skip-int8]
# --candidate  the candidate model set (retrain.sh's $OUT, e.g. $RPA_DATA_DIR/models-candidate/r11)
# --eval       its `npm run eval -- --models DIR --real-apps ... --json FILE --no-write` report (the rule's file)
# --recipe     the round's script (provenance records it with the commit), e.g. scripts/train/rounds/round11.sh
# --set        the evaluation set's name for the provenance statement
# For each role: assets/models/<role>/{model.onnx,metadata.json} <- the candidate; eval.json <- the report's figures
# (per family pooled held-out + fresh, (a)-(c); the role's headline = the lowest family); provenance.json with parent =
# the model it replaces (name@version:sha256). Then the INT8 variants are rebuilt (npm run quantize, calibration from
# train apps only), evaluated through the agent's pipeline on the same files, their accuracy recorded into each
# variant.json, and docs/EVALUATION.md is rendered from --eval. Left to you: the busy-screen benchmark on a quiet machine
# (node --import tsx scripts/bench/vision-busy.ts 30 --no-extras), docs, the full test suite, the commit.
set -euo pipefail
usage() { sed -n '2,15{s/^# \{0,1\}//;p}' "$0"; }
bad() { echo "error[bad_argument]: $1 (see --help)" >&2; exit 2; }
CAND="" EVAL="" RECIPE="" SET="" ROLES=detector,classifier SKIP_INT8=""
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --candidate|--eval|--recipe|--set|--roles)
      [ $# -ge 2 ] && [ -n "$2" ] || bad "$1 needs a value"
      case "$1" in --candidate) CAND=$2 ;; --eval) EVAL=$2 ;; --recipe) RECIPE=$2 ;; --set) SET=$2 ;; --roles) ROLES=$2 ;; esac
      shift 2 ;;
    --skip-int8) SKIP_INT8=1; shift ;;
    *) bad "unknown argument $1" ;;
  esac
done
[ -n "$CAND" ] && [ -n "$EVAL" ] && [ -n "$RECIPE" ] && [ -n "$SET" ] || bad "--candidate, --eval, --recipe and --set are required"
[ -f "$EVAL" ] || bad "--eval $EVAL: no such file"
[ -f "$RECIPE" ] || bad "--recipe $RECIPE: no such file"
for role in ${ROLES//,/ }; do
  case "$role" in detector|classifier) ;; *) bad "--roles takes detector and/or classifier, got $role" ;; esac
  [ -f "$CAND/$role/model.onnx" ] && [ -f "$CAND/$role/metadata.json" ] || bad "--candidate $CAND has no $role/model.onnx + metadata.json"
done
CAND=$(realpath "$CAND") EVAL=$(realpath "$EVAL") RECIPE=$(realpath --relative-to="$(dirname "$0")/../.." "$RECIPE")
[ -n "${RPA_DATA_DIR:-}" ] || echo "note: RPA_DATA_DIR is unset: the quantizer's calibration reads <repo>/.data/datasets" >&2
cd "$(dirname "$0")/../.."
data="${RPA_DATA_DIR:-$PWD/.data/datasets}"
# the report must be of this candidate: its models' sha256 are the candidate's
node scripts/train/ship-metrics.mjs --check "$EVAL" --candidate "$CAND" --roles "$ROLES"
for role in ${ROLES//,/ }; do
  meta() { node -p "require(require('path').resolve('$1')).$2"; }
  dst=assets/models/$role
  parent="$(meta "$dst/metadata.json" name)@$(meta "$dst/metadata.json" version):$(sha256sum "$dst/model.onnx" | cut -c1-64)"
  cp "$CAND/$role/model.onnx" "$CAND/$role/metadata.json" "$dst/"
  node scripts/train/ship-metrics.mjs --eval "$EVAL" --role "$role" --out "$dst/eval.json"
  npm run -s provenance -- --model "$dst/model.onnx" --name "$(meta "$dst/metadata.json" name)" \
    --version "$(meta "$dst/metadata.json" version)" --recipe "$RECIPE" --dataset-manifest scripts/dataset/apps/manifest.json \
    --eval-json "$dst/eval.json" --eval-set "$SET" --parent "$parent" --out "$dst/provenance.json"
  echo "shipped $role $(meta "$dst/metadata.json" version) (parent $parent)"
done
if [ -z "$SKIP_INT8" ]; then
  v() { node -p "require(require('path').resolve('assets/models/$1/metadata.json')).version"; }
  # a role left out of --roles keeps its int8 variant, which the evaluation dir then holds (the pair the agent runs)
  int8="$data/int8-d$(v detector)-c$(v classifier)"
  npm run -s quantize -- --roles "$ROLES" --models assets/models --eval-dir "$int8"
  real=$(node -p "JSON.parse(require('fs').readFileSync('$EVAL','utf8')).real?.dir ?? ''" | sed "s#^\\\$RPA_DATA_DIR#$data#")
  npm run -s eval -- --models "$int8" ${real:+--real-apps "$real"} --json "$int8/eval_int8.json" --no-write
  npm run -s quantize -- --record-eval "$EVAL,$int8/eval_int8.json" --roles "$ROLES" --models assets/models
fi
npm run -s eval -- --render-from "$EVAL"
echo "done. Next: the busy-screen benchmark (docs/BENCHMARKS.md), docs/MODELS.md's round result, the full suite, a commit."
