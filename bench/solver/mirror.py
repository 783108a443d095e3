#!/usr/bin/env python3
"""Mirror the metadata of a Python stack into a static PEP 503 + PEP 658 index.

For every project reachable from the roots through Requires-Dist (dependencies that apply
without extras, for any platform), every release that has a wheel with a metadata file upstream (announced or not)
is mirrored: its page lists all its wheels and sdists with their upstream hashes, and each wheel's
`.metadata` file is served (one copy per release, hard-linked under every wheel's name). Those
artifacts are not copied: resolvers that read metadata files never need them.

A release without such a wheel (an sdist-only release, most of an old project's history) is
mirrored with its sdist copied (one per release, .tar.gz preferred, at most --max-sdist-mb):
the solver reads its dependencies statically from the archive. `--wheels-only` leaves these
releases out, as this script did before. Dependencies are followed through wheel metadata only,
so a project reached only through sdist-only releases is not mirrored.

    mirror.py --upstream INDEX_URL --out DIR ROOT [ROOT...]

INDEX_URL is a PEP 691 index (`.../simple/`); nothing is built in. Serve DIR with
`python3 -m http.server` and point the tools at `http://127.0.0.1:PORT/simple/`.
"""


import argparse
import concurrent.futures
import hashlib
import html
import json
import os
import re
import sys
import threading
import urllib.parse
import urllib.request

LOCK = threading.Lock()

from pip._vendor.packaging.requirements import InvalidRequirement, Requirement
from pip._vendor.packaging.utils import canonicalize_name

ACCEPT = "application/vnd.pypi.simple.v1+json"


def fetch(url, accept=None):
    request = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    for attempt in range(4):
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.read()
        except urllib.error.HTTPError as e:
            if e.code == 404:
                return None
            if attempt == 3:
                raise
        except OSError:
            if attempt == 3:
                raise


def version_of(filename, project):
    stem = filename[: -len(".whl")] if filename.endswith(".whl") else re.sub(r"\.(tar\.gz|zip|tar\.bz2)$", "", filename)
    if filename.endswith(".whl"):
        parts = stem.split("-")
        return parts[1] if len(parts) >= 5 else None
    prefix = len(project) + 1
    return stem[prefix:] if canonicalize_name(stem[: prefix - 1]) == project else None


def dependencies(metadata):
    names = set()
    for line in metadata.decode("utf-8", "replace").splitlines():
        if not line.strip():
            break
        if line.lower().startswith("requires-dist:"):
            try:
                req = Requirement(line.split(":", 1)[1].strip())
            except InvalidRequirement:
                continue
            if req.marker is None or "extra" not in str(req.marker):
                names.add(canonicalize_name(req.name))
    return names


def link(f, attrs=""):
    if f.get("requires-python"):
        attrs += ' data-requires-python="%s"' % html.escape(f["requires-python"])
    if f.get("yanked"):
        reason = f["yanked"] if isinstance(f["yanked"], str) else ""
        attrs += ' data-yanked="%s"' % html.escape(reason)
    sha = f.get("hashes", {}).get("sha256", "")
    return '<a href="../../files/%s#sha256=%s"%s>%s</a><br/>' % (f["filename"], sha, attrs, f["filename"])


def mirror_sdist(out, files, max_bytes):
    """Copies the release's sdist (a .tar.gz first); its link, or None when there is none."""
    sdists = sorted((f for f in files if not f["filename"].endswith(".whl")),
                    key=lambda f: not f["filename"].endswith(".tar.gz"))
    for f in sdists:
        if f.get("size") and f["size"] > max_bytes:
            with LOCK:
                STATS["sdist_too_large"] += 1
            return None
        path = os.path.join(out, "files", f["filename"])
        if not os.path.exists(path):
            data = fetch(f["url"])
            if data is None:
                continue
            with open(path + ".part", "wb") as fh:
                fh.write(data)
            os.replace(path + ".part", path)
        return link(f)
    return None


STATS = {"sdist_only": 0, "sdist_too_large": 0, "no_artifact": 0}


