#!/usr/bin/env bash
# Minimises the committed corpus of one fuzz target (docs/robustness.md):
#   fuzz/cmin.sh <target>
# 1. `cargo fuzz cmin` over fuzz/corpus/<target>/ and the seeds
#    fuzz/corpus-seed/<target>/ together: the smallest set of inputs with the
#    coverage of both (libFuzzer's -merge=1);
# 2. the seeds are taken out again (fuzz/seed.sh rebuilds them from the
#    repository), so fuzz/corpus/<target>/ keeps only what fuzzing grew.
# To keep the committed corpus small, inputs are cut to MAX_LEN bytes (as
# fuzz/run.sh: 8192 for parse, check and fmt_roundtrip), and the set kept
# covers every edge (-use_counters=0) rather than every hit-count bucket of
# every edge (which kept five times as many files); fuzzing regrows the
# buckets from it in seconds.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
target="${1:?usage: fuzz/cmin.sh <target>}"
case "$target" in
  parse|check|fmt_roundtrip) max_len="${MAX_LEN:-8192}" ;;
  *) max_len="${MAX_LEN:-0}" ;;
esac
cd "$here"
[ -d "corpus-seed/$target" ] || ./seed.sh
mkdir -p "corpus/$target"
before="$(find "corpus/$target" -type f | wc -l) files, $(du -sk "corpus/$target" | cut -f1) KiB"
# Seeds and grown inputs in one folder for cargo fuzz cmin (files are named by content hash).
cp -n "corpus-seed/$target"/* "corpus/$target"/ 2>/dev/null || true
RUSTC_BOOTSTRAP=1 cargo fuzz cmin --debug-assertions --sanitizer none "$target" "corpus/$target" -- \
  -timeout="${TIMEOUT:-10}" -rss_limit_mb=2048 -max_len="$max_len" -use_counters=0
for f in "corpus-seed/$target"/*; do rm -f "corpus/$target/$(basename "$f")"; done
echo "$target: $before -> $(find "corpus/$target" -type f | wc -l) files, $(du -sk "corpus/$target" | cut -f1) KiB (seeds left out)"
