#!/usr/bin/env bash
# Load figures for docs/performance.md (The service): wrk against
# `policy serve` on loopback, bounded in time (DURATION seconds per run) and
# connections; batch throughput with curl. Needs wrk (apt-get install wrk)
# and a release build (cargo build --release -p policy-cli).
set -euo pipefail
cd "$(dirname "$0")/../../.."
BIN=${BIN:-target/release/policy}
DURATION=${DURATION:-10}
CONNS=${CONNS:-32}
LINES=${LINES:-100000}
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)"; exit 1; }
tmp="$(mktemp -d)"
"$BIN" serve --policies policies --addr 127.0.0.1:0 --log off ${THREADS:+--threads "$THREADS"} 2> "$tmp/serve.log" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT
url=""
for _ in $(seq 1 100); do
  url="$(grep -oE 'http://127\.0\.0\.1:[0-9]+' "$tmp/serve.log" | head -1 || true)"
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { cat "$tmp/serve.log"; exit 1; }
policy=datong.big_data_training_2022
facts=policies/datong/big_data_training_2022.example.json
cat > "$tmp/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open("$facts", "r")
wrk.body = f:read("*a")
f:close()
LUA
for trace in off full; do
  echo "== single decisions, trace=$trace: wrk -t2 -c$CONNS -d${DURATION}s"
  wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency -s "$tmp/post.lua" "$url/v1/policies/$policy/decide?trace=$trace"
done
echo "== batch: $LINES lines, trace=off"
line="$(tr -d '\n' < "$facts")"
{ yes "$line" || true; } | head -n "$LINES" > "$tmp/batch.jsonl"
start=$(date +%s.%N)
curl -sS --max-time 300 -X POST -H 'content-type: application/x-ndjson' --data-binary @"$tmp/batch.jsonl" \
  "$url/v1/policies/$policy/decide-batch" -o "$tmp/out.jsonl"
end=$(date +%s.%N)
n=$(wc -l < "$tmp/out.jsonl")
errors=$(grep -c '"error"' "$tmp/out.jsonl" || true)
echo "decided $n lines ($errors errors) in $(echo "$end - $start" | bc) s: $(echo "$n / ($end - $start)" | bc) lines/s"
