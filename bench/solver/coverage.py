#!/usr/bin/env python3
"""Fraction of releases whose dependencies are known, from a `solver python` walk document.

    coverage.py WALK.json

A release is known when it is in `tree` (its metadata was read); unknown when it is in `errors`.
`before` counts as known only what the solver read before static sdist reading (metadata
files, wheels, PKG-INFO 2.2+): a release known through `sdist-egg-info`, `sdist-setup-cfg` or
`sdist-pyproject` was `metadata_unavailable` then. Prints one JSON object.
"""

import collections
import json
import sys

STATIC = {"sdist-egg-info", "sdist-setup-cfg", "sdist-pyproject"}

result = json.load(open(sys.argv[1]))["result"]
sources = collections.Counter(e["metadata_source"] for e in result["tree"])
kinds = collections.Counter(e["type"] for e in result["errors"])
known = len(result["tree"])
total = known + len(result["errors"])
static = sum(n for s, n in sources.items() if s in STATIC)
projects = {e["package_name"] for e in result["tree"]} | {e["package_name"] for e in result["errors"]}
print(json.dumps({
    "projects": len(projects),
    "releases": total,
    "known_after": known,
    "known_before": known - static,
    "fraction_after": round(known / total, 4) if total else None,
    "fraction_before": round((known - static) / total, 4) if total else None,
    "metadata_source": dict(sorted(sources.items())),
    "errors_by_type": dict(sorted(kinds.items())),
}, indent=1))
