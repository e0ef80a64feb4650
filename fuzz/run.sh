#!/usr/bin/env bash
# Runs one fuzz target on the stable toolchain (docs/robustness.md):
#   fuzz/run.sh <target> [seconds]      default 180 seconds
# Reads the committed corpus fuzz/corpus/<target>/ (where new inputs are
# written) and the seeds fuzz/corpus-seed/<target>/ (built by fuzz/seed.sh,
# run here when missing). One libFuzzer process, reporting on stderr
# (fuzz/run.sh parse 3600 2> /tmp/fuzz-parse.log: several targets can run at
# once); crashes go to fuzz/artifacts/<target>/.
# MAX_LEN=N caps input length (default: 8192 bytes for parse, check and
# fmt_roundtrip, whose seeds are whole policies of up to 40 KB; none for the
# others, whose inputs must hold a whole policy and its facts; 4096 for
# columnar, whose bytes describe at most 32 rows).
# TIMEOUT=N (default 5) seconds per input.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
target="${1:?usage: fuzz/run.sh <target> [seconds]}"
secs="${2:-180}"
case "$target" in
  eval_bundled) dict="$here/corpus-seed/facts.dict" ;;
  *) dict="$here/dicts/policy.dict" ;;
esac
case "$target" in
  parse|check|fmt_roundtrip) max_len="${MAX_LEN:-8192}" ;;
  columnar) max_len="${MAX_LEN:-4096}" ;;
  *) max_len="${MAX_LEN:-0}" ;;
esac
cd "$here"
[ -d "corpus-seed/$target" ] || ./seed.sh
mkdir -p "corpus/$target"
RUSTC_BOOTSTRAP=1 cargo fuzz run --debug-assertions --sanitizer none "$target" "corpus/$target" "corpus-seed/$target" -- \
  -max_total_time="$secs" -timeout="${TIMEOUT:-5}" -rss_limit_mb=2048 \
  -max_len="$max_len" -dict="$dict" -print_final_stats=1
