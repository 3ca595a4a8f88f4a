#!/usr/bin/env bash
# The whole test suite: type-check everything (desktop code included), then every test file under
# test/ with node:test, inside a throwaway Secret Service (keytar) and an Xvfb display (screen capture).
# Usage: npm test                 all tests
#        npm test -- test/unit/x.test.ts   just those files
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "${RPA_TEST_INNER:-}" != "1" ]]; then
  echo "== type-check (tsc --noEmit)"
  npx tsc -p tsconfig.json --noEmit
  export RPA_TEST_INNER=1
  if [[ -z "${DISPLAY:-}" ]] && command -v xvfb-run >/dev/null; then
    exec xvfb-run -a -s "-screen 0 1920x1080x24" bash scripts/with-keyring.sh bash "$0" "$@"
  fi
  exec bash scripts/with-keyring.sh bash "$0" "$@"
fi
if [[ $# -gt 0 ]]; then files=("$@"); else mapfile -t files < <(find test -name '*.test.ts' -not -path '*/fixtures/*' | sort); fi
echo "== ${#files[@]} test files"
# --test-timeout also bounds each test file's process: one that lingers after its tests (a timer or socket left
# open) fails as testTimeoutFailure after 10 minutes instead of holding CI until its 90-minute limit.
exec node --import tsx --test --test-reporter=spec --test-concurrency=1 --test-timeout=600000 "${files[@]}"
