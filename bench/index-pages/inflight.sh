#!/usr/bin/env bash
# Memory of many large index pages in flight at once: a hostile loopback server
# (common/examples/hostile_pages.rs, on common::hostile::HostileServer) serves N pages of SIZE
# bytes each without a declared length; the index client (common/examples/index_fetch.rs, the
# shared analyzer harness) asks for all of them at once, 16 requests in flight, once with the
# default in-flight budget (THOTH_INDEX_MAX_INFLIGHT_BYTES, 160 MiB) and once with a budget so
# large that it never binds (what the client did before the budget existed). Peak memory by GNU
# time. Not a test (the project has no timed tests): run it and put the figures in RESULTS.md.
#
#   bench/index-pages/inflight.sh [N] [SIZE_MIB] [PROFILE]   # 16 pages of 60 MiB, release
set -euo pipefail
cd "$(dirname "$0")/../.."
n="${1:-16}"
size_mib="${2:-60}"
profile="${3:-release}"
flag=(--release)
dir=release
if [ "$profile" = dev ]; then
    flag=()
    dir=debug
fi
cargo build "${flag[@]}" -p common --features golden --example hostile_pages --example index_fetch
dir="${CARGO_TARGET_DIR:-target}/$dir/examples"
fifo_dir=$(mktemp -d)
trap 'exec 3>&-; rm -rf "$fifo_dir"' EXIT
mkfifo "$fifo_dir/stdin"
"$dir/hostile_pages" "$n" $((size_mib << 20)) <"$fifo_dir/stdin" >"$fifo_dir/url" &
exec 3>"$fifo_dir/stdin"
for _ in $(seq 50); do [ -s "$fifo_dir/url" ] && break; sleep 0.1; done
index=$(cat "$fifo_dir/url")
projects=()
for i in $(seq 0 $((n - 1))); do projects+=(--project "p$i"); done
for budget in default 64GiB; do
    env=()
    [ "$budget" = default ] || env=(THOTH_INDEX_MAX_INFLIGHT_BYTES="$budget")
    out=$(env "${env[@]}" THOTH_INDEX_MAX_PAGE_BYTES=64MiB /usr/bin/time -f "peak_rss_kib=%M wall_s=%e" \
        "$dir/index_fetch" page --index "$index" "${projects[@]}" 2>&1 >"$fifo_dir/doc" || true)
    held=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d.get("result",{}).get("peak_inflight_bytes", d.get("result",{}).get("error_msg","?")))' "$fifo_dir/doc" 2>/dev/null || echo '?')
    echo "pages=$n size_mib=$size_mib budget=$budget $(echo "$out" | tail -1) peak_inflight_bytes=$held"
done
