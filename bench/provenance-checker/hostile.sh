#!/usr/bin/env bash
# Hostile locks (issue 13): one package with 2,000 and 5,000 unknown hashes, a lock just under
# the default size limit that is all hashes, and a 105 MB Pipfile.lock, checked against a
# static PEP 503 index on loopback (`python3 -m http.server`). For each: exit code, document
# size, peak RSS and wall time (GNU time -v), after (this tree's binary) and, when BASE_BIN
# names one, before (e.g. main's binary). Before-runs are fenced: 3 GiB of address space and
# 120 s, so the quadratic growth they show cannot take the machine down.
#
# Usage: bench/provenance-checker/hostile.sh
#   BIN=path        the binary to measure (default: target/debug/provenance-checker, built)
#   BASE_BIN=path   a baseline binary to measure the same way (optional)
# Needs: cargo, python3, /usr/bin/time.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=${BENCH_DIR:-$(mktemp -d /tmp/provenance-hostile.XXXXXX)}
mkdir -p "$work"
echo "work directory: $work" >&2
[[ -x /usr/bin/time ]] || { echo "needs GNU time: apt-get install time" >&2; exit 2; }

if [[ -z "${BIN:-}" ]]; then
  (cd "$repo" && cargo build -q -p provenance-checker)
  BIN="${CARGO_TARGET_DIR:-$repo/target}/debug/provenance-checker"
fi

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

mkdir -p "$work/index/simple/big" "$work/index/files"
printf 'the real wheel' >"$work/index/files/big-1.0-py3-none-any.whl"
real=$(sha256sum "$work/index/files/big-1.0-py3-none-any.whl" | cut -d' ' -f1)
printf '<!DOCTYPE html><html><body><a href="../../files/big-1.0-py3-none-any.whl#sha256=%s">big-1.0-py3-none-any.whl</a></body></html>\n' "$real" \
  >"$work/index/simple/big/index.html"
(cd "$work/index" && exec python3 -u -m http.server --bind 127.0.0.1 0 >"$work/server.log" 2>/dev/null) &
pids+=($!)
for _ in $(seq 50); do grep -q port "$work/server.log" 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/.* port \([0-9]*\) .*/\1/p' "$work/server.log" | head -1)
index="http://127.0.0.1:$port/simple/"

lock() { # NAME HASHES -> a Pipfile.lock pinning big==1.0 with HASHES unknown digests
  python3 - "$work/$1" "$2" "$index" <<'PY'
import json, sys
path, n, index = sys.argv[1], int(sys.argv[2]), sys.argv[3]
hashes = ["sha256:%064x" % i for i in range(n)]
json.dump({"_meta": {"hash": {"sha256": "0"}, "pipfile-spec": 6, "requires": {},
                     "sources": [{"name": "internal", "url": index, "verify_ssl": True}]},
           "default": {"big": {"version": "==1.0", "index": "internal", "hashes": hashes}},
           "develop": {}}, open(path, "w"))
PY
}
lock hashes-2000.lock 2000
lock hashes-5000.lock 5000
# Just under the default 16 MiB limit: ~215,000 hashes.
lock under-limit.lock 215000
# 105 MB: ~1.4 million hashes.
lock big-105mb.lock 1400000

measure() { # LABEL BIN LOCK FENCED [OUTPUT-OPTION...]: -P (compact) unless others are given
  local label=$1 bin=$2 lock=$3 fenced=$4 out="$work/$1.json" tv="$work/$1.time" code
  shift 4
  local output=("$@")
  [[ ${#output[@]} -gt 0 ]] || output=(-P)
  [[ ${output[0]} != pretty ]] || output=()
  set +e
  if [[ $fenced == yes ]]; then
    ( ulimit -v $((3 * 1024 * 1024)); exec timeout 120 /usr/bin/time -v -o "$tv" \
        "$bin" provenance -l "$lock" "${output[@]}" >"$out" 2>"$work/$label.stderr" )
  else
    /usr/bin/time -v -o "$tv" "$bin" provenance -l "$lock" "${output[@]}" >"$out" 2>"$work/$label.stderr"
  fi
  code=$?
  set -e
  local rss wall size
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tv" 2>/dev/null || true)
  wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$tv" 2>/dev/null || true)
  size=$(stat -c %s "$out")
  printf '| %s | %s | %s | %s | %s MiB | %s |\n' "$label" "$(basename "$lock")" "$code" "$size" \
    "$(awk -v k="${rss:-0}" 'BEGIN{printf "%.1f", k/1024}')" "${wall:-killed}"
}

echo "| run | lock | exit | document bytes | peak RSS | wall |"
echo "|---|---|---|---|---|---|"
for l in hashes-2000 hashes-5000 under-limit big-105mb; do
  measure "after-$l" "$BIN" "$work/$l.lock" no
  # The default output, pretty-printed (the issue's bound is on the document as written).
  measure "after-pretty-$l" "$BIN" "$work/$l.lock" no pretty
done
if [[ -n "${BASE_BIN:-}" ]]; then
  for l in hashes-2000 hashes-5000 big-105mb; do
    measure "before-$l" "$BASE_BIN" "$work/$l.lock" yes
  done
fi
