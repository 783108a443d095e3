#!/usr/bin/env python3
"""Summarises a run of run.sh: the timing table and ratios from `/usr/bin/time -v` reports, and
the deb and Python package sets of package-extract, syft, dpkg-query and importlib.metadata.

Usage: report.py RUN_DIR ROOTFS REPS
"""
import importlib.metadata as md
import json
import os
import re
import statistics
import subprocess
import sys

run, rootfs, reps = sys.argv[1], sys.argv[2], int(sys.argv[3])
order = open(os.path.join(run, "order.txt")).read().split()


def parse_time(path):
    t = {}
    for line in open(path):
        k, _, v = line.strip().rpartition(": ")
        t[k] = v
    parts = [float(p) for p in t["Elapsed (wall clock) time (h:mm:ss or m:ss)"].split(":")]
    wall = 0.0
    for p in parts:
        wall = wall * 60 + p
    cpu = float(t["User time (seconds)"]) + float(t["System time (seconds)"])
    rss = int(t["Maximum resident set size (kbytes)"]) / 1024
    return wall, cpu, rss


rows = {}
for name in order:
    runs = [parse_time(os.path.join(run, f"{name}-{i}.time")) for i in range(1, reps + 1)]
    rows[name] = [statistics.median(x) for x in zip(*runs)] + [runs]

print(f"# package-extract benchmark ({run})\n")
print("versions: " + "; ".join(open(os.path.join(run, "versions.txt")).read().split("\n")).strip("; "))
print("load average (1/5/15 min) before each measured command:")
for line in open(os.path.join(run, "load.txt")):
    print("  " + line.rstrip())
print(f"\nmedian of {reps} runs (all runs in parentheses)\n")
print("| command | wall s | CPU s (user+sys) | peak RSS MiB |")
print("|---|---:|---:|---:|")
for name in order:
    wall, cpu, rss, runs = rows[name]
    fmt = lambda i, f: ", ".join(f % r[i] for r in runs)
    print(f"| {name} | {wall:.2f} ({fmt(0, '%.2f')}) | {cpu:.2f} ({fmt(1, '%.2f')}) | {rss:.0f} ({fmt(2, '%.0f')}) |")


def ratio(a, b, i):
    return rows[a][i] / rows[b][i]


print("\nratios (medians):")
for src in ("oci", "registry"):
    print(f"  {src:8}: syft/package-extract wall {ratio('syft-' + src, 'pe-' + src, 0):.1f}x, "
          f"CPU {ratio('syft-' + src, 'pe-' + src, 1):.1f}x; "
          f"package-extract/syft peak RSS {ratio('pe-' + src, 'syft-' + src, 2):.3f}; "
          f"package-extract/gzip-floor wall {ratio('pe-' + src, 'gzip-d', 0):.2f}x, "
          f"CPU {ratio('pe-' + src, 'gzip-d', 1):.2f}x")

if "pe-oci-nopyfiles" in rows:
    print(f"  oci, --no-python-files: syft/package-extract wall {ratio('syft-oci', 'pe-oci-nopyfiles', 0):.1f}x; "
          f"package-extract/gzip-floor wall {ratio('pe-oci-nopyfiles', 'gzip-d', 0):.2f}x, "
          f"CPU {ratio('pe-oci-nopyfiles', 'gzip-d', 1):.2f}x")


# ---------------------------------------------------------------------------------------------
def load(name):
    with open(os.path.join(run, f"{name}-1.json")) as f:
        return json.load(f)


def norm(n):
    return re.sub(r"[-_.]+", "-", n).lower()


def pe_sets(doc):
    r = doc["result"]
    deb = {(p["name"], p["version"]) for p in r.get("deb", [])}
    py = {(p["package_name"], p["package_version"], p["location"]) for p in r.get("python-packages", [])}
    return deb, py


META = re.compile(r"^(.*)/[^/]+\.(dist-info|egg-info|egg)(/.*)?$")


def syft_sets(doc):
    deb, py = set(), set()
    for a in doc["artifacts"]:
        if a["type"] == "deb":
            deb.add((a["name"], a["version"]))
        elif a["type"] == "python":
            sites = set()
            for loc in a.get("locations", []):
                m = META.match(loc.get("path", ""))
                if m:
                    sites.add(m.group(1))
            for s in sites or {"?"}:
                py.add((a["name"], a["version"], s))
    return deb, py


def dist_sets():
    out = subprocess.run(["dpkg-query", "--admindir", os.path.join(rootfs, "var/lib/dpkg"), "-W",
                          "-f", "${Package}\t${Version}\t${db:Status-Status}\n"],
                         check=True, capture_output=True, text=True).stdout
    deb = {tuple(l.split("\t")[:2]) for l in out.splitlines() if l.endswith("\tinstalled")}
    py = set()
    sites = []
    for dirpath, dirnames, _ in os.walk(rootfs):
        for d in list(dirnames):
            if d in ("site-packages", "dist-packages"):
                sites.append(os.path.join(dirpath, d))
                dirnames.remove(d)
            elif d in ("proc", "sys", "dev") and dirpath == rootfs:
                dirnames.remove(d)
    for site in sites:
        rel = "/" + os.path.relpath(site, rootfs)
        for dist in md.distributions(path=[site]):
            py.add((dist.metadata["Name"], dist.version, rel))
    return deb, py, sorted("/" + os.path.relpath(s, rootfs) for s in sites)


sets = {}
sets["package-extract (oci)"] = pe_sets(load("pe-oci"))
sets["package-extract (registry)"] = pe_sets(load("pe-registry"))
sets["syft (oci-dir)"] = syft_sets(load("syft-oci"))
sets["syft (registry)"] = syft_sets(load("syft-registry"))
d_deb, d_py, sites = dist_sets()
sets["dpkg-query / importlib.metadata"] = (d_deb, d_py)

print("\n## package sets\n")
print("site directories in the rootfs: " + ", ".join(sites))
print("| source | deb (name, version) | python (name, version, location) |")
print("|---|---:|---:|")
for k, (deb, py) in sets.items():
    print(f"| {k} | {len(deb)} | {len(py)} |")

ref = "dpkg-query / importlib.metadata"


def show(label, a, b, kind):
    only_a, only_b = sorted(a - b), sorted(b - a)
    if not only_a and not only_b:
        print(f"  {kind}: {label}: identical")
        return
    print(f"  {kind}: {label}: {len(only_a)} only in the first, {len(only_b)} only in the second")
    for x in only_a:
        print("     < " + " ".join(map(str, x)))
    for x in only_b:
        print("     > " + " ".join(map(str, x)))


def normed(py):
    return {(norm(n), v, l) for n, v, l in py}


print("\nexact comparison (first vs second):")
pairs = [("package-extract (oci)", ref), ("syft (oci-dir)", ref), ("package-extract (oci)", "syft (oci-dir)"),
         ("package-extract (oci)", "package-extract (registry)"), ("syft (oci-dir)", "syft (registry)")]
for a, b in pairs:
    show(f"{a} vs {b}", sets[a][0], sets[b][0], "deb")
    show(f"{a} vs {b}", sets[a][1], sets[b][1], "python")
print("\npython with names normalised (PEP 503) on both sides:")
for a, b in pairs[:3]:
    show(f"{a} vs {b}", normed(sets[a][1]), normed(sets[b][1]), "python")
