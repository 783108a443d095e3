#!/usr/bin/env bash
# Exit code, peak memory and wall time of buildlog-parser on the inputs issue 13 named as attacks
# (a gzip bomb, a huge gzip-compressed BuildLog JSON under -j '$.log', a one-line BuildLog JSON
# with a 50 MB log, a stalled stdin), measured with GNU time (/usr/bin/time -v).
#
# Usage: bench/buildlog/hostile.sh
#        BIN=path/to/buildlog-parser bench/buildlog/hostile.sh     (a given binary, e.g. main's)
#        BEFORE=path/to/old/buildlog-parser bench/buildlog/hostile.sh   (the old one on the 50 MB JSON)
#        RAISED=1 bench/buildlog/hostile.sh      (also parse the 4 GiB JSON with the caps raised)
# Without BIN, the release binary is built. Prints a Markdown table; RESULTS-hostile.md beside
# this file keeps one run's output. Each run is bounded (timeout 300 s).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=${BENCH_DIR:-$(mktemp -d /tmp/buildlog-hostile.XXXXXX)}
mkdir -p "$work"
echo "work directory: $work" >&2
if [[ ! -x /usr/bin/time ]]; then
  apt-get update -qq && apt-get install -y -qq time
fi
if [[ -z ${BIN:-} ]]; then
  (cd "$repo" && cargo build -q --release -p buildlog-parser)
  BIN="$repo/target/release/buildlog-parser"
fi

echo "== inputs" >&2
python3 - "$work" "$repo/testdata/buildlog-parser" <<'EOF'
import gzip, json, os, sys, zlib
work, testdata = sys.argv[1], sys.argv[2]
log = open(os.path.join(testdata, "pip-22.3.1-success", "input.log"), "rb").read()
failing = open(os.path.join(testdata, "pip-22.3.1-missing-header", "input.log"), "rb").read()

def member(data):
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    return c.compress(data) + c.flush()

# A gzip bomb: members of 4 MiB of log text, repeated to 10 GiB of output.
chunk = (log * (4 * 2**20 // len(log) + 1))[: 4 * 2**20]
m = member(chunk)
with open(os.path.join(work, "bomb.log.gz"), "wb") as f:
    for _ in range(10 * 2**30 // len(chunk)):
        f.write(m)
# A BuildLog JSON whose log is 4 GiB, gzip-compressed (the Argo template's mode, -j '$.log').
head = b'{"apiversion": "build.openshift.io/v1", "kind": "BuildLog", "log": "'
text = json.dumps(chunk.decode())[1:-1].encode()
with open(os.path.join(work, "huge-json.json.gz"), "wb") as f:
    f.write(member(head))
    m = member(text)
    for _ in range(4 * 2**30 // len(text)):
        f.write(m)
    f.write(member(json.dumps("\n" + failing.decode())[1:-1].encode() + b'"}'))
# Thoth's BuildLog JSON with a 50 MB log, on one line.
big = (log * (50 * 10**6 // len(log) + 1))[: 50 * 10**6] + b"\n" + failing
doc = {"apiversion": "build.openshift.io/v1", "kind": "BuildLog", "log": big.decode()}
with open(os.path.join(work, "buildlog-50mb.json"), "w") as f:
    json.dump(doc, f)
EOF
ls -l "$work" >&2

measure() { # NAME BINARY ARGS... : one table row
  local name=$1 bin=$2
  shift 2
  local out="$work/out.json" rc
  set +e
  /usr/bin/time -v -o "$work/time.txt" timeout 300 "$bin" parse "$@" -o "$out" </dev/null 2>"$work/stderr.txt"
  rc=$?
  set -e
  local rss wall
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.1f MiB", $2/1024}' "$work/time.txt")
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$work/time.txt")
  local what
  what=$(python3 -c 'import json,sys
try:
    r = json.load(open(sys.argv[1]))["result"]
except Exception as e:
    print("no document"); sys.exit()
if r.get("error"):
    print("%s: %s" % (r["error_kind"], r["error_msg"][:90]))
else:
    print("parsed; failed=%s" % r.get("failed"))' "$out")
  rm -f "$out"
  printf '| %s | `%s` | %s | %s | %s | %s |\n' "$name" "$*" "$rc" "$rss" "$wall" "$what"
}

echo "| input | arguments | exit | peak RSS | wall | outcome |"
echo "|---|---|---|---|---|---|"
# The old binary only meets the input it refuses at once: on the others it takes gigabytes of
# memory and minutes (issue 13's figures), which a shared machine should not be put through.
if [[ -n ${BEFORE:-} ]]; then
  measure "before: BuildLog JSON, 50 MB log on one line" "$BEFORE" -i "$work/buildlog-50mb.json" -j '$.log'
fi
measure "gzip bomb ($(du -m "$work/bomb.log.gz" | cut -f1) MB of gzip, 10 GiB of log)" "$BIN" -i "$work/bomb.log.gz"
measure "BuildLog JSON, 4 GiB log, gzip ($(du -m "$work/huge-json.json.gz" | cut -f1) MB)" "$BIN" -i "$work/huge-json.json.gz" -j '$.log'
measure "BuildLog JSON, 50 MB log on one line" "$BIN" -i "$work/buildlog-50mb.json" -j '$.log'
if [[ -n ${RAISED:-} ]]; then
  # The caps raised: the 4 GiB log is parsed, streamed (minutes of CPU).
  measure "the same 4 GiB JSON, caps raised" "$BIN" -i "$work/huge-json.json.gz" -j '$.log' \
    --max-compression-ratio 100000 --max-decompressed-size 8589934592 -t 280
fi
# stdin that stays open and silent (for 20 s): the time limit ends the run after 5 s.
set +e
sleep 20 | /usr/bin/time -v -o "$work/time.txt" "$BIN" parse -t 5 -o "$work/out.json" 2>/dev/null
rc=${PIPESTATUS[1]}
set -e
printf '| %s | `%s` | %s | %s | %s | %s |\n' "stalled stdin" "-t 5" "$rc" \
  "$(awk -F': ' '/Maximum resident set size/ {printf "%.1f MiB", $2/1024}' "$work/time.txt")" \
  "$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$work/time.txt")" \
  "$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["result"]; print(r["error_kind"] + ": " + r["error_msg"])' "$work/out.json")"
