#!/usr/bin/env bash
# Throughput and peak memory of buildlog-parser on large concatenations of real build logs, and
# the same measurements for Thoth's parser (thoth-buildlog-parser from the package index) on the
# same files, in the same run.
#
# Usage: bench/buildlog/run.sh [SIZE_MB...]          (default: 50 200)
#        THOTH_MAX_MB=50 bench/buildlog/run.sh        (largest input given to Thoth's parser)
#
# The logs are every input.log under testdata/buildlog-parser/ (real pip, micropipenv, pipenv
# and uv runs) and every log in ../shared/corpus/pip-logs/, concatenated and repeated up to each
# size. Needs: cargo, python3 with venv, /usr/bin/time (GNU time; installed with apt if
# missing), and the package index this machine's pip is configured with (to install Thoth's
# parser). Prints a Markdown table; RESULTS.md beside this file keeps one run's output.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
sizes=("$@")
[[ ${#sizes[@]} -gt 0 ]] || sizes=(50 200)
thoth_max=${THOTH_MAX_MB:-200}
work=${BENCH_DIR:-$(mktemp -d /tmp/buildlog-bench.XXXXXX)}
mkdir -p "$work"
echo "work directory: $work" >&2

if [[ ! -x /usr/bin/time ]]; then
  apt-get update -qq && apt-get install -y -qq time
fi

echo "== building the release binary" >&2
(cd "$repo" && cargo build -q --release -p buildlog-parser)
bin="$repo/target/release/buildlog-parser"

echo "== Thoth's parser" >&2
thoth_note=""
if [[ ! -x $work/thoth/bin/thoth-buildlog-parser ]]; then
  python3 -m venv "$work/thoth"
  if ! "$work/thoth/bin/python" -m pip install -q thoth-buildlog-parser >"$work/thoth-install.log" 2>&1; then
    thoth_note="pip install thoth-buildlog-parser failed: $(tail -1 "$work/thoth-install.log")"
  fi
fi
thoth="$work/thoth/bin/thoth-buildlog-parser"
if [[ -z $thoth_note ]] && ! "$thoth" --help >/dev/null 2>"$work/thoth-run.log"; then
  # thoth-buildlog-parser 0.1.0 imports jsonpath2 without declaring it.
  if grep -q "No module named 'jsonpath2'" "$work/thoth-run.log"; then
    "$work/thoth/bin/python" -m pip install -q jsonpath2 >>"$work/thoth-install.log" 2>&1
    thoth_note="thoth-buildlog-parser needs jsonpath2, which it does not declare: installed by hand"
  fi
  "$thoth" --help >/dev/null 2>"$work/thoth-run.log" || thoth_note="cannot run: $(tail -1 "$work/thoth-run.log")"
fi

echo "== inputs" >&2
round="$work/round.log"
: >"$round"
n=0
skipped=()
while IFS= read -r -d '' f; do
  # Thoth's parser reads its input as UTF-8 and dies on anything else (UnicodeDecodeError), which
  # would leave it no result at all: such logs (the UTF-16 one) are left out of the comparison.
  if ! iconv -f UTF-8 -t UTF-8 "$f" >/dev/null 2>&1; then
    skipped+=("${f#"$repo/"}")
    continue
  fi
  cat "$f" >>"$round"
  # A log that does not end with a newline must not glue its last line to the next log.
  [[ -z $(tail -c1 "$f") ]] || echo >>"$round"
  n=$((n + 1))
done < <(find "$repo/testdata/buildlog-parser" -name input.log -print0 | sort -z;
         find "$repo/../shared/corpus/pip-logs" -type f ! -name '*.json' -print0 | sort -z)
round_bytes=$(stat -c %s "$round")
echo "one round: $n logs, $round_bytes bytes; not valid UTF-8, left out: ${skipped[*]:-none}" >&2

# measure NAME OUT CMD...: runs CMD under GNU time; prints "wall_s user_s sys_s maxrss_kb exit".
measure() {
  local out=$1
  shift
  local t="$work/time.txt" rc=0
  /usr/bin/time -v -o "$t" "$@" >"$out" 2>"$out.stderr" || rc=$?
  local wall user sys rss
  wall=$(sed -n 's/.*Elapsed (wall clock) time.*: //p' "$t" | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
  user=$(sed -n 's/.*User time (seconds): //p' "$t")
  sys=$(sed -n 's/.*System time (seconds): //p' "$t")
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$t")
  echo "$wall $user $sys $rss $rc"
}

# facts DOC: "entries failed errors successful" from either tool's document.
facts() {
  python3 - "$1" <<'PY'
import json, sys
try:
    with open(sys.argv[1]) as fh:
        doc = json.load(fh)
except Exception as e:  # a crash or a timeout leaves no document
    print(f"- - - no-document")
    sys.exit()
r = doc.get("result", {})
errors = r.get("errors")
print(len(r.get("installation", [])), len(r.get("failed", [])),
      "-" if errors is None else len(errors), r.get("installation_successful"))
PY
}

printf '\n| input | parser | wall s | CPU s (user+sys) | MB/s | peak RSS MB | exit | installation entries | failed | errors |\n'
printf '|---|---|---|---|---|---|---|---|---|---|\n'
for mb in "${sizes[@]}"; do
  input="$work/logs-${mb}MB.log"
  want=$((mb * 1024 * 1024))
  if [[ ! -f $input ]] || [[ $(stat -c %s "$input") -lt $want ]]; then
    : >"$input"
    while [[ $(stat -c %s "$input") -lt $want ]]; do cat "$round" >>"$input"; done
  fi
  size=$(stat -c %s "$input")
  label="${mb} MB ($size bytes)"
  read -r wall user sys rss rc < <(measure "$work/ours-$mb.json" "$bin" parse -i "$input" -P)
  read -r entries failed errors ok < <(facts "$work/ours-$mb.json")
  printf '| %s | buildlog-parser | %s | %.2f | %.1f | %.1f | %s | %s | %s | %s |\n' "$label" "$wall" \
    "$(echo "$user + $sys" | bc)" "$(echo "$size / 1048576 / $wall" | bc -l)" "$(echo "$rss / 1024" | bc -l)" \
    "$rc" "$entries" "$failed" "$errors"
  ours_wall=$wall
  if [[ -z $thoth_note || $thoth_note == *"installed by hand"* ]] && [[ $mb -le $thoth_max ]]; then
    read -r wall user sys rss rc < <(measure "$work/thoth-$mb.json" timeout 3600 "$thoth" parse -i "$input" -P)
    read -r entries failed errors ok < <(facts "$work/thoth-$mb.json")
    printf '| %s | thoth-buildlog-parser | %s | %.2f | %.1f | %.1f | %s | %s | %s | %s |\n' "$label" "$wall" \
      "$(echo "$user + $sys" | bc)" "$(echo "$size / 1048576 / $wall" | bc -l)" "$(echo "$rss / 1024" | bc -l)" \
      "$rc" "$entries" "$failed" "$errors"
    printf '| %s | time ratio Thoth / ours | %.1f× | | | | | | | |\n' "$label" "$(echo "$wall / $ours_wall" | bc -l)"
  fi
done
printf '\nOne round: %s logs, %s bytes. Left out (not UTF-8): %s\n' "$n" "$round_bytes" "${skipped[*]:-none}"
[[ -z $thoth_note ]] || printf 'Thoth: %s\n' "$thoth_note"
