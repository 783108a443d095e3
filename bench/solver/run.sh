#!/usr/bin/env bash
# Scale benchmark of the solver on a metadata mirror made by mirror.py:
#  1. the full transitive walk (`solver python`, Thoth's document) of the roots: releases
#     analyzed, wall time, peak memory, requests;
#  2. `solver resolve` against `uv pip compile`, each with a cold cache, interleaved REPS times:
#     wall time, peak memory, requests, and whether the pinned sets are identical.
#
#   bench/solver/run.sh MIRROR_DIR [REQUIREMENT...]      (default requirement: tensorflow)
#   REPS=3 WORKDIR=/var/tmp/solver-bench bench/solver/run.sh /var/tmp/solver-mirror tensorflow
#
# The mirror is served on loopback by python3 -m http.server; the target is CPython 3.11 on
# linux-x86_64 (glibc 2.28) for both tools. Results go to WORKDIR/run-DATE/summary.txt.
set -euo pipefail

mirror=${1:?usage: run.sh MIRROR_DIR [REQUIREMENT...]}
shift
requirements=("${@:-tensorflow}")
reps=${REPS:-3}
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=${WORKDIR:-/var/tmp/solver-bench}
out="$work/run-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
for tool in cargo uv python3 /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "run.sh needs $tool" >&2; exit 2; }
done

(cd "$repo" && cargo build -q --release -p solver)
solver="$repo/target/release/solver"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server --bind 127.0.0.1 --directory "$mirror" "$port" 2> "$out/server.log" >/dev/null &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/simple/')" 2>/dev/null && break
  sleep 0.1
done
index="http://127.0.0.1:$port/simple/"
printf '%s\n' "${requirements[@]}" > "$out/requirements.in"
joined=$(printf '%s\\n' "${requirements[@]}")
target=(--python-version 3.11 --platform linux-x86_64)

requests() { grep -c '"GET ' "$out/server.log" || true; }
measure() { # name, command...
  local name=$1; shift
  local before; before=$(requests)
  /usr/bin/time -v -o "$out/$name.time" "$@" > "$out/$name.stdout" 2> "$out/$name.stderr" || echo "exit $?" >> "$out/$name.time"
  echo "$name $(( $(requests) - before ))" >> "$out/requests.txt"
}

measure walk "$solver" python -r "$joined" -i "$index" "${target[@]}" -P -o "$out/walk.json"
for rep in $(seq "$reps"); do
  measure "solver-resolve-$rep" "$solver" resolve -r "$joined" -i "$index" "${target[@]}" -o "$out/solver-$rep.txt"
  rm -rf "$out/uv-cache"
  measure "uv-compile-$rep" env UV_CACHE_DIR="$out/uv-cache" UV_NO_PROGRESS=1 uv pip compile "$out/requirements.in" \
    --index-url "$index" --python-version 3.11 --python-platform x86_64-manylinux_2_28 \
    --no-header --no-annotate --quiet --no-config -o "$out/uv-$rep.txt"
done
{ "$solver" --version; uv --version; } > "$out/versions.txt"
python3 "$repo/bench/solver/report.py" "$out" "$reps" | tee "$out/summary.txt"
