#!/usr/bin/env python3
"""Writes a static PEP 503 index of small, real wheels for build-log fixtures.

Usage: make_index.py DIR

Each wheel is a valid zip with METADATA, WHEEL and RECORD, installable by every pip; the index
pages carry `#sha256=` fragments as real indexes do.
"""
import base64
import hashlib
import os
import sys
import zipfile

PACKAGES = [
    # (name, version, requires_dist)
    ("demo-greeting", "1.2.0", []),
    ("demo-greeting", "1.3.0", []),
    ("demo-app", "0.4.0", ["demo-greeting>=1.2"]),
]


def record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def write_wheel(directory: str, name: str, version: str, requires: list) -> str:
    module = name.replace("-", "_")
    dist = f"{module}-{version}.dist-info"
    meta = [f"Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}",
            "Summary: A tiny package for build-log fixtures", "Requires-Python: >=3.8"]
    meta += [f"Requires-Dist: {r}" for r in requires]
    files = {
        f"{module}/__init__.py": f'__version__ = "{version}"\n'.encode(),
        f"{dist}/METADATA": ("\n".join(meta) + "\n").encode(),
        f"{dist}/WHEEL": b"Wheel-Version: 1.0\nGenerator: make_index.py\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = [f"{p},{record_hash(d)},{len(d)}" for p, d in files.items()] + [f"{dist}/RECORD,,"]
    files[f"{dist}/RECORD"] = ("\n".join(record) + "\n").encode()
    filename = f"{module}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(directory, filename), "w") as z:
        for path, data in files.items():
            z.writestr(zipfile.ZipInfo(path, date_time=(2020, 1, 1, 0, 0, 0)), data)
    return filename


def main(root: str) -> None:
    simple = os.path.join(root, "simple")
    projects = {}
    for name, version, requires in PACKAGES:
        directory = os.path.join(simple, name)
        os.makedirs(directory, exist_ok=True)
        projects.setdefault(name, []).append(write_wheel(directory, name, version, requires))
    for name, files in projects.items():
        links = []
        for f in files:
            with open(os.path.join(simple, name, f), "rb") as fh:
                digest = hashlib.sha256(fh.read()).hexdigest()
            links.append(f'<a href="{f}#sha256={digest}">{f}</a><br>')
        with open(os.path.join(simple, name, "index.html"), "w") as fh:
            fh.write("<!DOCTYPE html><html><body>\n" + "\n".join(links) + "\n</body></html>\n")
    with open(os.path.join(simple, "index.html"), "w") as fh:
        fh.write("<!DOCTYPE html><html><body>\n")
        fh.write("\n".join(f'<a href="{n}/">{n}</a><br>' for n in sorted(projects)))
        fh.write("\n</body></html>\n")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
