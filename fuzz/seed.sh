#!/usr/bin/env bash
# Builds the seed corpora from the repository (docs/robustness.md), in
# fuzz/corpus-seed/ (ignored by git: it is rebuilt from the repository);
# fuzz/corpus/ holds, committed, what fuzzing grew beyond these seeds.
#
#   fuzz/corpus-seed/parse, check, fmt_roundtrip   every .policy under policies/
#                                             and crates/core/tests/data/, plus
#                                             fuzz/seeds/<target>/*
#   fuzz/corpus-seed/eval_bundled                  per golden case: 2-byte date
#                                             selector (the case's as_of) +
#                                             its facts JSON, plus seeds
#   fuzz/corpus-seed/eval_arbitrary                per golden case: selector + the
#                                             case's policy + NUL + its facts;
#                                             per test-data policy: "{}" facts
#   fuzz/corpus-seed/eval_many_benefits, dir_loader, columnar
#                                             fuzz/seeds/<target>/* (copies byte
#                                             + policy + NUL + facts; tree
#                                             operations, see fuzz/src/tree.rs)
#   fuzz/corpus-seed/facts.dict                    libFuzzer dictionary of the fact
#                                             names and string values in the
#                                             golden cases
#
# Existing seed files are kept (files are named by content hash), so the
# script can be re-run after fuzzing. Needs bash, sha1sum and python3.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
corpus="$here/corpus-seed"
mkdir -p "$corpus"/{parse,check,fmt_roundtrip,eval_bundled,eval_arbitrary,eval_many_benefits,dir_loader,columnar}

add() { # add <target> <file>: copy under its content hash
  local sum
  sum="$(sha1sum "$2" | cut -d' ' -f1)"
  cp "$2" "$corpus/$1/$sum"
}

mapfile -t policies < <(find "$root/policies" "$root/crates/core/tests/data" -name '*.policy' | sort)
for t in parse check fmt_roundtrip; do
  for f in "${policies[@]}"; do add "$t" "$f"; done
  if [ -d "$here/seeds/$t" ]; then
    for f in "$here/seeds/$t"/*; do [ -f "$f" ] && add "$t" "$f"; done
  fi
done
for t in eval_bundled eval_arbitrary eval_many_benefits dir_loader columnar; do
  if [ -d "$here/seeds/$t" ]; then
    for f in "$here/seeds/$t"/*; do [ -f "$f" ] && add "$t" "$f"; done
  fi
done

python3 - "$root" "$corpus" <<'PY'
import datetime, glob, hashlib, json, os, sys

root, corpus = sys.argv[1], sys.argv[2]
base = datetime.date(2014, 1, 1)

def prefix(as_of):
    # policy_fuzz::split_date: 0 = no reference date, n = 2014-01-01 + (n - 1) days
    if not as_of:
        return (0).to_bytes(2, "little")
    n = (datetime.date.fromisoformat(as_of) - base).days + 1
    return (n if 0 < n < 65536 else 0).to_bytes(2, "little")

def put(target, data):
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(corpus, target, name), "wb") as f:
        f.write(data)

words = set()
def collect(v):
    if isinstance(v, dict):
        for k, x in v.items():
            words.add(k)
            collect(x)
    elif isinstance(v, list):
        for x in v:
            collect(x)
    elif isinstance(v, str) and len(v) <= 40:
        words.add(v)

for cases_path in sorted(glob.glob(os.path.join(root, "policies", "*", "*.cases.json"))):
    policy_path = cases_path[: -len(".cases.json")] + ".policy"
    with open(policy_path, "rb") as f:
        policy = f.read()
    with open(cases_path, encoding="utf-8") as f:
        cases = json.load(f)["cases"]
    for case in cases:
        facts = json.dumps(case.get("facts", {}), ensure_ascii=False).encode()
        collect(case.get("facts", {}))
        p = prefix(case.get("as_of"))
        put("eval_bundled", p + facts)
        put("eval_arbitrary", p + policy + b"\0" + facts)

for policy_path in sorted(glob.glob(os.path.join(root, "crates", "core", "tests", "data", "**", "*.policy"), recursive=True)):
    with open(policy_path, "rb") as f:
        put("eval_arbitrary", prefix("2024-06-01") + f.read() + b"\0{}")

def esc(w):
    # libFuzzer dictionary entry: printable ASCII as is, other bytes as \xNN
    return "".join(chr(b) if 32 <= b < 127 and b not in (34, 92) else "\\x%02x" % b for b in w.encode())

with open(os.path.join(corpus, "facts.dict"), "w") as f:
    for w in sorted(words):
        f.write('"%s"\n' % esc(json.dumps(w, ensure_ascii=False)))
PY

for t in parse check fmt_roundtrip eval_bundled eval_arbitrary; do
  printf '%-15s %5d files\n' "$t" "$(find "$corpus/$t" -type f | wc -l)"
done
