#!/usr/bin/env python3
"""Summarises a bench/solver/run.sh directory: times, memory, requests, and set agreement."""

import json
import re
import statistics
import sys

out, reps = sys.argv[1], int(sys.argv[2])


def time_of(name):
    text = open("%s/%s.time" % (out, name)).read()
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", text).group(1)
    parts = [float(p) for p in wall.split(":")]
    seconds = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
    cpu = float(re.search(r"User time \(seconds\): (\S+)", text).group(1)) + float(
        re.search(r"System time \(seconds\): (\S+)", text).group(1))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1)) / 1024
    failed = "exit " in text
    return seconds, cpu, rss, failed


requests = dict(line.split() for line in open(out + "/requests.txt"))


def pins(path):
    result = set()
    for line in open(path):
        line = line.strip().rstrip("\\").strip()
        if line and not line.startswith("#") and not line.startswith("--") and "==" in line:
            result.add(line.lower())
    return result


print("# solver scale benchmark (%s)\n" % out)
print(open(out + "/versions.txt").read())
walk = json.load(open(out + "/walk.json"))["result"]
w = time_of("walk")
print("full transitive walk (solver python): %d releases analyzed, %d errors, %d unresolved; "
      "wall %.2f s, CPU %.2f s, peak RSS %.0f MiB, %s requests%s" % (
          len(walk["tree"]), len(walk["errors"]), len(walk["unresolved"]), w[0], w[1], w[2],
          requests["walk"], " (FAILED)" if w[3] else ""))
print("\nresolve, cold cache, median of %d (all runs in parentheses):\n" % reps)
print("| command | wall s | CPU s | peak RSS MiB | requests |")
print("|---|---:|---:|---:|---:|")
medians = {}
for tool in ("solver-resolve", "uv-compile"):
    runs = [time_of("%s-%d" % (tool, i)) for i in range(1, reps + 1)]
    med = [statistics.median(r[k] for r in runs) for k in range(3)]
    medians[tool] = med
    print("| %s | %.2f (%s) | %.2f | %.0f | %s |" % (
        tool, med[0], ", ".join("%.2f" % r[0] for r in runs), med[1], med[2],
        requests["%s-1" % tool]))
print("\nsolver/uv wall ratio: %.2fx; peak RSS ratio: %.2f" % (
    medians["solver-resolve"][0] / medians["uv-compile"][0],
    medians["solver-resolve"][2] / medians["uv-compile"][2]))
ours, theirs = pins(out + "/solver-1.txt"), pins(out + "/uv-1.txt")
if ours == theirs:
    print("pinned sets: identical (%d releases)" % len(ours))
else:
    print("pinned sets differ: only solver %s; only uv %s" % (sorted(ours - theirs), sorted(theirs - ours)))
