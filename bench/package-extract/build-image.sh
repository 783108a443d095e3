#!/usr/bin/env bash
# Builds the benchmark image for package-extract: an OCI layout of real packages, about 300 MB
# compressed, in four gzip layers:
#
#   1 base    Debian bookworm from `debootstrap --variant=minbase`, apt lists and caches removed
#   2 python  python3, python3-venv, python3-pip from apt (inside the rootfs, by chroot)
#   3 venv    /opt/venv created by the image's own python3 (chroot), with ~30 popular
#             distributions and their dependencies installed from wheels
#   4 app     a small application file, and `pip uninstall pytest` (whiteouts in the top layer)
#
# Debian packages come from the mirror of this machine's apt sources (read from
# /etc/apt/sources.list and /etc/apt/sources.list.d at run time); wheels come through this
# machine's pip configuration (see layer 3). Versions are not pinned: the venv's `pip freeze` is
# written beside the layout.
#
# Usage: build-image.sh [WORKDIR]     (default /var/tmp/pe-bench; needs root)
# Result: WORKDIR/layout (OCI layout, tag "latest"); WORKDIR/image-info.txt (layer sizes,
# pip freeze of the venv). Nothing is written in the repository.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=${1:-${PE_BENCH_WORK:-/var/tmp/pe-bench}}
layout="$work/layout"
bundle="$work/bundle"
suite=bookworm
mkdir -p "$work"

for tool in debootstrap umoci python3 chroot; do
  command -v "$tool" >/dev/null || { echo "missing tool: $tool" >&2; exit 1; }
done

