#!/usr/bin/env bash
# Parse cost of index project pages: generated pages of N files (HTML and JSON) parsed by the
# index client's parsers and walked as the solver walks them (every version, then its files),
# timed step by step by the example itself, peak memory by GNU time.
#
#   bench/index-pages/run.sh [PROFILE]     # PROFILE: release (default) or dev
#
# Not a test (the project has no timed tests): run it and put the figures in RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
profile="${1:-release}"
flag=(--release)
dir=release
if [ "$profile" = dev ]; then
    flag=()
    dir=debug
fi
cargo build "${flag[@]}" -p common --example page_scale
exe="${CARGO_TARGET_DIR:-target}/$dir/examples/page_scale"
for format in html json; do
    for n in 2000 4000 8000 100000 1000000; do
        out=$(/usr/bin/time -f "peak_rss_kib=%M wall_s=%e" "$exe" "$format" "$n" 2>&1)
        echo "$out" | tr '\n' ' '
        echo
    done
done