def mirror_project(upstream, out, project, sdists=True, max_bytes=64 << 20):
    page = fetch(urllib.parse.urljoin(upstream, project + "/"), ACCEPT)
    if page is None:
        return set(), 0
    data = json.loads(page)
    releases = {}
    for f in data.get("files", []):
        name = f["filename"]
        if not (name.endswith(".whl") or name.endswith(".tar.gz") or name.endswith(".zip")):
            continue
        version = version_of(name, project)
        if version:
            f["url"] = urllib.parse.urljoin(urllib.parse.urljoin(upstream, project + "/"), f["url"])
            releases.setdefault(version, []).append(f)
    deps, kept, links = set(), 0, []
    os.makedirs(os.path.join(out, "files"), exist_ok=True)
    for version, files in releases.items():
        # Some indexes serve metadata files without announcing them: ask for a wheel's anyway.
        wheels = [f for f in files if f["filename"].endswith(".whl")][:3]
        wheel = metadata = None
        for wheel in wheels:
            metadata = fetch(wheel["url"] + ".metadata")
            if metadata is not None:
                break
        if metadata is None:
            # No metadata file upstream: an sdist-only release (or wheels from before PEP 658
            # backfills). Without --wheels-only, its sdist is copied for static reading.
            if not wheels and sdists:
                sdist_link = mirror_sdist(out, files, max_bytes)
                if sdist_link:
                    with LOCK:
                        STATS["sdist_only"] += 1
                    links.append(sdist_link)
                    kept += 1
                    continue
            with LOCK:
                STATS["no_artifact"] += 1
            continue
        deps |= dependencies(metadata)
        digest = hashlib.sha256(metadata).hexdigest()
        first = os.path.join(out, "files", wheel["filename"] + ".metadata")
        with open(first, "wb") as fh:
            fh.write(metadata)
        kept += 1
        for f in files:
            attrs = ""
            if f["filename"].endswith(".whl"):
                path = os.path.join(out, "files", f["filename"] + ".metadata")
                if path != first and not os.path.exists(path):
                    os.link(first, path)
                attrs += ' data-core-metadata="sha256=%s" data-dist-info-metadata="sha256=%s"' % (digest, digest)
            links.append(link(f, attrs))
    os.makedirs(os.path.join(out, "simple", project), exist_ok=True)
    with open(os.path.join(out, "simple", project, "index.html"), "w") as fh:
        fh.write("<!DOCTYPE html><html><body>\n%s\n</body></html>\n" % "\n".join(links))
    return deps, kept


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True, help="a PEP 691 index URL ending in /simple/")
    parser.add_argument("--out", required=True)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--wheels-only", action="store_true",
                        help="leave out releases without a wheel metadata file (the old behaviour)")
    parser.add_argument("--max-sdist-mb", type=int, default=64,
                        help="sdists larger than this are not copied (their releases are left out)")
    parser.add_argument("roots", nargs="+")
    args = parser.parse_args()
    upstream = args.upstream.rstrip("/") + "/"
    seen, releases, lock = set(), 0, threading.Lock()
    todo = {canonicalize_name(r) for r in args.roots}
    with concurrent.futures.ThreadPoolExecutor(args.workers) as pool:
        while todo:
            seen |= todo
            results = list(pool.map(
                lambda p: mirror_project(upstream, args.out, p, not args.wheels_only, args.max_sdist_mb << 20),
                sorted(todo)))
            todo = set()
            for deps, kept in results:
                releases += kept
                todo |= deps - seen
            print("projects %d, releases %d" % (len(seen), releases), file=sys.stderr)
    projects = sorted(p for p in seen if os.path.exists(os.path.join(args.out, "simple", p)))
    with open(os.path.join(args.out, "simple", "index.html"), "w") as fh:
        fh.write("<!DOCTYPE html><html><body>\n%s\n</body></html>\n" % "\n".join('<a href="%s/">%s</a>' % (p, p) for p in projects))
    print(json.dumps(dict({"projects": len(projects), "releases": releases}, **STATS)))


if __name__ == "__main__":
    main()