# The Debian mirror this machine's apt uses, for the suite (not -security/-updates).
mirror=$(python3 - "$suite" <<'PY'
import glob, sys
suite = sys.argv[1]
files = ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*.list")) \
        + sorted(glob.glob("/etc/apt/sources.list.d/*.sources"))
found = []
for f in files:
    try:
        text = open(f).read()
    except OSError:
        continue
    if f.endswith(".sources"):
        for stanza in text.split("\n\n"):
            fields = {}
            for line in stanza.splitlines():
                if line.startswith("#") or ":" not in line or line[0].isspace():
                    continue
                k, v = line.split(":", 1)
                fields[k.strip().lower()] = v.split()
            if "deb" in fields.get("types", []) and suite in fields.get("suites", []) \
                    and fields.get("enabled", ["yes"])[0] != "no":
                found += fields.get("uris", [])
    else:
        for line in text.splitlines():
            words = line.split("#")[0].split()
            if not words or words[0] != "deb":
                continue
            words = words[1:]
            if words and words[0].startswith("["):  # [options]
                while words and not words[0].endswith("]"):
                    words.pop(0)
                words.pop(0)
            if len(words) >= 2 and words[1] == suite:
                found.append(words[0])
if not found:
    sys.exit("no apt source for suite %s" % suite)
print(found[0])
PY
)
echo "mirror: from this machine's apt sources ($(echo "$mirror" | sed 's#//[^/]*#//…#'))"

rm -rf "$layout" "$bundle"
umoci init --layout "$layout"
umoci new --image "$layout:latest"
umoci unpack --image "$layout:latest" "$bundle" >/dev/null
root="$bundle/rootfs"

mounted=()
cleanup() {
  for ((i=${#mounted[@]}-1; i>=0; i--)); do umount -l "${mounted[$i]}" 2>/dev/null || true; done
  mounted=()
}
trap cleanup EXIT
mount_chroot() { # /proc, /dev, /sys for maintainer scripts; removed before every repack
  for d in proc dev sys; do
    mkdir -p "$root/$d"
    case $d in
      proc) mount -t proc proc "$root/proc" ;;
      *) mount --rbind "/$d" "$root/$d"; mount --make-rslave "$root/$d" ;;
    esac
    mounted+=("$root/$d")
  done
}
repack() {
  cleanup
  umoci repack --refresh-bundle --history.created_by "$1" --image "$layout:latest" "$bundle"
}

# Layer 1: debootstrapped base.
debootstrap --variant=minbase "$suite" "$root" "$mirror" > "$work/debootstrap.log" 2>&1 \
  || { tail -30 "$work/debootstrap.log"; exit 1; }
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/var/log/bootstrap.log
repack "debootstrap --variant=minbase $suite"

# Layer 2: Python from apt.
mount_chroot
cp /etc/resolv.conf "$root/etc/resolv.conf"
chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
  sh -c 'apt-get update -q && apt-get install -y -q --no-install-recommends python3 python3-venv python3-pip && apt-get clean' \
  > "$work/apt.log" 2>&1 || { tail -30 "$work/apt.log"; exit 1; }
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin
: > "$root/etc/resolv.conf"
repack "apt-get install python3 python3-venv python3-pip"

# Layer 3: the venv, made by the image's interpreter at its final path (chroot), and pip run by
# the image's venv so that markers are evaluated for the image's Python (3.11.2, not the host's),
# with this machine's pip configuration: its PIP_* variables, its configuration files (copied to
# the rootfs's /etc/pip.conf for this step) and the files they name (certificate bundle,
# find-links directory) bound at the same paths.
mount_chroot
cp /etc/resolv.conf "$root/etc/resolv.conf"
pipconf=$(pip config debug 2>/dev/null | sed -n 's/^ *\(\/[^,]*pip.conf\), exists: True$/\1/p' || true)
: > "$root/etc/pip.conf"
for f in $pipconf; do cat "$f" >> "$root/etc/pip.conf"; echo >> "$root/etc/pip.conf"; done
pip_env=()
while IFS= read -r kv; do pip_env+=("$kv"); done < <(env | grep '^PIP_' || true)
created=()
bind_same() { # host path -> same path in the rootfs (a mount point made here is removed after)
  [ -e "$1" ] || return 0
  [ -e "$root$1" ] || created+=("$root$1")
  if [ -d "$1" ]; then mkdir -p "$root$1"; else mkdir -p "$(dirname "$root$1")"; [ -e "$root$1" ] || : > "$root$1"; fi
  mount --bind "$1" "$root$1"; mounted+=("$root$1")
}
for p in "${PIP_CERT:-}" "$(pip config get global.cert 2>/dev/null || true)" ${PIP_FIND_LINKS:-}; do
  [ -n "$p" ] && bind_same "$p"
done
cp "$here/requirements.txt" "$root/tmp/requirements.txt"
chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root "${pip_env[@]}" sh -c '
  python3 -m venv /opt/venv &&
  /opt/venv/bin/pip install -q --no-cache-dir --only-binary :all: -r /tmp/requirements.txt &&
  /opt/venv/bin/pip freeze --all' > "$work/pip-freeze.txt" 2> "$work/pip.log" || { tail -30 "$work/pip.log"; exit 1; }
cleanup
for p in "${created[@]}"; do if [ -d "$p" ]; then rmdir "$p"; else rm -f "$p"; fi; done
rm -f "$root/tmp/requirements.txt" "$root/etc/pip.conf"
: > "$root/etc/resolv.conf"
rm -rf "$root/root/.cache"
repack "python3 -m venv /opt/venv && pip install -r requirements.txt"

# Layer 4: the application; pytest removed from the runtime image.
mkdir -p "$root/app"
cat > "$root/app/app.py" <<'PY'
from flask import Flask
import numpy, pandas
app = Flask(__name__)

@app.route("/")
def index():
    return {"numpy": numpy.__version__, "pandas": pandas.__version__}
PY
chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
  /opt/venv/bin/pip uninstall -q -y pytest >> "$work/pip.log" 2>&1
rm -rf "$root/root/.cache"
repack "COPY app.py /app/ && pip uninstall -y pytest"

umoci config --image "$layout:latest" --config.env "PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
  --config.workingdir /app --config.cmd /opt/venv/bin/python --config.cmd /app/app.py \
  --config.label "org.opencontainers.image.title=package-extract benchmark" \
  --architecture amd64 --os linux
umoci gc --layout "$layout"
rm -rf "$bundle"

{
  echo "layers (compressed bytes, digest):"
  python3 - "$layout" <<'PY'
import json, sys, os
lay = sys.argv[1]
idx = json.load(open(os.path.join(lay, "index.json")))
d = idx["manifests"][0]["digest"].split(":")[1]
man = json.load(open(os.path.join(lay, "blobs/sha256", d)))
total = 0
for l in man["layers"]:
    total += l["size"]
    print("  %12d %s" % (l["size"], l["digest"]))
print("total compressed: %d bytes (%.1f MiB)" % (total, total / 2**20))
PY
  echo "venv (pip freeze --all after layer 3):"
  sed 's/^/  /' "$work/pip-freeze.txt"
} > "$work/image-info.txt"
cat "$work/image-info.txt" | sed -n '1,7p'
echo "layout: $layout (tag latest)"
