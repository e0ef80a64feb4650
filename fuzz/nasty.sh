#!/usr/bin/env bash
# Feeds hostile files to `policy check` and `policy eval` and reports, per
# command, the exit status, whether anything "panicked at", and the first
# line of the error (docs/robustness.md, "The CLI on nasty input").
#
#   fuzz/nasty.sh            files go to a temporary directory, removed after
#   KEEP=dir fuzz/nasty.sh   files go to dir and are kept
#
# Builds the CLI once (cargo build -p policy-cli); do not run while fuzzing.
# Needs bash, python3 and timeout.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
if [ -n "${KEEP:-}" ]; then
  dir="$KEEP"
  mkdir -p "$dir"
else
  dir="$(mktemp -d)"
  trap 'rm -rf "$dir"' EXIT
fi
(cd "$root" && cargo build -q -p policy-cli) || exit 2
policy="$root/target/debug/policy"

python3 - "$dir" <<'PY'
import os, sys
d = sys.argv[1]
def w(name, data):
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
hdr = 'policy nasty.p "t"\n  in_force 2021-01-01 .. 2021-12-31\n'
w("bad_utf8.policy", hdr.encode() + b'input x: int "\xff\xfe"\n')
w("unterminated.policy", hdr + 'input x: int "no end\nlet y = 1\n')
w("parens.policy", hdr + 'input x: int "x"\nlet y = ' + "(" * 10000 + "x" + ")" * 10000 + "\n")
w("ten_mb.policy", hdr + ("# " + "x" * 98 + "\n") * (10 * 1024 * 1024 // 100))
w("exponent.policy", hdr + "let y = 1e999999\n")
w("money30.policy", hdr + "let y = 123456789012345678901234567890 yuan\n")
w("long_line.policy", hdr + "let y = 1" + " " * 70000 + "+ +\n")
w("good.policy", hdr + '''input days: int in 0 .. 365 "培训天数"
input name: text default "" "名"
input items: list int default [] "列"
benefit training "培训补贴" {
  payee training_institution
  require days >= 3 "不少于3天"
  amount scale days { first 10 at 150 yuan, then at 100 yuan }
  cap 4000 yuan
}
''')
w("quadratic.policy", '''policy nasty.quad "q"
input xs: list int default [] "xs"
benefit b "b" {
  payee person
  require count(a in xs where any(b in xs where a == b + 1)) >= 0 "r"
  amount 1 yuan
}
''')
w("ok.json", '{"days": 12}')
w("huge_number.json", '{"days": 1e999999}')
w("huge_int.json", '{"days": 123456789012345678901234567890}')
w("negative.json", '{"days": -5}')
w("garbage.json", b"\xff\x00{{{ not json")
w("array.json", "[1,2,3]")
w("deep.json", '{"items": ' + "[" * 10000 + "]" * 10000 + "}")
w("long_list.json", '{"items": [' + ",".join(["1"] * 200000) + "]}")
w("long_text.json", '{"name": "' + "字" * 20000 + '"}')
w("ten_mb.json", '{"name": "' + "a" * (10 * 1024 * 1024) + '"}')
w("unknown.json", '{"dayz": 5}')
w("quadratic.json", '{"xs": [' + ",".join(str(2 * i) for i in range(100000)) + "]}")
PY

run() { # run <label> <command…>
  local label="$1"; shift
  local out status start secs panics first
  start=$(date +%s.%N)
  out=$(timeout 600 "$@" 2>&1)
  status=$?
  secs=$(python3 -c "import time; print(f'{time.time() - $start:.1f}')")
  panics=$(printf '%s\n' "$out" | grep -c "panicked at")
  if [ "$panics" -gt 0 ]; then # the panic's message is on the line after "panicked at"
    first="panicked: $(printf '%s\n' "$out" | grep -A1 -m1 'panicked at' | tail -1)"
  else
    first=$(printf '%s\n' "$out" | grep -m1 -E '^ *error|^\{"code"')
  fi
  first=$(printf '%s' "$first" | python3 -c 'import sys; t = sys.stdin.read().strip(); print(t if len(t) <= 100 else t[:100] + "…")')
  printf '| `%s` | %s | %s | %ss | %s |\n' "$label" "$status" "$([ "$panics" -gt 0 ] && echo PANIC || echo no)" "$secs" "${first//|/\\|}"
}

echo '| command | exit | panicked | time | first error line |'
echo '|---|---|---|---|---|'
for f in bad_utf8 unterminated parens ten_mb exponent money30 long_line; do
  run "policy check $f.policy" "$policy" check "$dir/$f.policy"
done
run "policy check --error-format json long_line.policy" "$policy" check --error-format json "$dir/long_line.policy"
for f in bad_utf8 unterminated parens ten_mb exponent money30; do
  run "policy eval $f.policy --facts ok.json" "$policy" eval "$dir/$f.policy" --facts "$dir/ok.json" --as-of 2021-06-01
done
for f in huge_number huge_int negative garbage array deep long_list long_text ten_mb unknown; do
  run "policy eval good.policy --facts $f.json" "$policy" eval "$dir/good.policy" --facts "$dir/$f.json" --as-of 2021-06-01
done
run "policy eval good.policy --facts - (bytes ff 7b)" bash -c "printf '\\xff{' | '$policy' eval '$dir/good.policy' --facts -"
run "policy eval good.policy --as-of 99999-01-01" "$policy" eval "$dir/good.policy" --facts "$dir/ok.json" --as-of 99999-01-01
run "policy eval quadratic.policy --facts quadratic.json" "$policy" eval "$dir/quadratic.policy" --facts "$dir/quadratic.json" --as-of 2021-06-01 --trace summary
