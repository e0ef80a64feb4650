#!/usr/bin/env bash
# Runs one fuzz target on the stable toolchain (docs/robustness.md):
#   fuzz/run.sh <target> [seconds]      default 180 seconds
# One libFuzzer process (-jobs=1 -workers=1); the log is fuzz/fuzz-0.log,
# crashes go to fuzz/artifacts/<target>/. Run fuzz/seed.sh first.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
target="${1:?usage: fuzz/run.sh <target> [seconds]}"
secs="${2:-180}"
case "$target" in
  eval_bundled) dict="$here/corpus/facts.dict" ;;
  *) dict="$here/dicts/policy.dict" ;;
esac
cd "$here"
mkdir -p "corpus/$target"
RUSTC_BOOTSTRAP=1 cargo fuzz run --debug-assertions --sanitizer none "$target" "corpus/$target" -- \
  -max_total_time="$secs" -jobs=1 -workers=1 -timeout="${TIMEOUT:-5}" -rss_limit_mb=2048 \
  -dict="$dict" -print_final_stats=1
